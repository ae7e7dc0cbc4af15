"""The flash-sale benchmark on the production setup (PostgreSQL, Redis, Celery).

Needs DATABASE_URL and REDIS_URL. It recreates the database `<name>_bench` on
DATABASE_URL's server and empties REDIS_URL's database, then runs, each in its
own process: the app under gunicorn as the Procfile does (gthread), a Celery
worker, and the Stripe sandbox (its Django mount alone, under gunicorn, with
STRIPE_API_BASE pointed at it). It measures in one run: the bare WSGI answer
and a minimal view (the denominators), the registration page, paid and free
starts on one hot webinar at 8, 32 and 64 clients, paid starts with the
sandbox answering after 0.4 s, ten 1,000-for-50 races (bench/flash_race.py),
webhook ingest (fresh and duplicate) and the time from payment to confirmation.

`--quick` (CI) runs each target briefly and fails on any error, oversold seat
or double effect, never on speed.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from bench.common import free_port
from bench.flash_probe import page_probe
from bench.flash_race import races
from bench.flash_setup import (
    Failed,
    cpu_seconds,
    form_request,
    fresh_database,
    get_request,
    gunicorn_command,
    post_request,
    seed,
    signed_event,
)
from bench.load import LoadResult, run_load
from bench.registration import ROOT, wait_for

LEVELS = (8, 32, 64)
LATENCY = 0.4
# Paid registrants confirmed from their webhook, events posted at this rate.
CONFIRM_RATE = 50
CONFIRM_EVENTS, CONFIRM_EVENTS_QUICK = 250, 50
CONFIRM_WITHIN = 5.0


class Bench:
    """The processes, the seeded webinars, and the measurements of one run."""

    def __init__(self, workdir: Path, *, quick: bool) -> None:
        self.workdir = workdir
        self.quick = quick
        self.seconds = 3.0 if quick else 8.0
        self.levels = (8, 32) if quick else LEVELS
        self.rows: list[dict[str, Any]] = []
        self.cpu: dict[str, dict[str, float]] = {}
        self.checks: dict[str, Any] = {}
        self.processes: dict[str, subprocess.Popen] = {}

    # -- setup -------------------------------------------------------------------

    def start(self, launch: tuple[str, ...] = ("sandbox", "web", "worker")) -> None:
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
        specs = {
            "sandbox": {
                "args": gunicorn_command(
                    "bench.sandbox_wsgi:application", self.sandbox_port, 1, 80
                ),
                "env": {"DJANGO_SETTINGS_MODULE": "bench.sandbox_settings"},
            },
            "web": {
                # As the Procfile: WEB_WORKERS x WEB_THREADS, 2 x 32 by default.
                "args": gunicorn_command(
                    "bench.wsgi:application",
                    self.app_port,
                    int(os.environ.get("WEB_WORKERS", "2")),
                    int(os.environ.get("WEB_THREADS", "32")),
                )
            },
            "worker": {
                "args": [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    "WARNING",
                    "--concurrency",
                    "2",
                ]
            },
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

    def measure(self, name: str, request: Any, **options: Any) -> LoadResult:
        before = {k: cpu_seconds(p.pid) for k, p in self.processes.items()}
        options.setdefault("seconds", self.seconds)
        result = run_load(self.app_port, name, request, **options)
        after = {k: cpu_seconds(p.pid) for k, p in self.processes.items()}
        row = result.row()
        if result.ok:
            row["cpu_ms_per_ok"] = {
                k: round((after[k] - before[k]) / result.ok * 1000, 2) for k in after
            }
        self.rows.append(row)
        web = row.get("cpu_ms_per_ok", {}).get("web", 0.0)
        print(
            f"  {name:<44}{row['per_second']:>9.1f}/s  p50 {row['p50_ms']:>7.1f} ms"
            f"  p99 {row['p99_ms']:>7.1f} ms  errors {row['errors']}"
            f"  web CPU {web:.1f} ms",
            flush=True,
        )
        return result

    def run(self) -> dict[str, Any]:
        paid, free = self.ids["paid"], self.ids["free"]
        page = f"/register/{paid['key']}/"
        self.measure("warm-up page", get_request(page), clients=8, seconds=1.0)
        self.rows.pop()
        bare = self.measure("bare WSGI", get_request("/bench/bare/"), clients=8)
        minimal = self.measure(
            "minimal view", get_request(f"/bench/baseline/{paid['pk']}/"), clients=8
        )
        self.measure("registration page GET", get_request(page), clients=8)
        self.checks["registration_page"] = page_probe(
            app_port=self.app_port,
            minimal=f"/bench/baseline/{paid['pk']}/",
            page=page,
        )
        for clients in self.levels:
            self.measure(
                f"paid start, {clients} clients",
                post_request(page, form_request(f"paid{clients}")),
                clients=clients,
                expect=303,
                prime=page,
            )
        free_page = f"/register/{free['key']}/"
        for clients in self.levels:
            self.measure(
                f"free start, {clients} clients",
                post_request(free_page, form_request(f"free{clients}")),
                clients=clients,
                expect=303,
                prime=free_page,
            )
        races(self)
        self.webhooks()
        self.confirmations()
        # Last: the sandbox answers every API request 0.4 s late from now on.
        self.control("faults", kind="timeout", count=10**7, delay=LATENCY)
        for clients in self.levels if not self.quick else (32,):
            self.measure(
                f"paid start, sandbox +{LATENCY}s, {clients} clients",
                post_request(page, form_request(f"slow{clients}")),
                clients=clients,
                expect=303,
                prime=page,
            )
        base = minimal.per_second or 1.0
        for row in self.rows:
            row["ratio_to_minimal_view"] = round(row["per_second"] / base, 3)
            row["ratio_to_bare_wsgi"] = round(
                row["per_second"] / (bare.per_second or 1), 3
            )
        self.summarise()
        return {"rows": self.rows, "checks": self.checks}

    def summarise(self) -> None:
        """The issue's figures, each as a ratio where it asks for one."""
        rows = {row["name"]: row for row in self.rows}
        top = max(self.levels)
        fast = rows.get(f"paid start, {top} clients", {})
        slow = rows.get(f"paid start, sandbox +{LATENCY}s, {top} clients", {})
        fresh = rows.get("webhook ingest, fresh", {})
        self.checks["summary"] = {
            "race": self.checks["race"]["summary"],
            "registration_page_ratio": rows["registration page GET"][
                "ratio_to_minimal_view"
            ],
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
            "webhook_ack_ratio": fresh.get("ratio_to_minimal_view"),
            "webhook_ack_p99_ms": fresh.get("p99_ms"),
        }
        print("summary:", json.dumps(self.checks["summary"], indent=2), flush=True)

    def confirmations(self) -> None:
        """Paid registrants confirmed within CONFIRM_WITHIN s of their webhook.

        The Checkout Sessions kept aside are paid at the sandbox (its own
        webhooks dropped meanwhile), then their signed
        `checkout.session.completed` events are posted at CONFIRM_RATE per
        second; each delay runs from posting the event to the registrant's
        `confirmed_at`, written by the Celery worker.
        """
        from registrations.models import Registrant

        session_ids = getattr(self, "for_confirmation", [])
        if not session_ids:
            raise Failed("no pending paid registrant left to confirm")
        # The steady state: the worker first finishes what earlier phases
        # queued (the free starts' emails, the fresh events).
        self.checks["worker_backlog_wait_s"] = self.drain_worker()
        self.control("webhooks/drop", count="all")
        sessions = []
        for session_id in session_ids:
            self.control(f"checkout/sessions/{session_id}/complete", outcome="paid")
            sessions.append(self.control(f"objects/{session_id}", method="GET"))
        self.control("webhooks/drop", count=0)
        events = [
            signed_event(session, 10**7 + n, self.secret)
            for n, session in enumerate(sessions)
        ]
        posted: dict[int, float] = {}
        acks: list[float] = []
        lock = threading.Lock()
        began = time.time() + 0.2

        def post(index: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.app_port, timeout=30)
            for n in range(index, len(events), 8):
                body, signature = events[n]
                delay = began + n / CONFIRM_RATE - time.time()
                if delay > 0:
                    time.sleep(delay)
                at = time.time()
                conn.request(
                    "POST",
                    "/stripe/webhook/",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "Stripe-Signature": signature,
                    },
                )
                answer = conn.getresponse()
                answer.read()
                with lock:
                    acks.append(time.time() - at)
                    if answer.status == 200:
                        registrant = int(sessions[n]["object"]["client_reference_id"])
                        posted[registrant] = at
            conn.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 180
        confirmed: dict[int, float] = {}
        while time.monotonic() < deadline:
            rows = Registrant.objects.filter(
                pk__in=list(posted), confirmed_at__isnull=False
            ).values_list("pk", "confirmed_at")
            confirmed = {pk: at.timestamp() for pk, at in rows}
            if len(confirmed) == len(posted):
                break
            time.sleep(0.25)
        delays = sorted(confirmed[pk] - posted[pk] for pk in confirmed)
        acks.sort()

        def pick(values: list[float], p: float) -> float:
            return values[min(len(values) - 1, int(p * len(values)))] if values else 0

        self.checks["confirmation"] = {
            "events": len(events),
            "rate_per_second": CONFIRM_RATE,
            "acknowledged": len(posted),
            "confirmed": len(confirmed),
            "within_5_s": sum(1 for d in delays if d <= CONFIRM_WITHIN),
            "delay_p50_s": round(pick(delays, 0.5), 3),
            "delay_p99_s": round(pick(delays, 0.99), 3),
            "delay_max_s": round(delays[-1], 3) if delays else None,
            "ack_p99_ms": round(pick(acks, 0.99) * 1000, 1),
        }
        print(
            f"  confirmation at {CONFIRM_RATE} events/s: {self.checks['confirmation']}",
            flush=True,
        )
        if len(posted) != len(events):
            raise Failed(f"{len(posted)} of {len(events)} events acknowledged")

    def drain_worker(self, timeout: float = 180) -> float:
        """Wait until the broker's queue is empty; return the seconds waited."""
        import redis

        broker = redis.Redis.from_url(os.environ["REDIS_URL"])
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if not broker.llen("celery"):
                time.sleep(1.0)  # the tasks the worker took
                break
            time.sleep(0.5)
        return round(time.monotonic() - began, 1)

    def webhooks(self) -> None:
        from payments.models import Payment, StripeEvent

        ids = list(
            Payment.objects.exclude(checkout_session_id="")
            .order_by("pk")
            .values_list("checkout_session_id", flat=True)
        )
        # The newest ones are kept for confirmations(): still pending there.
        wanted = CONFIRM_EVENTS_QUICK if self.quick else CONFIRM_EVENTS
        keep = min(len(ids) // 2, wanted)
        self.for_confirmation = ids[len(ids) - keep :]
        sessions = []
        for session_id in ids[: len(ids) - keep][: 300 if self.quick else 2000]:
            sessions.append(self.control(f"objects/{session_id}", method="GET"))
        events = [signed_event(s, n, self.secret) for n, s in enumerate(sessions)]

        def post(index: int, n: int) -> tuple[str, str, Any, dict]:
            body, signature = events[(n - 1) % len(events)]
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": signature,
            }
            return "POST", "/stripe/webhook/", body, headers

        self.measure(
            "webhook ingest, fresh",
            post,
            clients=32,
            total=len(events),
            seconds=None,
        )
        self.measure("webhook ingest, duplicate", post, clients=32)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not StripeEvent.objects.filter(processed_at__isnull=True).exists():
                break
            time.sleep(0.5)
        stored = StripeEvent.objects.filter(event_id__startswith="evt_bench_").count()
        waiting = StripeEvent.objects.filter(processed_at__isnull=True).count()
        self.checks["webhooks"] = {
            "posted": len(events),
            "stored": stored,
            "unprocessed_after_60s": waiting,
        }
        if stored != len(events):
            raise Failed(f"{stored} events stored for {len(events)} posted")


def run(*, workdir: Path, quick: bool) -> dict[str, Any]:
    """Run the flash-sale benchmark; raise Failed on errors or oversold seats."""
    bench = Bench(workdir, quick=quick)
    try:
        bench.start()
        result = bench.run()
    finally:
        bench.stop()
    errors = [
        row
        for row in result["rows"]
        if row["errors"] and not row.get("errors_are_full_pages")
    ]
    load = os.getloadavg()
    result.update(
        {
            "server": "gunicorn gthread 2 workers x 32 threads, PostgreSQL, Redis, "
            "Celery worker (2), sandbox in its own gunicorn (1 x 80 threads)",
            "quick": quick,
            "load_average_after": [round(x, 2) for x in load],
        }
    )
    if errors:
        raise Failed(f"errors in: {', '.join(row['name'] for row in errors)}")
    return result
