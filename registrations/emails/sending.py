"""Celery tasks of the email outbox (beat runs them every minute)."""

from celery import shared_task

from registrations import emails, reminders


@shared_task(ignore_result=True)
def send_due_emails() -> int:
    """Send every due email of the outbox; return how many were sent."""
    return emails.send_due_emails().sent


@shared_task(ignore_result=True)
def schedule_reminders() -> int:
    """Queue the reminders whose time has come, then send them."""
    created = reminders.schedule_reminders()
    if created:
        emails.kick_sender()
    return created


@shared_task(ignore_result=True)
def schedule_followups() -> int:
    """Queue the follow-ups of sessions that have ended, then send them."""
    created = reminders.schedule_followups()
    if created:
        emails.kick_sender()
    return created
