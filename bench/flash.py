"""The flash-sale benchmark on the production setup (PostgreSQL, Redis, Celery).

Needs DATABASE_URL and REDIS_URL. It recreates the database `<name>_bench` on
DATABASE_URL's server and empties REDIS_URL's database, then runs, each in its
own process: the app under gunicorn as the Procfile's web (gevent), the Celery
workers as the Procfile runs them (bench/flash_webhooks.py), and the Stripe
sandbox (its Django mount alone, under gunicorn, with STRIPE_API_BASE pointed
at it). It measures in one run: the bare WSGI answer
and a minimal view (the denominators), the registration page, paid and free
starts on one hot webinar at 8, 32 and 64 clients, paid starts with the
sandbox answering after 0.4 s (at the same levels and at 192 clients), ten
1,000-for-50 races (bench/flash_race.py), webhook ingest (fresh and
duplicate) and the time from payment to confirmation.

`--quick` (CI) runs each target briefly and fails on any error, oversold seat
or double effect, never on speed.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path
from statistics import median
from typing import Any
from urllib.request import Request, urlopen

from bench import flash_webhooks
from bench.autovacuum import Autovacuum
from bench.common import free_port
from bench.flash_probe import page_probe
from bench.flash_race import races
from bench.flash_setup import (
    Failed,
    cpu_delta,
    cpu_seconds,
    form_request,
    fresh_database,
    get_request,
    machine_cpu_seconds,
    post_request,
    postgres_cpu_seconds,
    procfile_web_command,
    sandbox_command,
    seed,
)
from bench.load import LoadResult, run_load
from bench.registration import ROOT, wait_for

LEVELS = (8, 32, 64)
LATENCY = 0.4
# Closed-loop clients that each wait LATENCY s send at most clients / LATENCY
# starts per second (160/s for 64): this many show whether the server, not
# the clients, caps a sale when Stripe is slow.
CROWD = 192
SECTIONS = ("page", "paid", "free", "race", "webhooks", "confirmations", "latency")


class Bench:
    """The processes, the seeded webinars, and the measurements of one run."""

    def __init__(
        self,
        workdir: Path,
        *,
        quick: bool,
        only: frozenset[str] = frozenset(),
        rounds: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.quick = quick
        # Rounds of the targets compared with the minimal view (rounds_of).
        self.rounds = rounds or (1 if quick else 3)
        # The parts to measure (SECTIONS); all when empty. The denominators
        # (bare WSGI, minimal view) are always measured.
        self.only = only
        self.seconds = 3.0 if quick else 8.0
        self.levels = (8, 32) if quick else LEVELS
        self.rows: list[dict[str, Any]] = []
        self.cpu: dict[str, dict[str, float]] = {}
        self.checks: dict[str, Any] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.last_row: dict[str, Any] = {}
        self.autovacuum: Autovacuum | None = None

    # -- setup -------------------------------------------------------------------

    def start(
        self, launch: tuple[str, ...] = ("sandbox", "web", *flash_webhooks.WORKERS)
    ) -> None:
        """Seed a fresh database and start the processes named in `launch`."""
        database = fresh_database(os.environ["DATABASE_URL"])
        self.app_port, self.sandbox_port = free_port(), free_port()
        sandbox_base = f"http://127.0.0.1:{self.sandbox_port}/_stripe"
        self.env = dict(os.environ)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DATABASE_URL": database,
                "VAR_DIR": str(self.workdir),
                "STRIPE_API_BASE": sandbox_base,
                "SITE_URL": f"http://127.0.0.1:{self.app_port}",
                "PORT": str(self.app_port),
                "CELERY_BROKER_URL": os.environ["REDIS_URL"],
                "PYTHONPATH": str(ROOT),
            }
        )
        os.environ.update(self.env)
        import django
        import redis
        from django.core.management import call_command

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        django.setup()
        call_command("migrate", run_syncdb=True, verbosity=0)
        from django.conf import settings

        self.secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
        self.ids = seed(settings.DEMO_STRIPE_ACCOUNT)
        # What autovacuum would do as the sale's tables grow (this machine's
        # PostgreSQL runs without it; see bench/autovacuum.py).
        self.autovacuum = Autovacuum(database).start()
        specs = {
            "sandbox": {
                "args": sandbox_command(
                    "bench.sandbox_wsgi:application", self.sandbox_port
                ),
                "env": {"DJANGO_SETTINGS_MODULE": "bench.sandbox_settings"},
            },
            "web": {
                # As the Procfile runs it (gevent, WEB_WORKERS x WEB_CONNECTIONS).
                "args": procfile_web_command("bench.wsgi:application", self.app_port)
            },
            **flash_webhooks.worker_specs(self.env),
        }
        for name, spec in specs.items():
            if name not in launch:
                continue
            env = {**self.env, **spec.get("env", {})}
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our modules
                spec["args"], cwd=ROOT, env=env
            )
        wait_for(self.sandbox_port, "/_stripe/", timeout=120)
        if "web" in launch:
            wait_for(self.app_port, "/bench/bare/", timeout=120)

    def stop(self) -> None:
        if self.autovacuum is not None:
            self.autovacuum.stop()
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def control(self, path: str, method: str = "POST", **params: Any) -> dict:
        data = urllib.parse.urlencode(params).encode() if method == "POST" else None
        url = f"http://127.0.0.1:{self.sandbox_port}/_stripe/_sandbox/{path}"
        request = Request(url, data=data, method=method)  # noqa: S310 - loopback
        request.add_header("Authorization", "Bearer sk_test_sandbox")
        with urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return json.loads(answer.read() or b"{}")

    # -- measuring ---------------------------------------------------------------

    def measure(
        self, name: str, request: Any, *, keep: bool = True, **options: Any
    ) -> LoadResult:
        """Run one target; its row goes to self.rows (`keep`) and self.last_row."""
        before = self.cpu_used()
        options.setdefault("seconds", self.seconds)
        result = run_load(self.app_port, name, request, **options)
        after = self.cpu_used()
        row = result.row()
        if result.ok:
            row["cpu_ms_per_ok"] = {
                k: round((after[k] - before[k]) / result.ok * 1000, 2)
                for k in after
                if k not in ("machine", "postgres")
            }
            postgres = cpu_delta(before["postgres"], after["postgres"])
            row["cpu_ms_per_ok"]["postgres"] = round(postgres / result.ok * 1000, 2)
            (busy, every), (was_busy, was) = after["machine"], before["machine"]
            # How busy the cores were: below 100%, something else than the CPU
            # (a lock, a queue) capped the rate.
            row["machine_busy_percent"] = round(
                100 * (busy - was_busy) / ((every - was) or 1), 1
            )
        self.last_row = row
        if keep:
            self.rows.append(row)
        web = row.get("cpu_ms_per_ok", {}).get("web", 0.0)
        print(
            f"  {name:<44}{row['per_second']:>9.1f}/s  p50 {row['p50_ms']:>7.1f} ms"
            f"  p99 {row['p99_ms']:>7.1f} ms  errors {row['errors']}"
            f"  web CPU {web:.1f} ms"
            f"  busy {row.get('machine_busy_percent', 0):.0f}%",
            flush=True,
        )
        return result

    def cpu_used(self) -> dict[str, Any]:
        """CPU seconds so far: each process, PostgreSQL, this client, the machine."""
        used = {k: cpu_seconds(p.pid) for k, p in self.processes.items()}
        used["postgres"] = postgres_cpu_seconds()
        used["bench client"] = time.process_time()
        used["machine"] = machine_cpu_seconds()
        return used

    def run(self) -> dict[str, Any]:
        paid, free = self.ids["paid"], self.ids["free"]
        page = f"/register/{paid['key']}/"
        self.measure("warm-up page", get_request(page), clients=8, seconds=1.0)
        self.rows.pop()
        # Each target: its name, its requests in round r, its options.
        targets: list[tuple[str, Any, dict[str, Any]]] = [
            ("bare WSGI", lambda r: get_request("/bench/bare/"), {}),
            (
                "minimal view",
                lambda r: get_request(f"/bench/baseline/{paid['pk']}/"),
                {},
            ),
        ]
        if self.wants("page"):
            targets.append(("registration page GET", lambda r: get_request(page), {}))
        starts = {"paid": page, "free": f"/register/{free['key']}/"}
        for kind, path in starts.items():
            for clients in self.levels if self.wants(kind) else ():
                # A new email for every start of every round.
                prefix = f"{kind}{clients}"
                requests = functools.partial(_starts, path, prefix)
                options = {"clients": clients, "expect": 303, "prime": path}
                targets.append((f"{kind} start, {clients} clients", requests, options))
        rows = self.rounds_of(targets)
        bare, minimal = rows["bare WSGI"], rows["minimal view"]
        if self.wants("page"):
            self.checks["registration_page"] = page_probe(
                app_port=self.app_port,
                minimal=f"/bench/baseline/{paid['pk']}/",
                page=page,
            )
        if self.wants("race"):
            races(self)
        ingest = flash_webhooks.set_aside(self)
        if self.wants("webhooks"):
            flash_webhooks.webhooks(self, ingest)
        # Each part below starts once the workers are idle, as each round
        # does: the emails of the registrants the part before confirmed sent.
        if self.wants("confirmations"):
            self.settle()
            flash_webhooks.confirmations(self)
        # Last: the sandbox answers every API request 0.4 s late from now on.
        if self.wants("latency"):
            self.settle()
        self.control("faults", kind="timeout", count=10**7, delay=LATENCY)
        slow_levels = (*self.levels, CROWD) if not self.quick else (32,)
        for clients in slow_levels if self.wants("latency") else ():
            self.measure(
                f"paid start, sandbox +{LATENCY}s, {clients} clients",
                post_request(page, form_request(f"slow{clients}")),
                clients=clients,
                expect=303,
                prime=page,
            )
        # Confirmations again, each one's read of the payment 0.4 s late.
        if self.wants("latency") and self.wants("confirmations"):
            self.settle()
            flash_webhooks.confirmations(self, slow=True)
        for row in self.rows:
            # The rounds' rows have theirs already (rounds_of).
            row.setdefault(
                "ratio_to_minimal_view",
                round(row["per_second"] / (minimal["per_second"] or 1), 3),
            )
            row.setdefault(
                "ratio_to_bare_wsgi",
                round(row["per_second"] / (bare["per_second"] or 1), 3),
            )
        self.summarise()
        return {"rows": self.rows, "checks": self.checks}

    def rounds_of(
        self, targets: list[tuple[str, Any, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """Measure `targets` self.rounds times, interleaved; keep each one's median.

        The machine's speed drifts between runs and within one (the minimal
        view moved by a tenth within minutes): each round measures every
        target once, each ratio is taken within its round, and the row kept
        is the round whose rate is the median, with the median of the
        ratios. The first two targets are the denominators (bare WSGI, the
        minimal view).
        """
        measured: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in targets}
        for number in range(self.rounds):
            if self.rounds > 1:
                if number:
                    self.settle()
                print(f"  round {number + 1} of {self.rounds}", flush=True)
            for name, requests, options in targets:
                options = {"clients": 8, **options}
                self.measure(name, requests(number), keep=False, **options)
                measured[name].append(self.last_row)
        bare, minimal = measured[targets[0][0]], measured[targets[1][0]]
        kept: dict[str, dict[str, Any]] = {}
        for name, rows in measured.items():
            ratios = [
                (
                    row["per_second"] / (low["per_second"] or 1),
                    row["per_second"] / (floor["per_second"] or 1),
                )
                for row, low, floor in zip(rows, minimal, bare, strict=True)
            ]
            middle = sorted(rows, key=lambda row: row["per_second"])[len(rows) // 2]
            kept[name] = {
                **middle,
                "ratio_to_minimal_view": round(median(r[0] for r in ratios), 3),
                "ratio_to_bare_wsgi": round(median(r[1] for r in ratios), 3),
                "rounds_per_second": [row["per_second"] for row in rows],
                "rounds_ratio_to_minimal_view": [round(r[0], 3) for r in ratios],
            }
            self.rows.append(kept[name])
        if self.rounds > 1:
            for name, row in kept.items():
                print(
                    f"  median of {self.rounds}: {name:<32}{row['per_second']:>9.1f}/s"
                    f"  {row['ratio_to_minimal_view']:.3f} of the minimal view"
                    f"  (rounds: {', '.join(map(str, row['rounds_per_second']))})",
                    flush=True,
                )
        return kept

    def settle(self, *, busy: float = 0.05, longest: float = 120.0) -> None:
        """Wait until the workers are idle: the emails of free starts sent.

        A round's free starts (and the confirmations) leave each its email to
        send; what is measured next must not share the cores with them.
        """
        workers = [k for k in self.processes if k not in ("web", "sandbox")]
        began = time.monotonic()
        while time.monotonic() - began < longest:
            before = {k: cpu_seconds(self.processes[k].pid) for k in workers}
            time.sleep(1.0)
            used = sum(cpu_seconds(self.processes[k].pid) - before[k] for k in workers)
            if used < busy:
                break
        print(f"  workers idle after {time.monotonic() - began:.0f} s", flush=True)

    def wants(self, section: str) -> bool:
        if section == "paid" and self.only & {"webhooks", "confirmations"}:
            return True  # their events are those of the paid starts' sessions
        return not self.only or section in self.only

    def summarise(self) -> None:
        """The issue's figures, each as a ratio where it asks for one."""
        rows = {row["name"]: row for row in self.rows}
        top = max(self.levels)
        fast = rows.get(f"paid start, {top} clients", {})
        slow = rows.get(f"paid start, sandbox +{LATENCY}s, {top} clients", {})
        crowd = rows.get(f"paid start, sandbox +{LATENCY}s, {CROWD} clients", {})
        self.checks["summary"] = {
            "race": self.checks.get("race", {}).get("summary"),
            "registration_page_ratio": rows.get("registration page GET", {}).get(
                "ratio_to_minimal_view"
            ),
            "cpu_ms_per_paid_start": {
                name: row.get("cpu_ms_per_ok", {})
                for name, row in rows.items()
                if name.startswith("paid start")
            },
            "cpu_ms_per_free_start": {
                name: row.get("cpu_ms_per_ok", {})
                for name, row in rows.items()
                if name.startswith("free start")
            },
            "paid_start_ratio": fast.get("ratio_to_minimal_view"),
            f"latency_{LATENCY}s_at_{top}_ratio_to_zero_latency": round(
                slow.get("per_second", 0) / (fast.get("per_second") or 1), 2
            ),
            f"latency_{LATENCY}s_at_{top}_p99_ms": slow.get("p99_ms"),
            # What 64 clients each waiting LATENCY s can send at most.
            f"latency_{LATENCY}s_at_{top}_ratio_to_clients_ceiling": round(
                slow.get("per_second", 0) * LATENCY / top, 2
            ),
            **flash_webhooks.summary(self.checks, rows),
        }
        if crowd:
            self.checks["summary"] |= {
                f"latency_{LATENCY}s_at_{CROWD}_ratio_to_zero_latency_at_{top}": round(
                    crowd["per_second"] / (fast.get("per_second") or 1), 2
                ),
                f"latency_{LATENCY}s_at_{CROWD}_p99_ms": crowd.get("p99_ms"),
            }
        print("summary:", json.dumps(self.checks["summary"], indent=2), flush=True)


