"""Celery task names are stable: queued messages and beat entries keep resolving."""

from django.conf import settings

from config.celery import app

# Names that messages already queued in Redis, and the beat schedule, refer to.
# A task that moves to another module keeps its name with @shared_task(name=...).
STABLE_NAMES = {
    "api.webhooks.deliver",
    "api.webhooks.send_due_deliveries",
    "payments.events.recover_events",
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
