"""Template helpers of the refund pages: money and the refund policy."""

from django import template

from payments.money import format_money
from registrations.hooks import RegistrationMode
from registrations.purchase import page_policy
from registrations.refunds.policy import policy_text
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


@register.simple_tag
def page_refund_policy(webinar: Webinar, mode: RegistrationMode | None) -> str:
    """The policy the registration page states next to a price.

    `mode`: the page's registration mode, None (or absent from the context,
    as in the organizer's preview of a live webinar) when a session is sold.
    """
    return page_policy(webinar, recording_sold=bool(mode))
