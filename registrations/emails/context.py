"""What an email's templates are given: links, sessions, amounts, notices.

Templates live in templates/emails/<kind>.txt and <kind>.html and render in
the recipient's language (registrants: their own; organizers: the site's).
"""

from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from babel.dates import format_timedelta
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import Refund
from payments.money import babel_locale, format_money
from registrations.answers import answers_of
from registrations.hooks import watch_link_providers
from registrations.models import ORGANIZER_KINDS, EmailLog, RefundRequest, Registrant
from registrations.moments import span_text
from registrations.purchase import (
    available_until,
    cancel_terms,
    purchase_kind,
    sells_recording,
)
from registrations.refunds.ledger import refunded_to
from webinars.models import Session, Webinar
from webinars.templatetags.console_time import zone_label

Kind = EmailLog.Kind

UNSUBSCRIBABLE = frozenset(
    {Kind.REMINDER, Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT}
)
UNSUBSCRIBE_SALT = "tessera.emails.unsubscribe"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}

# Emails that carry the registrant's personal watch link when there is one:
# follow-ups (the session's video), confirmations and approvals (session None:
# the replay or on-demand video bought).
WATCH_LINK_KINDS = frozenset(
    {
        Kind.FOLLOWUP_ATTENDED,
        Kind.FOLLOWUP_ABSENT,
        Kind.CONFIRMATION,
        Kind.APPROVED,
        Kind.ALREADY_REGISTERED,
    }
)
# Emails about what was bought: dates or the video, calendar, cancel terms.
PURCHASE_KINDS = frozenset({Kind.CONFIRMATION, Kind.APPROVED, Kind.AWAITING_APPROVAL})
REFUND_KINDS = frozenset(
    {Kind.DENIED, Kind.REFUND, Kind.AUTO_REFUNDED, Kind.ORGANIZER_AUTO_REFUNDED}
)


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def join_url(registrant: Registrant) -> str:
    return site_url(reverse("registrations:join", args=[registrant.join_token]))


def cancel_url(registrant: Registrant) -> str:
    return site_url(
        reverse("registrations:self_cancel", args=[registrant.cancel_token])
    )


def refunds_url(webinar: Webinar) -> str:
    return site_url(reverse("registrations:refunds_overview", args=[webinar.pk]))


def unsubscribe_token(registrant: Registrant) -> str:
    return signing.dumps(registrant.pk, salt=UNSUBSCRIBE_SALT)


def registrant_from_unsubscribe_token(token: str) -> Registrant | None:
    """Return the registrant named by an unsubscribe token, or None if invalid."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Registrant.objects.filter(pk=pk).first()


def unsubscribe_url(registrant: Registrant) -> str:
    return site_url(
        reverse("registrations:email_unsubscribe", args=[unsubscribe_token(registrant)])
    )


def history_url(registrant: Registrant) -> str:
    return site_url(
        reverse(
            "registrations:email_history",
            args=[registrant.webinar_id, registrant.pk],
        )
    )


def language_of(registrant: Registrant, kind: str) -> str:
    if kind in ORGANIZER_KINDS:
        return settings.LANGUAGE_CODE
    language = (registrant.language or "").split("-")[0].lower()
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def cached(cache: dict | None, key: tuple, compute: Any) -> Any:
    """Return cache[key], computing and storing it first when missing."""
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def describe_session(
    session: Session, webinar: Webinar, language: str, cache: dict | None = None
) -> str:
    """Return e.g. 'Tuesday, 3 June 2025, 2:00 pm – 3:00 pm (Europe/Paris, UTC+02:00)'.

    The zone's offset at the start goes with its name (the console's zone
    label), so that a reader elsewhere can work out their own time.
    """

    def describe() -> str:
        span = span_text(session.starts_at, session.ends_at, webinar, language)
        return f"{span} ({zone_label(webinar.timezone, session.starts_at)})"

    key = ("when", session.pk, session.starts_at, session.ends_at, language)
    return cached(cache, key, describe)


def organizer_name(webinar: Webinar) -> str:
    return webinar.owner.user.get_full_name() or webinar.account.name


def from_address(webinar: Webinar) -> str:
    """DEFAULT_FROM_EMAIL's address with the organizer's name as display name."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"
    username, _at, domain = address.rpartition("@")
    return str(
        Address(display_name=organizer_name(webinar), username=username, domain=domain)
    )


