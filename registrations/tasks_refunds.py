"""Background work for refunds: sending them to Stripe, with retries."""

from celery import Task, shared_task

from registrations import refunds

RETRY_DELAY_SECONDS = 60


@shared_task(bind=True, max_retries=30, acks_late=True)
def submit_refund_task(self: Task, refund_id: int) -> str:
    """Send one requested refund to Stripe; retry while Stripe is unavailable."""
    refund = refunds.submit_refund(refund_id=refund_id)
    if refund.status == refund.Status.REQUESTED:
        raise self.retry(countdown=RETRY_DELAY_SECONDS)
    return refund.status


@shared_task(bind=True, max_retries=60, acks_late=True)
def run_cancellation_refunds(self: Task, key: str) -> int:
    """Send the refunds of a cancellation; a rerun resumes where it stopped."""
    remaining = refunds.send_cancellation_refunds(key=key)
    if remaining:
        raise self.retry(countdown=RETRY_DELAY_SECONDS)
    return remaining


@shared_task
def retry_requested_refunds() -> int:
    """Periodically resubmit refunds that Stripe could not take yet."""
    return refunds.retry_requested_refunds()
