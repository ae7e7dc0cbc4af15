"""The flash-sale benchmark's webhook measurements, and its Celery workers.

- `worker_specs`: the Celery processes of the repository's Procfile (`events`
  and `worker`), run as the Procfile runs them (log level WARNING).
- `webhooks`: webhook ingest, closed loop (32 clients): fresh signed
  `checkout.session.completed` events, then the same again (duplicates).
- `confirmations`: paid registrants confirmed within 5 s at 50 events/s,
  open loop; the acknowledgement's p99 there is the latency figure (the
  closed loop's p99 is its own queue: mean latency = clients / throughput).
- `summary`: the issue's webhook figures for the run's summary.
"""

from __future__ import annotations

import http.client
import os
import sys
import threading
import time
from typing import Any

from bench.flash_setup import (
    HISTORY_ACCOUNT,
    Failed,
    cpu_seconds,
    expand,
    procfile_commands,
    signed_event,
)

# Paid registrants confirmed from their webhook, events posted at this rate.
CONFIRM_RATE = 50
CONFIRM_EVENTS, CONFIRM_EVENTS_QUICK = 250, 50
CONFIRM_WITHIN = 5.0
POSTING_THREADS = 8
WORKERS = ("events", "worker")
QUEUES = ("stripe-events", "celery")


def worker_specs(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The Procfile's Celery processes, as Bench.start's process specs."""
    commands = procfile_commands()
    specs = {}
    for name in WORKERS:
        args = expand(commands[name], env)
        prefix = []
        if args[0] == "nice":  # `nice -n N celery ...`
            prefix, args = args[:3], args[3:]
        if args[0] != "celery":
            raise Failed(f"Procfile {name}: not a celery command: {args}")
        args = [*prefix, sys.executable, "-m", "celery", *args[1:]]
        if "--loglevel" in args:
            args[args.index("--loglevel") + 1] = "WARNING"
        specs[name] = {"args": args}
    return specs


def drain_worker(timeout: float = 180) -> float:
    """Wait until the broker's queues are empty; return the seconds waited."""
    import redis

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if not any(broker.llen(queue) for queue in QUEUES):
            time.sleep(1.0)  # the tasks the workers took
            break
        time.sleep(0.5)
    return round(time.monotonic() - began, 1)


def set_aside(bench: Any) -> list[str]:
    """Split the paid starts' Checkout Sessions: the newest for confirmations().

    Set bench.for_confirmation (still pending there) and, when the run has
    its part with Stripe late, bench.for_slow_confirmation; return the
    others, for the ingest measurements.
    """
    from payments.models import Payment

    ids = list(
        Payment.objects.exclude(checkout_session_id="")
        .exclude(stripe_account_id=HISTORY_ACCOUNT)
        .order_by("pk")
        .values_list("checkout_session_id", flat=True)
    )
    wanted = CONFIRM_EVENTS_QUICK if bench.quick else CONFIRM_EVENTS
    parts = 2 if bench.wants("latency") else 1
    keep = min(len(ids) // 2, wanted * parts) // parts
    rest = len(ids) - keep * parts
    bench.for_confirmation = ids[rest : rest + keep]
    bench.for_slow_confirmation = ids[rest + keep :] if parts == 2 else []
    return ids[:rest]


def webhooks(bench: Any, ids: list[str]) -> None:
    """Webhook ingest of these sessions' events: fresh, then duplicates."""
    from payments.models import StripeEvent

    sessions = []
    for session_id in ids[: 300 if bench.quick else 2000]:
        sessions.append(bench.control(f"objects/{session_id}", method="GET"))
    events = [signed_event(s, n, bench.secret) for n, s in enumerate(sessions)]

    def post(index: int, n: int) -> tuple[str, str, Any, dict]:
        body, signature = events[(n - 1) % len(events)]
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": signature,
        }
        return "POST", "/stripe/webhook/", body, headers

    bench.measure(
        "webhook ingest, fresh",
        post,
        clients=32,
        total=len(events),
        seconds=None,
    )
    bench.measure("webhook ingest, duplicate", post, clients=32)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not StripeEvent.objects.filter(processed_at__isnull=True).exists():
            break
        time.sleep(0.5)
    stored = StripeEvent.objects.filter(event_id__startswith="evt_bench_").count()
    waiting = StripeEvent.objects.filter(processed_at__isnull=True).count()
    bench.checks["webhooks"] = {
        "posted": len(events),
        "stored": stored,
        "unprocessed_after_60s": waiting,
    }
    if stored != len(events):
        raise Failed(f"{stored} events stored for {len(events)} posted")


def _pick(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p * len(values)))] if values else 0


