"""Notices to the webinar's owner about refunds and disputes, through the outbox."""

from payments.models import Refund
from registrations.emails.outbox import notify_organizer
from registrations.models import EmailLog, RefundRequest, RefundShare, Registrant


def notify_refund_failed(*, refund_id: int) -> None:
    """Tell the webinar's owner that a refund failed, with Stripe's reason."""
    refund = Refund.objects.get(pk=refund_id)
    share = RefundShare.objects.filter(refund=refund).select_related("registrant")
    registrant = next((row.registrant for row in share), None) or (
        Registrant.objects.filter(payment_id=refund.payment_id).order_by("pk").first()
    )
    notify_organizer(
        registrant=registrant,
        kind=EmailLog.Kind.REFUND_FAILED,
        variant=refund.pk,
    )


def notify_refund_request(*, request_id: int) -> None:
    """Tell the webinar's owner that a registrant asks for a refund."""
    request = RefundRequest.objects.select_related("registrant").get(pk=request_id)
    notify_organizer(
        registrant=request.registrant,
        kind=EmailLog.Kind.REFUND_REQUEST,
        variant=request.pk,
    )


def notify_dispute(*, payment_id: int, closed: bool) -> None:
    """Tell the webinar's owner about a dispute opened or closed."""
    kind = EmailLog.Kind.DISPUTE_CLOSED if closed else EmailLog.Kind.DISPUTE_OPENED
    notify_organizer(
        registrant=Registrant.objects.filter(payment_id=payment_id)
        .order_by("pk")
        .first(),
        kind=kind,
    )
