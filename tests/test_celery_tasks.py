"""Celery task names are stable: queued messages and beat entries keep resolving."""

import shlex
from pathlib import Path

from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent

# Names that messages already queued in Redis, and the beat schedule, refer to.
# A task that moves to another module keeps its name with @shared_task(name=...).
STABLE_NAMES = {
    "api.webhooks.deliver",
    "api.webhooks.send_due_deliveries",
    "payments.events.recover_events",
    "payments.events.drain",
    "payments.events.process_event",
    "payments.events.process_stored_events",
    "payments.connect.sync_connections",
    "registrations.tasks.reconcile_checkouts",
    "registrations.tasks.release_expired_holds",
    "registrations.tasks_email.schedule_followups",
    "registrations.tasks_email.schedule_reminders",
    "registrations.tasks_email.send_due_emails",
    "registrations.tasks_refunds.retry_requested_refunds",
    "registrations.tasks_refunds.run_cancellation_refunds",
    "registrations.tasks_refunds.submit_refund_task",
    "registrations.waitlist.expire_offers",
}


def test_every_stable_task_name_is_registered():
    app.loader.import_default_modules()
    assert set(app.tasks) >= STABLE_NAMES


def test_every_beat_entry_names_a_registered_task():
    registered = set(app.tasks)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= registered
    assert scheduled <= STABLE_NAMES


def test_stripe_events_are_routed_to_their_own_queue():
    app.loader.import_default_modules()
    route = app.amqp.router.route

    def queue_of(name: str) -> str:
        return route({}, name, (), {})["queue"].name

    assert queue_of("payments.events.drain") == "stripe-events"
    assert queue_of("payments.events.process_event") == "stripe-events"
    assert queue_of("payments.events.process_stored_events") == "stripe-events"
    # Everything else, emails first, stays in the default queue.
    assert queue_of("registrations.tasks_email.send_due_emails") == "celery"
    assert queue_of("payments.events.recover_events") == "celery"


def procfile(name: str) -> dict[str, list[str]]:
    lines = (ROOT / name).read_text().splitlines()
    return {
        line.partition(":")[0]: shlex.split(line.partition(":")[2]) for line in lines
    }


def consumed(command: list[str]) -> list[str]:
    return command[command.index("-Q") + 1].split(",")


def test_the_workers_take_stripe_events_before_the_rest():
    """Production: an events worker of its own, and the main worker takes
    events before emails; `make run`: one worker, events first."""
    production = procfile("Procfile")
    assert consumed(production["events"]) == ["stripe-events"]
    assert consumed(production["worker"]) == ["stripe-events", "celery"]
    # Below the web's priority: on a shared machine the web takes the cores first.
    assert production["events"][:4] == ["nice", "-n", "10", "celery"]
    assert production["worker"][:4] == ["nice", "-n", "10", "celery"]
    assert consumed(procfile("Procfile.dev")["worker"]) == ["stripe-events", "celery"]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["queue_order_strategy"] == "priority"