def webinar_sessions(webinar: Webinar, cache: dict | None) -> list[Session]:
    return cached(cache, ("sessions", webinar.pk), lambda: list(webinar.sessions.all()))


def sessions_for(registrant: Registrant, *, cache: dict | None = None) -> list[Session]:
    """The sessions the registrant attends, cancelled ones left out."""
    if registrant.session_id:
        chosen = [registrant.session]
    else:
        chosen = webinar_sessions(registrant.webinar, cache)
    return [s for s in chosen if s.cancelled_at is None]


def watch_link(
    registrant: Registrant, session: Session | None, cache: dict | None = None
) -> str | None:
    """Return the first watch link a provider gives, or None.

    `cache`: the batch's dict (see `cached`), the providers' memo.
    """
    # The console's sample registrant (previews, unsaved) gets a placeholder.
    for provider in watch_link_providers:
        link = provider(registrant, session, cache)
        if link:
            return link
    return None


def watch_for(
    registrant: Registrant,
    kind: str,
    session: Session | None,
    cache: dict | None = None,
) -> str | None:
    """Return the watch link an email of this kind carries, or None."""
    if kind not in WATCH_LINK_KINDS:
        return None
    if kind in (Kind.CONFIRMATION, Kind.APPROVED, Kind.ALREADY_REGISTERED):
        # The video bought (replay, on demand), not a session's.
        session = None
    return watch_link(registrant, session, cache)


@dataclass(frozen=True)
class EmailSpec:
    """One email to render: for whom, which kind, about what, in which language."""

    registrant: Registrant
    kind: str
    session: Session | None = None
    variant: int = 0
    language: str = ""
    # The personal watch link, when the kind carries one.
    watch: str | None = None

    @classmethod
    def of(
        cls,
        registrant: Registrant,
        kind: str,
        *,
        session: Session | None = None,
        variant: int = 0,
        language: str | None = None,
        cache: dict | None = None,
    ) -> "EmailSpec":
        """Return the spec of an email, in the recipient's language by default.

        `cache`: the batch's dict, if any (the watch link's providers use it).
        """
        return cls(
            registrant=registrant,
            kind=kind,
            session=session,
            variant=variant,
            language=language or language_of(registrant, kind),
            watch=watch_for(registrant, kind, session, cache),
        )

    def shape(self, name: str) -> tuple:
        """Return the cache key of a bulk email's shape: what its template sees."""
        registrant = self.registrant
        return (
            name,
            self.kind,
            registrant.webinar_id,
            self.session.pk if self.session else 0,
            registrant.session_id,
            self.variant,
            self.language,
            registrant.amount,
            registrant.currency,
            bool(self.watch),
        )


def refund_details(registrant: Registrant, variant: int) -> dict[str, Any]:
    """Amount refunded (this refund, or all so far) and the reason given."""
    payment = registrant.payment
    currency = (payment.currency if payment else registrant.currency) or "EUR"
    refund = None
    if payment is not None and payment.pk:
        refunds = Refund.objects.filter(payment=payment)
        refund = (refunds.filter(pk=variant) if variant else refunds).first()
    if refund is not None:
        amount = refund.amount
    elif payment is not None and payment.amount_refunded:
        amount = payment.amount_refunded
    else:
        amount = registrant.amount
    return {
        "amount": amount,
        "currency": currency.upper(),
        "reason": refund.reason_text if refund else "",
    }


def default_followup_text(kind: str) -> str:
    if kind == Kind.FOLLOWUP_ATTENDED:
        return str(
            _(
                "Thank you for joining us. We hope the session was useful; "
                "reply to this email if you have any question."
            )
        )
    return str(
        _(
            "We are sorry you could not make it. Reply to this email if you "
            "have any question, or register for a next session."
        )
    )


