"""What changing the account's Stripe scope stops: asked before saving it."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizers.models import Account
from payments.connect.connections import selling_state, with_open_registration
from payments.models import StripeConnection
from webinars.models import Webinar


def stopped_by_scope(account: Account, new_scope: str) -> list[Webinar]:
    """Return the webinars selling now that no connection sells under new_scope."""
    if new_scope == account.stripe_scope:
        return []
    usable = [
        c
        for c in StripeConnection.objects.filter(
            account=account, disconnected_at__isnull=True
        )
        if c.is_usable
    ]
    if new_scope == Account.StripeScope.ORGANIZER:
        sellers = {c.organizer_id for c in usable if c.organizer_id}
    else:
        sellers = {"account"} if any(c.organizer_id is None for c in usable) else set()
    selling = with_open_registration(
        Webinar.objects.filter(account=account, price__enabled=True)
    ).select_related("account", "owner__user")
    stopped = []
    for webinar in selling.order_by("title", "pk"):
        if selling_state(webinar) != "paid":
            continue
        key = (
            webinar.owner_id
            if new_scope == Account.StripeScope.ORGANIZER
            else "account"
        )
        if key not in sellers:
            stopped.append(webinar)
    return stopped


def scope_consequences(account: Account, new_values: dict) -> list[dict]:
    """The organizers hook: warn about the sales a scope change stops."""
    new_scope = new_values.get("stripe_scope")
    # The form has already set the new values on `account`: read the saved one.
    saved = Account.objects.get(pk=account.pk)
    if not new_scope or new_scope == saved.stripe_scope:
        return []
    stopped = stopped_by_scope(saved, new_scope)
    if not stopped:
        return [
            {
                "text": _(
                    "Changing who connects Stripe stops no sale now: no paid "
                    "webinar with open registration depends on it."
                ),
                "items": [],
            }
        ]
    return [
        {
            "text": ngettext(
                "%(count)d paid webinar stops selling: no Stripe account is "
                "connected for it under the new setting. Its registration page "
                "says registration is temporarily unavailable until one is.",
                "%(count)d paid webinars stop selling: no Stripe account is "
                "connected for them under the new setting. Their registration "
                "pages say registration is temporarily unavailable until one is.",
                len(stopped),
            )
            % {"count": len(stopped)},
            "items": [
                f"{webinar.title} ({webinar.owner.display_name})" for webinar in stopped
            ],
        }
    ]
