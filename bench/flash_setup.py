"""The flash-sale benchmark's pieces: databases, processes, seed data, requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shlex
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.common import bench_webinar
from bench.registration import ROOT


class Failed(Exception):
    """An error, an oversold seat or a double effect: the benchmark fails."""


def database_urls(url: str) -> tuple[str, str, str]:
    """Return (admin URL, bench URL, bench database name) for DATABASE_URL."""
    parts = urllib.parse.urlsplit(url)
    name = (parts.path.lstrip("/") or "postgres") + "_bench"
    admin = parts._replace(path="/postgres").geturl()
    return admin, parts._replace(path=f"/{name}").geturl(), name


def fresh_database(url: str) -> str:
    import psycopg

    admin, bench_url, name = database_urls(url)
    parts = urllib.parse.urlsplit(admin)
    conn = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return bench_url


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU time of each process named postgres on this machine, by pid.

    Compare two readings with cpu_delta: a backend that closed between them
    takes its CPU with it (a pool closes an idle connection after a while).
    """
    used = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition(") ")
        if name.endswith("(postgres"):
            fields = rest.split()
            used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def gunicorn_command(module: str, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn gthread, `workers` x `threads` (bench.serving's comparisons)."""
    return [
        *_gunicorn(module, port),
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]


def procfile_commands(path: Any = None) -> dict[str, str]:
    """Return the Procfile's commands by process name."""
    text = (path or ROOT / "Procfile").read_text()
    commands = {}
    for line in text.splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


def expand(command: str, env: dict[str, str]) -> list[str]:
    """Split a Procfile command, expanding $VAR and ${VAR:-default} from env."""

    def value(match: re.Match) -> str:
        name, default = match.group(1) or match.group(3), match.group(2)
        return env.get(name) or (default or "")

    pattern = r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)"
    return shlex.split(re.sub(pattern, value, command))


def procfile_web_command(module: str, port: int) -> list[str]:
    """gunicorn as the Procfile's `web` runs it, serving `module` on `port`.

    The worker class and its options are the Procfile's, each `${NAME:-default}`
    taken from the environment as the shell would.
    """
    args = expand(procfile_commands()["web"], dict(os.environ))
    options = args[2:]  # after `gunicorn config.wsgi`
    kept = []
    while options:
        option, value = options.pop(0), options.pop(0)
        if option not in ("--bind", "--timeout"):  # _gunicorn's own
            kept += [option, value]
    return [*_gunicorn(module, port), *kept]


def sandbox_command(module: str, port: int) -> list[str]:
    """gunicorn for the sandbox: one gevent worker.

    The stand-in for Stripe shares the machine with what is measured, so it
    should cost as little as it can: a gevent worker answered a Checkout
    creation for about a fifth less CPU than gthread with the 80 threads
    that the 64 requests Stripe keeps waiting 0.4 s need, and a waiting
    request holds a greenlet, not a thread. gunicorn's worker patches the
    standard library (sockets, sleep, locks, threads) before the sandbox is
    imported.
    """
    return [
        *_gunicorn(module, port),
        "--worker-class",
        "gevent",
        "--workers",
        "1",
        "--worker-connections",
        "1000",
    ]


def _gunicorn(module: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        module,
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        "--log-level",
        "warning",
    ]


def seed(stripe_account: str) -> dict[str, Any]:
    """The hot webinars: one paid, one free (the race makes its own).

    Then past webinars and their registrants, and the statistics PostgreSQL
    keeps of a database in use (see seed_history).
    """
    ids = {
        name: seed_webinar(name, limit, price, stripe_account)
        for name, limit, price in (
            ("paid", 1_000_000, 4900),
            ("free", 1_000_000, 0),
        )
    }
    seed_history(ids["paid"]["pk"])
    return ids


# The Stripe account of the past's payments: the sandbox has none of them.
HISTORY_ACCOUNT = "acct_history"


def seed_history(webinar_id: int, webinars: int = 20, each: int = 100) -> None:
    """Give the database a past: `webinars` paid webinars of `each` registrants.

    Each past registrant has its payment and its seat hold, as in a database
    in use (payments and holds are kept after the sale), and the tables are
    analysed. A PostgreSQL in production keeps statistics of its tables as
    they grow (autovacuum analyses them); this machine's has autovacuum off,
    and a fresh database has none. Without them the planner cannot tell an
    index on (webinar, email) from one on (webinar, status), both guessed to
    find one row; and with the payments and holds of an empty table it plans
    every lookup of one of them by its key as a read of the whole table (the
    prepared statements and the foreign-key checks keep that plan), so each
    start read every payment and hold the benchmark had made so far.
    """
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from payments.models import Payment
    from registrations.models import Registrant, SeatHold
    from webinars.models import Webinar

    hot = Webinar.objects.get(pk=webinar_id)
    past = [
        Webinar.objects.create(
            account=hot.account,
            owner=hot.owner,
            title=f"Past webinar {number}",
            registration_limit=100,
            timezone="Europe/Paris",
        )
        for number in range(webinars)
    ]
    paid_at = timezone.now() - timedelta(days=30)
    payments = Payment.objects.bulk_create(
        Payment(
            account=hot.account,
            webinar=webinar,
            stripe_account_id=HISTORY_ACCOUNT,
            checkout_session_id=f"cs_history_{webinar.pk}_{number}",
            payment_intent_id=f"pi_history_{webinar.pk}_{number}",
            charge_id=f"ch_history_{webinar.pk}_{number}",
            amount=8000,
            currency="usd",
            status=Payment.Status.PAID,
            paid_at=paid_at,
        )
        for webinar in past
        for number in range(each)
    )
    statuses = [choice for choice, _ in Registrant.Status.choices]
    registrants = Registrant.objects.bulk_create(
        Registrant(
            webinar=payment.webinar,
            payment=payment,
            amount=payment.amount,
            currency=payment.currency,
            email=f"past{number}-{payment.webinar.pk}@example.com",
            first_name="Past",
            last_name=f"Registrant {number}",
            status=statuses[number % len(statuses)],
        )
        for number, payment in enumerate(payments)
    )
    SeatHold.objects.bulk_create(
        SeatHold(
            registrant=registrant,
            expires_at=paid_at + timedelta(minutes=31),
            consumed_at=paid_at,
        )
        for registrant in registrants
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_webinar(
    name: str, limit: int, price: int, stripe_account: str
) -> dict[str, Any]:
    """Create a live webinar of `limit` seats at `price` cents (0: free).

    Return its registration key and pk. `name` makes its owner's user unique.
    """
    from django.utils import timezone

    from payments.models import Price, StripeConnection
    from webinars.models import Session, Webinar

    start = timezone.now().replace(microsecond=0) + timezone.timedelta(days=7)
    webinar = bench_webinar(
        participant_limit=10_000_000,
        registration_limit=limit,
        title=f"Flash sale ({name})",
        description="How fast is fast enough?",
        user={
            "username": f"bench-{name}@example.com",
            "email": f"bench-{name}@example.com",
            "password": "bench-pass-1",
        },
    )
    Webinar.objects.filter(pk=webinar.pk).update(kind=Webinar.Kind.LIVE)
    Session.objects.create(
        webinar=webinar,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=1),
        broadcast_url="https://meet.example.com/bench",
    )
    if price:
        StripeConnection.objects.create(
            account=webinar.account,
            stripe_account_id=stripe_account,
            charges_enabled=True,
            details_submitted=True,
            business_name="Bench Ltd",
        )
        Price.objects.create(
            webinar=webinar, enabled=True, amount=price, currency="EUR"
        )
    return {"key": webinar.registration_key, "pk": webinar.pk}


def form_request(prefix: str) -> Any:
    def request(index: int, n: int) -> tuple[str, str, Any, dict]:
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": "__csrf__",
                "first_name": "Flash",
                "last_name": f"Buyer{index}",
                "email": f"{prefix}-{index}-{n}@example.com",
                "discount_code": "",
            }
        )
        return "POST", "", body, {}

    return request


def post_request(path: str, request: Any) -> Any:
    def wrapped(index: int, n: int) -> tuple[str, str, Any, dict]:
        method, _path, body, headers = request(index, n)
        return method, path, body, headers

    return wrapped


def get_request(path: str) -> Any:
    return lambda index, n: ("GET", path, None, {})


def signed_event(session: dict, n: int, secret: str) -> tuple[bytes, str]:
    import stripe

    body = json.dumps(
        {
            "id": f"evt_bench_{n:08d}",
            "object": "event",
            "type": "checkout.session.completed",
            "account": session["account"],
            "created": int(time.time()),
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": session["object"]},
        }
    ).encode()
    stamp = int(time.time())
    digest = hmac.new(
        secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={stamp},v1={digest}"
