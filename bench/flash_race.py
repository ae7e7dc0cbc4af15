"""The race: 1,000 racers for 50 seats, ten times, each on a fresh webinar.

Each run seeds its own paid webinar of RACE_SEATS seats and sends RACERS
registrations through 64 clients at once. A run passes when exactly RACE_SEATS
racers hold a seat (303 to Checkout), every other one is told the webinar is
full (200), the exact seat count and the seat counter both say RACE_SEATS, and
nothing is oversold. `--quick` runs QUICK_RUNS races of QUICK_RACERS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.flash_setup import (
    Failed,
    cpu_seconds,
    form_request,
    post_request,
    seed_webinar,
)
from bench.load import run_load

if TYPE_CHECKING:
    from bench.flash import Bench

RACE_SEATS = 50
RACE_PRICE = 4900
RACERS, RUNS = 1000, 10
QUICK_RACERS, QUICK_RUNS = 200, 3
CLIENTS = 64


def race_once(bench: Bench, run: int, racers: int) -> tuple[dict[str, Any], Any]:
    """Race `racers` for RACE_SEATS seats of a fresh webinar; return its record."""
    from django.conf import settings

    from registrations.capacity import counted_seats, seats_taken
    from webinars.models import Webinar

    account = settings.DEMO_STRIPE_ACCOUNT
    ids = seed_webinar(f"race{run}", RACE_SEATS, RACE_PRICE, account)
    page = f"/register/{ids['key']}/"
    result = run_load(
        bench.app_port,
        f"race {run}",
        post_request(page, form_request(f"race{run}")),
        clients=CLIENTS,
        total=racers,
        expect=303,
        prime=page,
        tell_errors=False,
    )
    webinar = Webinar.objects.get(pk=ids["pk"])
    taken = seats_taken(webinar=webinar)
    record = {
        "run": run,
        "held": result.ok,
        # Told the webinar is full (200); any other answer is an error.
        "refused": result.statuses[200],
        "errors": result.errors - result.statuses[200],
        "seats_taken": taken,
        "counter": counted_seats(webinar=webinar),
        "oversold": max(0, taken - RACE_SEATS, result.ok - RACE_SEATS),
        "per_second": round(result.per_second, 1),
        "p99_ms": round(result.percentile(99) * 1000, 1),
    }
    if record["errors"]:
        record["error_statuses"] = {
            str(status): count
            for status, count in result.statuses.items()
            if status not in (200, 303)
        }
    print(
        f"  race {run:>2}: {racers} for {RACE_SEATS}  held {record['held']:>3}"
        f"  refused {record['refused']:>4}  errors {record['errors']}  taken {taken:>3}"
        f"  counter {record['counter']:>3}  oversold {record['oversold']}"
        f"  {record['per_second']:>7.1f}/s  p99 {record['p99_ms']:>7.1f} ms",
        flush=True,
    )
    return record, result


def races(bench: Bench) -> dict[str, Any]:
    """Run the races; record them in bench.checks["race"] and one row.

    Raise Failed on an oversold seat or a run that did not hold exactly
    RACE_SEATS seats, each refused racer told the webinar is full.
    """
    racers = QUICK_RACERS if bench.quick else RACERS
    runs = QUICK_RUNS if bench.quick else RUNS
    before = {k: cpu_seconds(p.pid) for k, p in bench.processes.items()}
    records, results = [], []
    for run in range(1, runs + 1):
        record, result = race_once(bench, run, racers)
        records.append(record)
        results.append(result)
    after = {k: cpu_seconds(p.pid) for k, p in bench.processes.items()}
    exact = [
        r
        for r in records
        if r["held"] == RACE_SEATS == r["seats_taken"] == r["counter"]
        and not r["oversold"]
        and not r["errors"]
    ]
    clean = sum(1 for r in records if not r["oversold"])
    summary = f"0 oversold in {clean} of {runs} runs"
    print(f"  race: {summary}, {len(exact)} of {runs} exact", flush=True)
    latencies = sorted(x for result in results for x in result.latencies)
    held = sum(r["held"] for r in records)
    seconds = sum(result.seconds for result in results)
    bench.rows.append(
        {
            "name": f"race: {runs} x {racers} racers for {RACE_SEATS} seats",
            "clients": CLIENTS,
            "ok": held,
            "errors": sum(r["refused"] + r["errors"] for r in records),
            "errors_are_full_pages": len(exact) == runs,
            "seconds": round(seconds, 2),
            "per_second": round(held / seconds, 1) if seconds else 0.0,
            "answers_per_second": round(len(latencies) / seconds, 1) if seconds else 0,
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99_ms": round(latencies[int(0.99 * len(latencies))] * 1000, 1),
            "cpu_ms_per_request": {
                k: round((after[k] - before[k]) / len(latencies) * 1000, 2)
                for k in after
            },
        }
    )
    bench.checks["race"] = checks = {
        "racers": racers,
        "seats": RACE_SEATS,
        "runs": records,
        "oversold": sum(r["oversold"] for r in records),
        "summary": summary,
        "exact_runs": len(exact),
    }
    if clean != runs:
        raise Failed(f"race oversold: {summary}")
    if len(exact) != runs:
        wrong = [r["run"] for r in records if r not in exact]
        raise Failed(f"race: runs {wrong} did not hold exactly {RACE_SEATS} seats")
    return checks