# The organizer's notices about refunds and disputes: one text each, filled
# in from the refund, request or payment the row's variant names.
NOTICE_TEXTS = {
    Kind.REFUND_FAILED: _(
        "The refund of %(amount)s to %(who)s for “%(title)s” failed.\n"
        "Stripe's reason: %(reason)s\n\n"
        "The amount can be refunded again from the console:\n%(url)s\n"
    ),
    Kind.REFUND_REQUEST: _(
        "%(who)s asks for a refund for “%(title)s”.\n\n%(message)s\n\n"
        "Answer in the console:\n%(url)s\n"
    ),
    Kind.DISPUTE_OPENED: _(
        "%(who)s disputed their payment of %(amount)s for “%(title)s” "
        "(reason: %(reason)s). Respond in your Stripe dashboard.\n"
    ),
    Kind.DISPUTE_CLOSED: _(
        "The dispute of %(who)s's payment of %(amount)s for “%(title)s” "
        "is closed: %(status)s.\n"
    ),
}


def notice_values(
    registrant: Registrant, kind: str, variant: int, language: str
) -> dict[str, Any]:
    """Return what a refund or dispute notice says (sample values in previews)."""
    webinar = registrant.webinar
    payment = registrant.payment if registrant.payment_id else None
    amount = payment.amount if payment else registrant.amount
    currency = payment.currency if payment else registrant.currency
    values = {
        "who": registrant.email,
        "title": webinar.title,
        "url": refunds_url(webinar),
        "reason": payment.dispute_reason if payment else "",
        "status": payment.dispute_status if payment else "",
        "message": "",
    }
    if kind == Kind.REFUND_FAILED:
        refund = Refund.objects.filter(pk=variant).first() if variant else None
        if refund is not None:
            amount = refund.amount
        values["reason"] = refund.failure_reason if refund else ""
    if kind == Kind.REFUND_REQUEST:
        request = RefundRequest.objects.filter(pk=variant).first() if variant else None
        values["message"] = request.message if request else ""
    values["amount"] = (
        format_money(amount, currency, language) if amount and currency else ""
    )
    return values


