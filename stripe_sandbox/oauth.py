"""Stripe Connect OAuth: the consent page, authorization codes, deauthorize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import pages
from .accounts import AccountsMixin
from .core import ApiRoute
from .errors import ApiError, OAuthError, invalid
from .objects import PLATFORM_ACCOUNT, PLATFORM_NAME, new_id
from .web import Response, html_response, redirect, with_query

OAUTH_CODE_LIFETIME = 300


class OAuthMixin(AccountsMixin):
    """Link accounts to the platform through Stripe's OAuth flow."""

    def check_oauth_request(self, params: dict[str, Any]) -> None:
        """Validate `/oauth/authorize` parameters before showing consent."""
        if params.get("response_type") != "code":
            raise OAuthError(
                "unsupported_response_type", "Only response_type=code is supported."
            )
        if params.get("client_id") != self.startup.client_id:
            raise OAuthError(
                "invalid_client", f"No such application: '{params.get('client_id')}'"
            )
        if params.get("scope", "read_only") not in ("read_only", "read_write"):
            raise OAuthError("invalid_scope", "Invalid scope: use read_write.")
        redirect_uri = params.get("redirect_uri") or ""
        if not redirect_uri.startswith(("http://", "https://")):
            raise OAuthError("invalid_request", "A valid redirect_uri is required.")

    def authorize(
        self, *, scope: str, account_id: str | None, business_name: str
    ) -> str:
        """Link an account (new, or an existing test account) and return a code."""
        if account_id:
            acct = self.store.get(account_id, PLATFORM_ACCOUNT)
            if (
                acct is None
                or acct["object"] != "account"
                or acct["id"] == PLATFORM_ACCOUNT
            ):
                raise invalid("No such account", param="account")
            acct["_connected"] = True
            self.store.put(acct, PLATFORM_ACCOUNT)
        else:
            acct = self.create_account(business_name=business_name or "Sandbox Account")
        self.emit(
            "account.application.authorized", self.application(), account=acct["id"]
        )
        code = {
            "id": new_id("ac_", 32),
            "object": "oauth_code",
            "account": acct["id"],
            "scope": scope,
            "created": self.now(),
            "used": False,
        }
        self.store.put(code, PLATFORM_ACCOUNT)
        return code["id"]

    def connectable_accounts(self) -> list[dict[str, Any]]:
        """Return test accounts a person may pick on the consent page."""
        return [
            acct
            for acct in self.store.all("account", PLATFORM_ACCOUNT)
            if acct["id"] != PLATFORM_ACCOUNT
        ]

    def oauth_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """Exchange an authorization code for the connected account's id."""
        if params.get("grant_type") != "authorization_code":
            raise OAuthError(
                "unsupported_grant_type",
                f"Unsupported grant type: {params.get('grant_type')}",
            )
        code_id = params.get("code") or ""
        code = self.store.get(code_id, PLATFORM_ACCOUNT)
        if code is None or code["object"] != "oauth_code":
            raise OAuthError(
                "invalid_grant", f"Authorization code does not exist: {code_id}"
            )
        if code["used"]:
            raise OAuthError(
                "invalid_grant",
                f"This authorization code has already been used: {code_id}",
            )
        if self.now() - code["created"] > OAUTH_CODE_LIFETIME:
            raise OAuthError("invalid_grant", f"Authorization code expired: {code_id}")
        code["used"] = True
        self.store.put(code, PLATFORM_ACCOUNT)
        return {
            "access_token": new_id("sk_test_", 40),
            "livemode": False,
            "refresh_token": new_id("rt_", 40),
            "scope": code["scope"],
            "stripe_publishable_key": new_id("pk_test_", 40),
            "stripe_user_id": code["account"],
            "token_type": "bearer",
        }

    def oauth_deauthorize(self, params: dict[str, Any]) -> dict[str, Any]:
        """Unlink an account through `/oauth/deauthorize`."""
        account_id = params.get("stripe_user_id") or ""
        if params.get("client_id") != self.startup.client_id:
            raise OAuthError(
                "invalid_client",
                f"No such application: '{params.get('client_id')}'",
                status=401,
            )
        try:
            self.check_account(account_id)
        except ApiError:
            raise OAuthError(
                "invalid_client",
                f"This application is not connected to stripe account {account_id}, "
                "or that account does not exist.",
                status=401,
            ) from None
        self.deauthorize(account_id)
        return {"stripe_user_id": account_id}


API_ROUTES: list[ApiRoute] = [
    ("POST", r"/oauth/token", lambda s, c, p: s.oauth_token(p)),
    ("POST", r"/oauth/deauthorize", lambda s, c, p: s.oauth_deauthorize(p)),
]


def consent_page(
    sandbox: OAuthMixin,
    run: Callable[[Callable[[], Any]], Any],
    method: str,
    params: dict[str, Any],
) -> Response:
    """Answer `/oauth/authorize`: show the consent page, then redirect back.

    `run` runs an operation in one store transaction and delivers its events.
    """
    try:
        sandbox.check_oauth_request(params)
    except OAuthError as error:
        return html_response(400, pages.message("Connect failed", error.description))
    if method != "POST":
        accounts = run(sandbox.connectable_accounts)
        page = pages.consent(params, platform_name=PLATFORM_NAME, accounts=accounts)
        return html_response(200, page)
    state = {"state": params["state"]} if params.get("state") else {}
    if params.get("decision") != "authorize":
        return redirect(
            with_query(
                params["redirect_uri"],
                {
                    "error": "access_denied",
                    "error_description": "The user denied your request",
                    **state,
                },
            ),
            302,
        )
    code = run(
        lambda: sandbox.authorize(
            scope=params.get("scope", "read_only"),
            account_id=params.get("account") or None,
            business_name=params.get("business_name") or "",
        )
    )
    query = {"code": code, "scope": params.get("scope", "read_only"), **state}
    return redirect(with_query(params["redirect_uri"], query), 302)
