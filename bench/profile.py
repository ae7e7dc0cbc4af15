"""CPU per request of the hot paths, in-process: `python -m bench.profile`.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL, like the flash-sale benchmark:
it recreates `<name>_bench`, empties REDIS_URL's database, seeds the same
webinars and starts the Stripe sandbox in its own process. Then, in this
process and one thread, it calls the benchmark's WSGI application directly
(no HTTP, no test client: every middleware runs as under gunicorn) and
reports the CPU time (time.process_time) per request of: the minimal view,
the registration page GET, a paid start, a free start, a webhook's
acknowledgement and the worker's processing of a stored event
(bench/profile_webhooks.py). `--profile NAME` also prints cProfile's top
functions for that target.

python -m bench.profile [--count 200] [--profile paid] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode


class Browser:
    """Cookies and a CSRF token, requests straight into the WSGI application."""

    def __init__(self, app: Any) -> None:
        from django.test import RequestFactory

        self.app = app
        self.factory = RequestFactory()
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, data: dict | None = None) -> tuple:
        headers = {"HTTP_HOST": "127.0.0.1"}
        if self.cookies:
            headers["HTTP_COOKIE"] = "; ".join(
                f"{k}={v}" for k, v in self.cookies.items()
            )
        if method == "POST":
            headers["HTTP_REFERER"] = f"http://127.0.0.1{path}"
            request = self.factory.post(
                path,
                urlencode(data or {}),
                content_type="application/x-www-form-urlencoded",
                **headers,
            )
        else:
            request = self.factory.get(path, **headers)
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list) -> None:
            answer["status"] = int(status.split()[0])
            answer["headers"] = response_headers

        body = b"".join(self.app(request.environ, start_response))
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        return answer["status"], body

    @property
    def token(self) -> str:
        return self.cookies.get("csrftoken", "")


def measure(call: Any, count: int, profiler: cProfile.Profile | None) -> dict:
    """Call `call(n)` count times; return CPU ms per call (median, mean).

    Also the mean CPU its PostgreSQL backend spent per call (`db_cpu_ms_mean`),
    read from /proc: the database server runs on this machine.
    """
    cpu = []
    backend = _backend_pid()
    db_began = _process_cpu(backend)
    for n in range(count):
        began = time.process_time()
        if profiler is not None:
            profiler.enable()
        call(n)
        if profiler is not None:
            profiler.disable()
        cpu.append((time.process_time() - began) * 1000)
    figures = {
        "count": count,
        "cpu_ms_median": round(statistics.median(cpu), 2),
        "cpu_ms_mean": round(statistics.fmean(cpu), 2),
    }
    if backend == _backend_pid() and db_began is not None:
        db_ended = _process_cpu(backend)
        if db_ended is not None:
            figures["db_cpu_ms_mean"] = round((db_ended - db_began) * 1000 / count, 2)
    return figures


def _backend_pid() -> int | None:
    """The pid of this thread's PostgreSQL backend (connecting if needed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _process_cpu(pid: int | None) -> float | None:
    """User and system CPU seconds of a local process, or None if unreadable."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--profile", default="")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", default="", help="measure these targets only")
    parser.add_argument("--dump", default="", help="write the cProfile stats here")
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time, not wall time"
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="print each target's statements: start and duration (ms), median",
    )
    args = parser.parse_args(argv)
    # One pooled connection: one PostgreSQL backend serves every request, so
    # its CPU is the requests' (db_cpu_ms_mean).
    os.environ.setdefault("DATABASE_POOL_SIZE", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.flash import Bench, Failed

    with tempfile.TemporaryDirectory(prefix="tessera-profile-") as workdir:
        bench = Bench(Path(workdir), quick=True)
        try:
            bench.start(launch=("sandbox",))
            results = run(bench, args)
        except Failed as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            bench.stop()
    for name, figures in results.items():
        database = figures.get("db_cpu_ms_mean")
        print(
            f"{name:<24}{figures['cpu_ms_median']:>8.2f} ms CPU (median)"
            f"{figures['cpu_ms_mean']:>8.2f} ms (mean) x {figures['count']}"
            + ("" if database is None else f"   PostgreSQL {database:.2f} ms (mean)")
        )
    return 0


def run(bench: Any, args: argparse.Namespace) -> dict[str, dict]:
    from bench.wsgi import application

    paid, free = bench.ids["paid"], bench.ids["free"]
    targets = {
        "minimal view": ("GET", f"/bench/baseline/{paid['pk']}/", None, 200),
        "registration page": ("GET", f"/register/{paid['key']}/", None, 200),
        "paid start": ("POST", f"/register/{paid['key']}/", "paid", 303),
        "free start": ("POST", f"/register/{free['key']}/", "free", 303),
    }
    results = {}
    for name, (method, path, prefix, expect) in targets.items():
        if args.only and args.only not in name:
            continue
        browser = Browser(application)
        browser.call("GET", path)

        def call(
            n: int,
            method=method,
            path=path,
            prefix=prefix,
            expect=expect,
            browser=browser,
            name=name,
        ) -> None:
            data = None
            if prefix:
                data = {
                    "csrfmiddlewaretoken": browser.token,
                    "first_name": "Flash",
                    "last_name": f"Buyer{n}",
                    "email": f"{prefix}-{n}-{time.monotonic_ns()}@example.com",
                    "discount_code": "",
                }
            status, body = browser.call(method, path, data)
            if status != expect:
                from bench.flash import Failed

                raise Failed(f"{name}: {status} {body[:300]!r}")

        results[name] = profiled(name, call, args)
    results.update(webhook_targets(bench, args, application))
    return results


def profiled(name: str, call: Any, args: argparse.Namespace) -> dict:
    """Warm up, then measure `call`; with --profile NAME, print its profile."""
    measure(call, 10, None)
    profiler = None
    if args.profile and args.profile in name:
        timer = time.process_time if args.cpu else time.perf_counter
        profiler = cProfile.Profile(timer)
    figures = measure(call, args.count, profiler)
    if args.timeline:
        from bench.timeline import timeline

        print(f"--- {name}: statements ---\n{timeline(call, first=args.count)}")
    if profiler is not None:
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(f"--- {name} ---\n{out.getvalue()}")
    return figures


def webhook_targets(bench: Any, args: argparse.Namespace, app: Any) -> dict:
    """The webhook's acknowledgement and the worker's processing of one event."""
    from bench import profile_webhooks as hooks

    wanted = [
        name
        for name in ("webhook ack", "event processing")
        if not args.only or args.only in name
    ]
    results = {}
    path = f"/register/{bench.ids['paid']['key']}/"
    if "webhook ack" in wanted:
        sessions = hooks.paid_sessions(bench, Browser(app), path, 20)
        results["webhook ack"] = profiled(
            "webhook ack", hooks.ack_call(app, bench, sessions), args
        )
    if "event processing" in wanted:
        # Warm-up (10), the measured calls, then the timeline's (20).
        extra = 30 if args.timeline else 10
        sessions = hooks.paid_sessions(bench, Browser(app), path, args.count + extra)
        call, check = hooks.processing_call(bench, sessions)
        results["event processing"] = profiled("event processing", call, args)
        check()
    return results


if __name__ == "__main__":
    raise SystemExit(main())
