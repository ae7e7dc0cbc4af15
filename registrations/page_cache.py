"""The public registration page, rendered once and served to every visitor.

What the page shows is the same for every anonymous visitor in one language:
the webinar, its sessions, the price, the seats (full or not) and the form.
It is rendered once per (registration key, language) and kept in the cache
for at most PAGE_SECONDS (settings.REGISTRATION_PAGE_CACHE_SECONDS), never
past the next moment it would change by itself (an early-bird tier or a
session ending). What differs per visitor is filled in when it is served:
the CSRF token (a placeholder in the cached text, replaced by this visitor's
own masked token, which also sets the CSRF cookie as the template tag would).

Not cached: a visitor with a session cookie (an organizer, or flash messages
kept in the session), a pending flash message, a query string (a code to
apply), any POST. Saving or deleting a webinar, its sessions, price or tiers,
its account or a Stripe connection forgets the pages concerned (signals, see
registrations.apps); seats taken are at most PAGE_SECONDS old on the page,
and a start that finds the webinar full forgets its page at once. The seat
itself is decided under the capacity lock, so a stale page never oversells.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation

from organizers.models import Account
from payments.models import Price, PriceTier, StripeConnection
from registrations import key_rows
from webinars.models import Session, Webinar

logger = logging.getLogger(__name__)

PAGE_SECONDS = 10
# Stands for the visitor's CSRF token in the cached text.
CSRF_PLACEHOLDER = "tessera-csrf-placeholder-9c1f0b7e"
MESSAGES_COOKIE = "messages"


def page_seconds() -> int:
    """How long a rendered page is served again (0: never cached)."""
    return int(getattr(settings, "REGISTRATION_PAGE_CACHE_SECONDS", PAGE_SECONDS))


def cache_key(registration_key: str, language: str) -> str:
    return f"registration-page:{registration_key}:{language}"


def cacheable(request: HttpRequest) -> bool:
    """Tell whether this request may get (and fill) the shared page."""
    return (
        request.method == "GET"
        and page_seconds() > 0
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def cached_page(request: HttpRequest, registration_key: str) -> HttpResponse | None:
    """Return the page from the cache for this visitor, or None on a miss."""
    if not cacheable(request):
        return None
    html = cache.get(cache_key(registration_key, translation.get_language() or ""))
    if html is None:
        return None
    return _serve(request, html)


def render_page(
    request: HttpRequest,
    registration_key: str,
    template: str,
    context: dict,
    *,
    changes_at: Iterable[datetime | None] = (),
) -> HttpResponse:
    """Render the page; keep it for the next visitors when the request allows.

    `changes_at`: moments at which the page changes by itself (it is not kept
    past the first one still ahead).
    """
    if not cacheable(request):
        return HttpResponse(render_to_string(template, context, request=request))
    html = render_to_string(
        template, {**context, "csrf_token": CSRF_PLACEHOLDER}, request=request
    )
    seconds = float(page_seconds())
    now = timezone.now()
    for moment in changes_at:
        if moment is not None and moment > now:
            seconds = min(seconds, (moment - now).total_seconds())
    if seconds >= 1:
        key = cache_key(registration_key, translation.get_language() or "")
        cache.set(key, html, int(seconds))
    return _serve(request, html)


def _serve(request: HttpRequest, html: str) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def forget_pages(registration_keys: Iterable[str]) -> None:
    """Forget the cached pages of these registration keys, in every language.

    This process also forgets the rows a start read by these keys
    (registrations.key_rows).
    """
    registration_keys = list(registration_keys)
    key_rows.forget(registration_keys)
    keys = [
        cache_key(key, code)
        for key in registration_keys
        for code, _name in settings.LANGUAGES
    ]
    if keys:
        cache.delete_many(keys)


def forgetting(keys_of: Callable[[object], Iterable[str]]) -> Callable[..., None]:
    """A post_save/post_delete receiver forgetting the pages `keys_of(instance)`."""

    def receiver(sender: type, instance: object, **kwargs: object) -> None:
        if kwargs.get("raw"):
            return  # loaddata: nothing is cached for rows being loaded
        forget_pages(keys_of(instance))

    return receiver


def _webinar_keys(**filters: object) -> list[str]:
    return list(
        Webinar.objects.filter(**filters).values_list("registration_key", flat=True)
    )


def connect_signals() -> None:
    """Forget the pages whose content a saved or deleted row changes."""
    receivers = {
        Webinar: lambda webinar: [webinar.registration_key],
        Session: lambda session: _webinar_keys(pk=session.webinar_id),
        Price: lambda price: _webinar_keys(pk=price.webinar_id),
        PriceTier: lambda tier: _webinar_keys(price__pk=tier.price_id),
        Account: lambda account: _webinar_keys(account_id=account.pk),
        StripeConnection: lambda link: _webinar_keys(account_id=link.account_id),
    }
    for model, keys_of in receivers.items():
        receiver = forgetting(keys_of)
        uid = f"registration-page-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
