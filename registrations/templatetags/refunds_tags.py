"""Template helpers of the refund pages: money and the refund policy."""

from django import template

from payments.money import format_money
from registrations.refunds.self_service import policy_text
from webinars.models import Webinar

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    """Format minor units for people: {{ refund.amount|money:payment.currency }}."""
    if amount is None or not currency:
        return ""
    return format_money(amount, currency)


@register.simple_tag
def refund_policy_text(webinar: Webinar) -> str:
    """Return the webinar's refund policy sentence."""
    return policy_text(webinar)
