"""The Content-Security-Policy middleware (django-csp 4), aware of the Stripe sandbox.

`CONTENT_SECURITY_POLICY` in config/settings.py holds the policy. A form POST that
answers with a redirect to Stripe (Checkout, Account Links, OAuth) needs Stripe's
origin in `form-action`; with the sandbox, that origin is the one of
`STRIPE_API_BASE`, which tests change at run time, so it is read per request.
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


class StripeAwareCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the Stripe origins of the moment in form-action."""

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