def confirmations(bench: Any, *, slow: bool = False) -> None:
    """Paid registrants confirmed within CONFIRM_WITHIN s of their webhook.

    The Checkout Sessions kept aside are paid at the sandbox (its own
    webhooks dropped meanwhile), then their signed
    `checkout.session.completed` events are posted at CONFIRM_RATE per
    second (open loop: each at its time, whatever the answers before it);
    each delay runs from posting the event to the registrant's
    `confirmed_at`, written by a Celery worker.

    `slow`: the sandbox answers late (the run's last part): the worker's
    read of the payment at Stripe waits as long, as it does with Stripe
    itself (0.2-0.5 s), so the events worker's threads are what is measured.
    Its figures go to checks["confirmation_stripe_late"].
    """
    from registrations.models import Registrant

    key = "confirmation_stripe_late" if slow else "confirmation"
    attribute = "for_slow_confirmation" if slow else "for_confirmation"
    session_ids = getattr(bench, attribute, [])
    if not session_ids:
        raise Failed("no pending paid registrant left to confirm")
    # The steady state: the workers first finish what earlier phases
    # queued (the free starts' emails, the fresh events).
    bench.checks["worker_backlog_wait_s"] = drain_worker()
    bench.control("webhooks/drop", count="all")
    sessions = []
    for session_id in session_ids:
        bench.control(f"checkout/sessions/{session_id}/complete", outcome="paid")
        sessions.append(bench.control(f"objects/{session_id}", method="GET"))
    bench.control("webhooks/drop", count=0)
    # Event ids of their own (a second run posting the same ids would be
    # duplicates: acknowledged, never processed).
    first_id = (2 if slow else 1) * 10**7
    events = [
        signed_event(session, first_id + n, bench.secret)
        for n, session in enumerate(sessions)
    ]
    posted: dict[int, float] = {}
    acks: list[float] = []
    # (seconds taken, seconds after the first post) of each acknowledgement.
    slowest: list[tuple[float, float]] = []
    lock = threading.Lock()
    began = time.time() + 0.2

    def post(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", bench.app_port, timeout=30)
        for n in range(index, len(events), POSTING_THREADS):
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
                slowest.append((time.time() - at, at - began))
                if answer.status == 200:
                    registrant = int(sessions[n]["object"]["client_reference_id"])
                    posted[registrant] = at
        conn.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(POSTING_THREADS)]
    cpu_before = _cpu(bench)
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
    cpu_after = _cpu(bench)
    delays = sorted(confirmed[pk] - posted[pk] for pk in confirmed)
    acks.sort()
    bench.checks[key] = {
        "events": len(events),
        "rate_per_second": CONFIRM_RATE,
        "acknowledged": len(posted),
        "confirmed": len(confirmed),
        "within_5_s": sum(1 for d in delays if d <= CONFIRM_WITHIN),
        "delay_p50_s": round(_pick(delays, 0.5), 3),
        "delay_p99_s": round(_pick(delays, 0.99), 3),
        "delay_max_s": round(delays[-1], 3) if delays else None,
        "ack_p50_ms": round(_pick(acks, 0.5) * 1000, 1),
        "ack_p99_ms": round(_pick(acks, 0.99) * 1000, 1),
        # When the slowest came: all at once (a pause) or spread out.
        "ack_slowest_ms_at_s": [
            [round(taken * 1000, 1), round(after, 2)]
            for taken, after in sorted(slowest, reverse=True)[:5]
        ],
        # Until every registrant was confirmed: the events, and the workers'
        # confirmation emails sent meanwhile.
        "cpu_ms_per_event": {
            name: round((cpu_after[name] - cpu_before[name]) / len(events) * 1000, 2)
            for name in cpu_after
        },
    }
    print(f"  {key} at {CONFIRM_RATE} events/s: {bench.checks[key]}", flush=True)
    if len(posted) != len(events):
        raise Failed(f"{len(posted)} of {len(events)} events acknowledged")
    if len(confirmed) != len(posted):
        raise Failed(f"{key}: {len(confirmed)} of {len(posted)} confirmed in 180 s")


def _cpu(bench: Any) -> dict[str, float]:
    return {name: cpu_seconds(p.pid) for name, p in bench.processes.items()}


def summary(checks: dict[str, Any], rows: dict[str, dict]) -> dict[str, Any]:
    """The issue's webhook figures: acknowledgement ratio and p99, confirmations.

    The acknowledgement latency is the open-loop p99 (events at 50/s). The
    closed loop's p99 with 32 clients is mostly their own queue on 2 cores
    (mean latency = clients / throughput), reported as such.
    """
    fresh = rows.get("webhook ingest, fresh", {})
    confirmation = checks.get("confirmation", {})
    late = checks.get("confirmation_stripe_late")
    figures = {
        "webhook_ack_ratio": fresh.get("ratio_to_minimal_view"),
        "webhook_ack_p99_ms_at_50_per_s": confirmation.get("ack_p99_ms"),
        "webhook_ack_p99_ms_closed_loop_32_clients": fresh.get("p99_ms"),
        "confirmed_within_5_s": (
            f"{confirmation.get('within_5_s')} of {confirmation.get('events')}"
        ),
    }
    if late:
        figures["confirmed_within_5_s_stripe_late"] = (
            f"{late.get('within_5_s')} of {late.get('events')}"
            f" (p99 {late.get('delay_p99_s')} s)"
        )
    return figures
