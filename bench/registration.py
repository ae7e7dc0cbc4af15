"""Registration benchmarks: the page GET and the registration start, each against a
baseline view (one row read, tiny answer) served by the same server and database.

A gunicorn server (gthread workers) runs the app on a free loopback port with a
throwaway SQLite database; the Stripe sandbox runs in its own process. A bounded
client loop (a few threads, keep-alive connections) measures requests/s for a
fixed time per target. The registration start is a real start: form validation,
the seat transaction, and the Checkout Session created at the sandbox (303).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import bench_webinar, free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_THREADS = 4
SERVER_WORKERS = 2
SERVER_THREADS = 4


def wait_for(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


@dataclass
class Target:
    """One thing to measure: a method, a path and what a success looks like."""

    name: str
    method: str
    path: str
    expect: int
    post: bool = False
    counter: list[int] = field(default_factory=lambda: [0])


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Client:
    """A keep-alive HTTP client with the cookies and CSRF token of one browser."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        headers.update(extra or {})
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30
                )
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def prime(self, path: str) -> None:
        """Load the registration page once: CSRF cookie and token."""
        _status, data = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        self.token = match.group(1).decode() if match else ""


def measure(port: int, target: Target, *, seconds: float, prime: str) -> Result:
    """Hit `target` from CLIENT_THREADS threads for `seconds`; count successes."""
    done = [0]
    errors = [0]
    lock = threading.Lock()
    start_gate = threading.Barrier(CLIENT_THREADS + 1)
    stop_at = [0.0]

    run_id = f"{time.monotonic_ns():x}"

    def work(index: int) -> None:
        client = Client(port)
        if target.post:
            client.prime(prime)
        start_gate.wait()
        ok = bad = 0
        n = 0
        while time.monotonic() < stop_at[0]:
            n += 1
            body = None
            if target.post:
                body = urlencode(
                    {
                        "csrfmiddlewaretoken": client.token,
                        "first_name": "Bench",
                        "last_name": f"Mark{index}",
                        "email": f"bench-{run_id}-{index}-{n}@example.com",
                        "discount_code": "",
                    }
                )
            try:
                status, _data = client.request(target.method, target.path, body)
            except (http.client.HTTPException, OSError):
                status = 0
            if status == target.expect:
                ok += 1
            else:
                bad += 1
                if bad == 1 and index == 0:
                    print(f"  {target.name}: unexpected {status}", file=sys.stderr)
                    if os.environ.get("BENCH_DEBUG"):
                        print(_data[:3000].decode(errors="replace"), file=sys.stderr)
        with lock:
            done[0] += ok
            errors[0] += bad

    threads = [
        threading.Thread(target=work, args=(i,), daemon=True)
        for i in range(CLIENT_THREADS)
    ]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + 1e9
    start_gate.wait()
    began = time.monotonic()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    return Result(target.name, done[0], errors[0], time.monotonic() - began)


def seed(stripe_account: str) -> dict[str, Any]:
    """Create an account, an organizer and a paid webinar; return keys and ids."""
    from django.utils import timezone

    from payments.models import Price, StripeConnection
    from webinars.models import Session

    webinar = bench_webinar(
        participant_limit=100_000,
        registration_limit=1_000_000,
        title="Benchmarking for beginners",
        description="How fast is fast enough?",
        user={
            "username": "bench@example.com",
            "email": "bench@example.com",
            "password": "bench-pass-1",
        },
    )
    StripeConnection.objects.create(
        account=webinar.account,
        stripe_account_id=stripe_account,
        charges_enabled=True,
        details_submitted=True,
        business_name="Bench Ltd",
    )
    start = timezone.now().replace(microsecond=0) + timezone.timedelta(days=7)
    for week in range(3):
        Session.objects.create(
            webinar=webinar,
            starts_at=start + timezone.timedelta(days=7 * week),
            ends_at=start + timezone.timedelta(days=7 * week, hours=1),
            broadcast_url="https://meet.example.com/bench",
        )
    Price.objects.create(webinar=webinar, enabled=True, amount=4900, currency="EUR")
    return {"key": webinar.registration_key, "pk": webinar.pk}


def run(*, workdir: Path, seconds: float = 8.0) -> dict[str, Any]:
    """Start the sandbox and the server, measure the four targets, stop both."""
    env = dict(os.environ)
    sandbox_port = free_port()
    app_port = free_port()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "VAR_DIR": str(workdir),
            "STRIPE_API_BASE": f"http://127.0.0.1:{sandbox_port}",
            "SITE_URL": f"http://127.0.0.1:{app_port}",
            "PORT": str(app_port),
            "CELERY_BROKER_URL": f"tessera-sqla+sqlite:///{workdir / 'broker.sqlite3'}",
            "PYTHONPATH": str(ROOT),
        }
    )
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    from django.conf import settings

    ids = seed(settings.DEMO_STRIPE_ACCOUNT)

    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [
                sys.executable,
                "-m",
                "stripe_sandbox",
                "--port",
                str(sandbox_port),
                "--dir",
                str(workdir / "sandbox"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{app_port}",
                "--workers",
                str(SERVER_WORKERS),
                "--threads",
                str(SERVER_THREADS),
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    try:
        wait_for(sandbox_port, "/")
        wait_for(app_port, f"/bench/baseline/{ids['pk']}/")
        page = f"/register/{ids['key']}/"
        baseline = f"/bench/baseline/{ids['pk']}/"
        targets = [
            Target("baseline GET", "GET", baseline, 200),
            Target("registration page GET", "GET", page, 200),
            Target("baseline GET (again)", "GET", baseline, 200),
            Target("registration start POST", "POST", page, 303, post=True),
        ]
        # Warm both workers (imports, template caches, connections).
        for target in targets[:2]:
            measure(app_port, target, seconds=1.0, prime=page)
        results = [measure(app_port, t, seconds=seconds, prime=page) for t in targets]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    base = (results[0].per_second + results[2].per_second) / 2
    rows = [
        {
            "name": r.name,
            "requests": r.requests,
            "errors": r.errors,
            "seconds": round(r.seconds, 2),
            "requests_per_second": round(r.per_second, 1),
            "ratio_to_baseline": round(r.per_second / base, 3) if base else None,
        }
        for r in results
    ]
    return {
        "server": f"gunicorn gthread {SERVER_WORKERS}x{SERVER_THREADS}, SQLite (WAL)",
        "client_threads": CLIENT_THREADS,
        "seconds_per_target": seconds,
        "baseline_requests_per_second": round(base, 1),
        "results": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"registration: {result['server']}, {result['client_threads']} client "
        f"threads, {result['seconds_per_target']} s per target"
    )
    print(f"  {'target':<28}{'req/s':>9}{'ratio':>8}{'requests':>10}{'errors':>8}")
    for row in result["results"]:
        print(
            f"  {row['name']:<28}{row['requests_per_second']:>9.1f}"
            f"{row['ratio_to_baseline']:>8.3f}{row['requests']:>10}{row['errors']:>8}"
        )
