"""The Content-Security-Policy middleware (django-csp 4), aware of the Stripe sandbox.

`CONTENT_SECURITY_POLICY` in config/settings.py holds the policy. A form POST that
answers with a redirect to Stripe (Checkout, Account Links, OAuth) needs Stripe's
origin in `form-action`; with the sandbox, that origin is the one of
`STRIPE_API_BASE`, which tests change at run time, so it is read per request.

A redirect gets no policy: no document is made of it, so browsers never apply
its header (the form-action that lets a form POST go on to Stripe is the one
of the page that holds the form). Building the header was a few percent of a
registration start's CPU, whose answer is a 303.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def stripe_form_origins() -> list[str]:
    """The origins a form POST may be redirected to for Stripe, from the settings."""
    origins = list(getattr(settings, "CSP_STRIPE_FORM_ORIGINS", []))
    parts = urlsplit(getattr(settings, "STRIPE_API_BASE", "") or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


# Redirects: the statuses whose answer browsers follow rather than show.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class StripeAwareCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the Stripe origins of the moment in form-action."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.status_code in _REDIRECTS:
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        report_only: bool = False,
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        present = {
            *policy.get("DIRECTIVES", {}).get("form-action", []),
            *update.get("form-action", []),
        }
        extra = [o for o in dict.fromkeys(stripe_form_origins()) if o not in present]
        if extra:
            update["form-action"] = [*update.get("form-action", []), *extra]
        parts.update = update
        return parts
