"""Connect Onboarding: accounts the platform creates, and Account Links to finish them.

`POST /v1/accounts` creates a Standard account that cannot take charges until
its owner completes onboarding; `POST /v1/account_links` returns a single-use
URL to the hosted onboarding page, which completes (or leaves) onboarding and
sends the person to `return_url`, or to `refresh_url` when the link expired or
was used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import pages
from .core import ApiRoute, Context
from .errors import ApiError, invalid
from .oauth import OAuthMixin
from .objects import PLATFORM_ACCOUNT, new_id
from .params import as_str
from .web import Response, html_response, redirect

# Stripe's Account Links are short-lived and single-use.
ACCOUNT_LINK_LIFETIME = 300
ONBOARDING_PATH = "/setup/s/"


class OnboardingMixin(OAuthMixin):
    """Create connected accounts and onboard them through Account Links."""

    def create_connected_account(
        self, ctx: Context, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Answer `POST /v1/accounts`: a Standard account, not yet onboarded."""
        if ctx.account != PLATFORM_ACCOUNT:
            raise ApiError(
                "Only a platform can create connected accounts.",
                status=403,
                code="account_invalid",
            )
        kind = as_str(params, "type") or "standard"
        if kind != "standard":
            raise invalid(
                f"Invalid type: the sandbox creates standard accounts, not {kind}.",
                param="type",
            )
        profile = params.get("business_profile") or {}
        acct = self.create_account(
            business_name=str(profile.get("name") or ""),
            email=as_str(params, "email"),
            country=(as_str(params, "country") or "US").upper(),
            default_currency=(as_str(params, "default_currency") or "usd").lower(),
            charges_enabled=False,
            details_submitted=False,
        )
        if params.get("metadata"):
            acct["metadata"] = dict(params["metadata"])
            self.store.put(acct, PLATFORM_ACCOUNT)
        return self.render(acct, PLATFORM_ACCOUNT)

    def create_account_link(
        self, ctx: Context, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Answer `POST /v1/account_links` with a single-use onboarding URL."""
        account_id = as_str(params, "account", required=True) or ""
        self.check_account(account_id)
        if as_str(params, "type", required=True) != "account_onboarding":
            raise invalid(
                "Invalid type: the sandbox supports account_onboarding.", param="type"
            )
        urls = {}
        for name in ("refresh_url", "return_url"):
            url = as_str(params, name, required=True) or ""
            if not url.startswith(("http://", "https://")):
                raise invalid(f"Not a valid URL: {name}.", param=name)
            urls[name] = url
        created = self.now()
        token = new_id("", 12)
        self.store.put(
            {
                "id": f"onb_{token}",
                "object": "onboarding_link",
                "account": account_id,
                "expires_at": created + ACCOUNT_LINK_LIFETIME,
                "used": False,
                **urls,
            },
            PLATFORM_ACCOUNT,
        )
        return {
            "created": created,
            "expires_at": created + ACCOUNT_LINK_LIFETIME,
            "object": "account_link",
            "url": f"{ctx.public_url}{ONBOARDING_PATH}{account_id}/{token}",
        }

    def onboarding_link(self, account_id: str, token: str) -> dict[str, Any] | None:
        """Return the stored link, or None if no such link names this account."""
        link = self.store.get(f"onb_{token}", PLATFORM_ACCOUNT)
        if link is None or link["account"] != account_id:
            return None
        return link

    def finish_onboarding(self, link: dict[str, Any], *, complete: bool) -> str:
        """Use the link up; complete onboarding if asked; return where to go."""
        if link["used"] or self.now() > link["expires_at"]:
            return link["refresh_url"]
        link["used"] = True
        self.store.put(link, PLATFORM_ACCOUNT)
        if complete:
            self.update_account(
                link["account"],
                {
                    "details_submitted": True,
                    "charges_enabled": True,
                    "payouts_enabled": True,
                },
            )
            self._clear_requirements(link["account"])
        return link["return_url"]

    def _clear_requirements(self, account_id: str) -> None:
        acct = self.store.get(account_id, PLATFORM_ACCOUNT)
        if acct is None:
            return
        for key in ("requirements", "future_requirements"):
            for due in ("currently_due", "eventually_due", "past_due"):
                acct[key][due] = []
        acct["requirements"]["disabled_reason"] = None
        self.store.put(acct, PLATFORM_ACCOUNT)


API_ROUTES: list[ApiRoute] = [
    ("POST", r"/v1/accounts", lambda s, c, p: s.create_connected_account(c, p)),
    ("POST", r"/v1/account_links", lambda s, c, p: s.create_account_link(c, p)),
]


def onboarding_page(
    sandbox: OnboardingMixin,
    run: Callable[[Callable[[], Any]], Any],
    method: str,
    path: str,
    params: dict[str, Any],
) -> Response:
    """Answer the hosted onboarding page at an Account Link's URL."""
    account_id, _, token = path.removeprefix(ONBOARDING_PATH).partition("/")
    link = run(lambda: sandbox.onboarding_link(account_id, token))
    if link is None:
        return html_response(
            404, pages.message("Link not found", "This onboarding link does not exist.")
        )
    if method == "POST" or link["used"] or sandbox.now() > link["expires_at"]:
        complete = params.get("decision") == "complete"
        target = run(
            lambda: sandbox.finish_onboarding(
                sandbox.onboarding_link(account_id, token) or link, complete=complete
            )
        )
        return redirect(target, 302 if method == "GET" else 303)
    name = run(lambda: sandbox.display_name(account_id))
    return html_response(200, pages.onboarding(account_id=account_id, name=name))