def starts_relative(variant: int, session: Session, language: str) -> str:
    """'in 1 day', 'in 1 hour' from the reminder's offset, localised by Babel."""
    minutes = variant or max(
        int((session.starts_at - timezone.now()).total_seconds() // 60), 1
    )
    return format_timedelta(
        timedelta(minutes=minutes),
        add_direction=True,
        threshold=1.0,
        locale=babel_locale(language),
    )


def bought_together(registrant: Registrant) -> list[Registrant]:
    """Return the other sessions' registrants paid for in the same Checkout."""
    if registrant.pk is None or registrant.payment_id is None:
        return []
    if registrant.session_id is None:
        # A checkout of several sessions has one registrant per session; one
        # for the whole webinar pays for that registrant alone.
        return []
    return list(
        Registrant.objects.filter(payment_id=registrant.payment_id)
        .exclude(pk=registrant.pk)
        .exclude(session=None)
        .select_related("session")
        .order_by("session__starts_at", "pk")
    )


def build_context(
    spec: EmailSpec, *, cache: dict | None, failed: EmailLog | None = None
) -> dict[str, Any]:
    """Return the template context of one email."""
    registrant, kind, session = spec.registrant, spec.kind, spec.session
    variant, language = spec.variant, spec.language
    webinar = registrant.webinar
    session_list = sessions_for(registrant, cache=cache)
    context: dict[str, Any] = {
        "kind": kind,
        "language": language,
        "registrant": registrant,
        "webinar": webinar,
        "organizer_name": organizer_name(webinar),
        "organizer_email": webinar.owner.email,
        "site_url": settings.SITE_URL,
        "session_list": session_list,
        "sessions": [
            {"session": s, "when": describe_session(s, webinar, language, cache)}
            for s in session_list
        ],
        "join_url": join_url(registrant),
        "cancel_url": cancel_url(registrant),
        "amount_paid": (
            format_money(registrant.amount, registrant.currency, language)
            if registrant.amount and registrant.currency
            else ""
        ),
    }
    if session is not None:
        context["session"] = {
            "session": session,
            "when": describe_session(session, webinar, language, cache),
        }
    if kind in UNSUBSCRIBABLE and registrant.pk:
        context["unsubscribe_url"] = unsubscribe_url(registrant)
    if kind == Kind.REMINDER and session is not None:
        context["starts_relative"] = starts_relative(variant, session, language)
    if kind in (Kind.FOLLOWUP_ATTENDED, Kind.FOLLOWUP_ABSENT):
        custom = (
            webinar.followup_attended_text
            if kind == Kind.FOLLOWUP_ATTENDED
            else webinar.followup_absent_text
        )
        context["followup_text"] = custom.strip() or default_followup_text(kind)
    if kind in WATCH_LINK_KINDS:
        context["watch_url"] = spec.watch
    if kind in PURCHASE_KINDS:
        bought = purchase_kind(
            registrant,
            # Read for session_list above (one query per batch and webinar).
            sessions=None
            if registrant.session_id
            else webinar_sessions(webinar, cache),
        )
        context["purchase"] = bought
        context["bought_with"] = [
            describe_session(other.session, webinar, language, cache)
            for other in bought_together(registrant)
        ]
        context["cancel_terms"] = cancel_terms(registrant, language, kind=bought)
        refunded = refunded_to(registrant)
        context["amount_refunded"] = (
            format_money(refunded, registrant.payment.currency, language)
            if refunded
            else ""
        )
        context["can_cancel"] = not sells_recording(bought)
        if sells_recording(bought):
            # A replay or a video: no date, no calendar, no join link.
            context["session_list"] = []
            context["sessions"] = []
            context["available_until"] = available_until(webinar, language)
    if kind in (Kind.PAYMENT_FAILED, Kind.CHECKOUT_EXPIRED):
        context["registration_url"] = (
            site_url(webinar.get_registration_url())
            if webinar.cancelled_at is None
            else ""
        )
    if kind == Kind.CANCELLED:
        context["organizer_cancelled"] = webinar.cancelled_at is not None or (
            session is not None and session.cancelled_at is not None
        )
        # One session of a series is off; the registration itself still holds.
        context["session_only"] = (
            session is not None
            and registrant.status != Registrant.Status.CANCELLED
            and registrant.pk is not None
        )
    if kind in REFUND_KINDS:
        refund = refund_details(registrant, variant if kind == Kind.REFUND else 0)
        context["refund_amount"] = (
            format_money(refund["amount"], refund["currency"], language)
            if refund["amount"]
            else ""
        )
        context["refund_reason"] = refund["reason"]
    if kind in NOTICE_TEXTS:
        values = notice_values(registrant, kind, variant, language)
        context["notice_text"] = str(NOTICE_TEXTS[kind]) % values
        context["dispute_status"] = values["status"]
    if kind == Kind.DELIVERY_FAILED:
        if failed is None and variant:
            failed = EmailLog.objects.filter(pk=variant).first()
        context["failed"] = failed
        context["failed_kind"] = failed.get_kind_display() if failed else ""
    if kind == Kind.NEW_PAID_REGISTRATION:
        context["answers"] = answers_of(registrant, webinar)
        others = bought_together(registrant)
        if others:
            # One notice for a Checkout of several sessions: all of them, and
            # what the Checkout took (one currency: the payment's).
            payment = registrant.payment
            context["amount_paid"] = format_money(
                payment.amount, payment.currency, language
            )
            every = sorted(
                [*session_list, *(other.session for other in others)],
                key=lambda one: (one.starts_at, one.pk),
            )
            context["sessions"] = [
                {"session": s, "when": describe_session(s, webinar, language, cache)}
                for s in every
            ]
    if kind in ORGANIZER_KINDS:
        context["console_url"] = site_url(webinar.get_absolute_url())
        if registrant.pk:
            context["history_url"] = history_url(registrant)
    return context
