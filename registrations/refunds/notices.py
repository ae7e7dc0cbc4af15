"""Notices to the webinar's owner about refunds and disputes."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from payments.models import Payment, Refund
from payments.money import format_money
from registrations.models import RefundRequest, Registrant


def notify_refund_failed(*, refund_id: int) -> None:
    """Tell the webinar's owner that a refund failed, with Stripe's reason."""
    refund = Refund.objects.select_related(
        "payment__webinar__owner__user", "payment__registrant"
    ).get(pk=refund_id)
    payment = refund.payment
    webinar = payment.webinar
    registrant = getattr(payment, "registrant", None)
    who = registrant.email if registrant is not None else payment.pk
    send_mail(
        _("A refund failed: %(title)s") % {"title": webinar.title},
        _(
            "The refund of %(amount)s to %(who)s for “%(title)s” failed.\n"
            "Stripe's reason: %(reason)s\n\n"
            "The amount can be refunded again from the console:\n%(url)s\n"
        )
        % {
            "amount": format_money(refund.amount, payment.currency),
            "who": who,
            "title": webinar.title,
            "reason": refund.failure_reason,
            "url": f"{settings.SITE_URL}/console/webinars/{webinar.pk}/refunds/",
        },
        None,
        [webinar.owner.email],
    )


def notify_refund_request(*, request_id: int) -> None:
    """Tell the webinar's owner that a registrant asks for a refund."""
    request = RefundRequest.objects.select_related(
        "registrant__webinar__owner__user"
    ).get(pk=request_id)
    webinar = request.registrant.webinar
    send_mail(
        _("Refund request: %(title)s") % {"title": webinar.title},
        _(
            "%(who)s asks for a refund for “%(title)s”.\n\n%(message)s\n\n"
            "Answer in the console:\n%(url)s\n"
        )
        % {
            "who": request.registrant.email,
            "title": webinar.title,
            "message": request.message,
            "url": f"{settings.SITE_URL}/console/webinars/{webinar.pk}/refunds/",
        },
        None,
        [webinar.owner.email],
    )


def notify_dispute(*, payment_id: int, closed: bool) -> None:
    """Tell the webinar's owner about a dispute opened or closed."""
    payment = Payment.objects.select_related("webinar__owner__user").get(pk=payment_id)
    registrant = Registrant.objects.filter(payment=payment).first()
    values = {
        "title": payment.webinar.title,
        "who": registrant.email if registrant else payment.pk,
        "amount": format_money(payment.amount, payment.currency),
        "reason": payment.dispute_reason,
        "status": payment.dispute_status,
    }
    if closed:
        subject = _("Dispute closed (%(status)s): %(title)s") % values
        body = _(
            "The dispute of %(who)s's payment of %(amount)s for “%(title)s” "
            "is closed: %(status)s.\n"
        )
    else:
        subject = _("Payment disputed: %(title)s") % values
        body = _(
            "%(who)s disputed their payment of %(amount)s for “%(title)s” "
            "(reason: %(reason)s). Respond in your Stripe dashboard.\n"
        )
    send_mail(subject, body % values, None, [payment.webinar.owner.email])
