"""Tell a registrant their checkout ended without a seat.

A held seat goes back when the bank refuses a delayed payment
(``payment_failed``) or when the checkout expires unpaid
(``checkout_expired``). The registrant was told on the processing page to
expect an email, or may believe they are registered: one email says so. None
is sent when they have registered again since (the newer registration speaks
for itself), nor for a checkout they left themselves.
"""

from registrations.emails.outbox import queue_email
from registrations.models import EmailLog, Registrant

Kind = EmailLog.Kind


def registered_again(registrant: Registrant) -> bool:
    """True when the same email started a registration after this one."""
    return (
        Registrant.objects.filter(
            webinar_id=registrant.webinar_id,
            email__iexact=registrant.email,
            pk__gt=registrant.pk,
        )
        .exclude(status=Registrant.Status.EXPIRED)
        .exists()
    )


def tell_checkout_ended(*, registrant: Registrant, failed: bool) -> EmailLog | None:
    """Queue the payment-failed or checkout-expired email, once; None if moot."""
    if registered_again(registrant):
        return None
    kind = Kind.PAYMENT_FAILED if failed else Kind.CHECKOUT_EXPIRED
    return queue_email(registrant=registrant, kind=kind)
