"""Reminders benchmark: the real outbox path against a raw smtplib loop.

10,000 reminders are queued by ``schedule_reminders`` and sent by
``send_due_emails`` (render, lease, SMTP, mark sent) to a local aiosmtpd sink
running in its own process; then the very same messages are sent again by a
bare ``smtplib`` loop over one connection. The ratio real / raw is the
figure of merit (goal: at least 0.7).

Run alone with ``python -m bench.reminders [--count N] [--json PATH]``, or
call ``run()`` from a process where Django is set up with its tables.
"""

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import bench_webinar, free_port


def serve_sink(port: int) -> None:
    """Accept and count messages; answer "count" lines on stdin (own process)."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    received = [0]

    class CountingHandler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received[0] += 1
            return "250 OK"

    controller = Controller(CountingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(received[0], flush=True)
    controller.stop()


class Sink:
    """The aiosmtpd sink in a process beside the benchmark (its own CPU)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Sink":
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "bench.reminders", "--serve-sink", str(self.port)],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("The SMTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def received(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())


def seed(count: int) -> Any:
    """Create a webinar starting in 30 minutes with ``count`` confirmed registrants."""
    from django.utils import timezone

    from registrations.models import Registrant
    from webinars.models import Session

    now = timezone.now()
    webinar = bench_webinar(
        participant_limit=count,
        registration_limit=count,
        title="Reminder benchmark",
        description="A webinar with many registrants.",
        user={
            "username": f"bench-{now.timestamp()}@example.com",
            "email": "bench-owner@example.com",
            "first_name": "Bench",
            "last_name": "Owner",
        },
    )
    start = now + timedelta(minutes=30)
    session = Session.objects.create(
        webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    registered = now - timedelta(days=3)
    Registrant.objects.bulk_create(
        (
            Registrant(
                webinar=webinar,
                email=f"bench{i}@example.com",
                first_name=f"Reg{i}",
                last_name="Bench",
                language="fr" if i % 3 == 0 else "en",
                status=Registrant.Status.CONFIRMED,
                source=Registrant.Source.FREE,
                confirmed_at=registered,
            )
            for i in range(count)
        ),
        batch_size=1000,
    )
    return session


def use_sink(port: int) -> None:
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False


def prepare_raw(session: Any) -> list[tuple[str, list[str], bytes]]:
    """Build the very messages the real path sends, for the raw loop."""
    from registrations.emails.content import build_message
    from registrations.models import EmailLog

    rows = (
        EmailLog.objects.filter(session=session, kind=EmailLog.Kind.REMINDER)
        .select_related(
            "session",
            "registrant__session",
            "registrant__payment",
            "registrant__webinar__account",
            "registrant__webinar__owner__user",
        )
        .order_by("pk")
    )
    cache: dict = {}
    prepared = []
    for row in rows:
        message = build_message(row, cache=cache)
        prepared.append(
            (
                message.from_email,
                message.recipients(),
                message.message().as_bytes(linesep="\r\n"),
            )
        )
    return prepared


def send_raw(prepared: list[tuple[str, list[str], bytes]], *, port: int) -> float:
    """Send with a bare smtplib loop over one connection; return the seconds."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as raw:
        for from_email, recipients, data in prepared:
            raw.sendmail(from_email, recipients, data)
    return time.perf_counter() - started


def run(*, count: int = 10_000) -> dict[str, Any]:
    """Run both paths and return their rates and the ratio."""
    from registrations.emails import reminders
    from registrations.emails import sending as emails
    from registrations.models import EmailLog

    session = seed(count)
    with Sink() as sink:
        use_sink(sink.port)

        started = time.perf_counter()
        queued = reminders.schedule_reminders()
        schedule_seconds = time.perf_counter() - started
        prepared = prepare_raw(session)
        # The raw loop runs before and after the real path and the two are
        # averaged, so that a change of load on the machine during the run
        # does not favour either side.
        raw_before = send_raw(prepared, port=sink.port)
        started = time.perf_counter()
        report = emails.send_due_emails()
        while report.sent and EmailLog.objects.due().exists():
            report.add(emails.send_due_emails())
        real_seconds = time.perf_counter() - started
        raw_after = send_raw(prepared, port=sink.port)
        raw_seconds = (raw_before + raw_after) / 2
        received = sink.received

    sent = EmailLog.objects.filter(session=session, status=EmailLog.Status.SENT).count()
    real_rate = sent / real_seconds
    raw_rate = len(prepared) / raw_seconds
    return {
        "name": "reminders",
        "messages": count,
        "queued": queued,
        "sent": sent,
        "received_by_sink": received,
        "schedule_seconds": round(schedule_seconds, 3),
        "real_seconds": round(real_seconds, 3),
        "raw_seconds": round(raw_seconds, 3),
        "raw_seconds_before_after": [round(raw_before, 3), round(raw_after, 3)],
        "real_per_second": round(real_rate, 1),
        "raw_per_second": round(raw_rate, 1),
        "ratio": round(real_rate / raw_rate, 3),
        "ratio_with_scheduling": round(
            (sent / (real_seconds + schedule_seconds)) / raw_rate, 3
        ),
    }


def print_result(result: dict[str, Any]) -> None:
    print(
        f"reminders: {result['messages']} messages\n"
        f"  schedule_reminders (queue the outbox rows): "
        f"{result['schedule_seconds']} s\n"
        f"  real path (claim + render + SMTP + mark sent): "
        f"{result['real_per_second']:.0f} msg/s ({result['real_seconds']} s)\n"
        f"  raw smtplib loop, one connection, same messages: "
        f"{result['raw_per_second']:.0f} msg/s ({result['raw_seconds']} s)\n"
        f"  ratio: {result['ratio']:.2f} (goal >= 0.7); "
        f"counting the scheduling too: {result['ratio_with_scheduling']:.2f}"
    )


def setup_standalone_django(workdir: Path) -> None:
    """Set Django up on a throwaway SQLite database with every table created."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["VAR_DIR"] = str(workdir)
    import django
    from django.conf import settings

    django.setup()
    # Tables straight from the models: the benchmark does not depend on
    # migrations being up to date.
    settings.MIGRATION_MODULES = {
        app.label: None for app in django.apps.apps.get_app_configs()
    }
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--serve-sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sink:
        serve_sink(args.serve_sink)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as workdir:
        setup_standalone_django(Path(workdir))
        result = run(count=args.count)
    print_result(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
