"""Celery tasks of the registration flow: the seat and checkout sweeps."""

from celery import shared_task

from registrations import services


@shared_task(ignore_result=True)
def release_expired_holds() -> int:
    """Release seat holds whose checkout was never paid (every minute)."""
    return services.release_expired_holds()


@shared_task(ignore_result=True)
def reconcile_checkouts() -> int:
    """Ask Stripe about checkouts past expiry, so a lost webhook loses nothing."""
    return services.reconcile_checkouts()