def _starts(path: str, prefix: str, number: int) -> Any:
    """Registration starts on `path` in round `number`, each with its own email."""
    return post_request(path, form_request(f"{prefix}r{number}"))


def run(
    *,
    workdir: Path,
    quick: bool,
    only: frozenset[str] = frozenset(),
    rounds: int | None = None,
) -> dict[str, Any]:
    """Run the flash-sale benchmark; raise Failed on errors or oversold seats."""
    bench = Bench(workdir, quick=quick, only=only, rounds=rounds)
    try:
        bench.start()
        result = bench.run()
    finally:
        bench.stop()
    if bench.autovacuum is not None and bench.autovacuum.running:
        result["autovacuum_done_by_the_bench"] = bench.autovacuum.runs
    errors = [
        row
        for row in result["rows"]
        if row["errors"] and not row.get("errors_are_full_pages")
    ]
    load = os.getloadavg()
    web = procfile_web_command("bench.wsgi:application", 0)
    result.update(
        {
            "server": "gunicorn as the Procfile's web: "
            + " ".join(web[web.index("--worker-class") :])
            + "; PostgreSQL, Redis, "
            "the Procfile's Celery workers (events, worker), "
            "sandbox in its own gunicorn (1 gevent worker)",
            "quick": quick,
            "load_average_after": [round(x, 2) for x in load],
        }
    )
    if errors:
        raise Failed(f"errors in: {', '.join(row['name'] for row in errors)}")
    return result
