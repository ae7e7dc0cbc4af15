"""Mail to webinar owners about their Stripe connection."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from organizers.models import Organizer
from payments.models import StripeConnection
from webinars.models import Webinar


def send_charges_disabled_emails(*, connection_id: int, webinar_ids: list[int]) -> None:
    """Tell each owner of the affected paid webinars that sales are paused."""
    connection = StripeConnection.objects.get(pk=connection_id)
    by_owner: dict[Organizer, list[Webinar]] = defaultdict(list)
    webinars = Webinar.objects.filter(pk__in=webinar_ids).select_related("owner__user")
    for webinar in webinars.order_by("title"):
        by_owner[webinar.owner].append(webinar)
    for owner, owned in by_owner.items():
        context = {
            "owner": owner,
            "webinars": owned,
            "connection": connection,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string(
            "payments/connect/email/charges_disabled_subject.txt", context
        )
        body = render_to_string("payments/connect/email/charges_disabled.txt", context)
        send_mail(
            " ".join(subject.split()),
            body,
            None,
            [owner.email],
        )
