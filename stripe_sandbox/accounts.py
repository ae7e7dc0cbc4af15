"""Connected accounts: the Standard accounts a platform acts on.

Every account object lives on the platform account; `_connected` records the
platform's OAuth link to it.
"""

from __future__ import annotations

from typing import Any

from .core import ApiRoute, Context, Control
from .errors import ApiError, missing
from .events import EventsMixin
from .objects import PLATFORM_ACCOUNT, PLATFORM_NAME, list_object, new_id, public
from .params import as_bool, flag


def account(
    *,
    account_id: str,
    created: int,
    business_name: str,
    email: str | None,
    country: str = "US",
    default_currency: str = "usd",
    charges_enabled: bool = True,
    details_submitted: bool = True,
    settlement_currency: str | None = None,
) -> dict[str, Any]:
    """Return a Standard connected account."""
    due = [] if charges_enabled else ["external_account", "tos_acceptance.date"]
    requirements = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": None if charges_enabled else "requirements.past_due",
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }
    capability = "active" if charges_enabled else "inactive"
    return {
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": business_name,
            "product_description": None,
            "support_address": None,
            "support_email": email,
            "support_phone": None,
            "support_url": None,
            "url": None,
            "minority_owned_business_designation": None,
        },
        "business_type": "company",
        "capabilities": {"card_payments": capability, "transfers": capability},
        "charges_enabled": charges_enabled,
        "controller": {"type": "account"},
        "country": country,
        "created": created,
        "default_currency": default_currency,
        "details_submitted": details_submitted,
        "email": email,
        "external_accounts": list_object(
            f"/v1/accounts/{account_id}/external_accounts"
        ),
        "future_requirements": {**requirements, "currently_due": [], "past_due": []},
        "id": account_id,
        "metadata": {},
        "object": "account",
        "payouts_enabled": charges_enabled,
        "requirements": requirements,
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": business_name, "timezone": "Etc/UTC"},
            "invoices": {
                "default_account_tax_ids": None,
                "hosted_payment_method_save": "offer",
            },
            "payments": {
                "statement_descriptor": business_name.upper()[:22],
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": created, "ip": "127.0.0.1", "user_agent": None},
        "type": "standard",
        # The platform's OAuth link to this account.
        "_connected": True,
        # Set: charges in other currencies are converted to it (balance.py).
        "_settlement_currency": settlement_currency,
    }


class AccountsMixin(EventsMixin):
    """Create, read, change and unlink connected accounts."""

    def check_account(self, account_id: str) -> dict[str, Any]:
        """Return a connected account the platform may act on, else 403."""
        acct = self.store.get(account_id, PLATFORM_ACCOUNT)
        if acct is None or acct["object"] != "account" or not acct["_connected"]:
            raise ApiError(
                "The provided key 'sk_test_*****' does not have access to account "
                f"'{account_id}' (or that account does not exist). Application "
                "access may have been revoked.",
                status=403,
                code="account_invalid",
            )
        return acct

    def retrieve_account(self, ctx: Context, account_id: str | None) -> dict[str, Any]:
        """Return `/v1/account` (the caller's) or `/v1/accounts/{id}`."""
        target = account_id or ctx.account
        if ctx.account not in (PLATFORM_ACCOUNT, target):
            # A connected account sees only itself.
            raise ApiError(
                f"The account {ctx.account} cannot access account {target}.",
                status=403,
                code="account_invalid",
            )
        return self.render(self.check_account(target), PLATFORM_ACCOUNT)

    def create_account(
        self,
        *,
        business_name: str,
        email: str | None = None,
        country: str = "US",
        default_currency: str = "usd",
        charges_enabled: bool = True,
        details_submitted: bool = True,
        account_id: str | None = None,
        settlement_currency: str | None = None,
    ) -> dict[str, Any]:
        """Create a connected test account already linked to the platform."""
        acct = account(
            account_id=account_id or new_id("acct_1", 16),
            created=self.now(),
            business_name=business_name,
            email=email,
            country=country,
            default_currency=default_currency,
            charges_enabled=charges_enabled,
            details_submitted=details_submitted,
            settlement_currency=settlement_currency,
        )
        return self.store.put(acct, PLATFORM_ACCOUNT)

    def update_account(
        self, account_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Change an account as its owner would, and emit `account.updated`."""
        acct = self.store.get(account_id, PLATFORM_ACCOUNT)
        if acct is None or acct["object"] != "account":
            raise missing("account", account_id)
        previous: dict[str, Any] = {}
        for name in ("charges_enabled", "details_submitted", "payouts_enabled"):
            if name in changes:
                value = as_bool(changes[name], name)
                if acct[name] != value:
                    previous[name] = acct[name]
                    acct[name] = value
        if "charges_enabled" in previous:
            state = "active" if acct["charges_enabled"] else "inactive"
            previous["capabilities"] = dict(acct["capabilities"])
            acct["capabilities"] = {"card_payments": state, "transfers": state}
        if changes.get("business_name"):
            previous["business_profile"] = {"name": acct["business_profile"]["name"]}
            acct["business_profile"]["name"] = changes["business_name"]
            acct["settings"]["dashboard"]["display_name"] = changes["business_name"]
        if changes.get("email"):
            previous["email"] = acct["email"]
            acct["email"] = changes["email"]
        self.store.put(acct, PLATFORM_ACCOUNT)
        if previous:
            self.emit("account.updated", acct, account=account_id, previous=previous)
        return acct

    def deauthorize(
        self, account_id: str, ctx: Context | None = None
    ) -> dict[str, Any]:
        """Unlink an account from the platform and emit the Connect event."""
        acct = self.check_account(account_id)
        acct["_connected"] = False
        self.store.put(acct, PLATFORM_ACCOUNT)
        self.emit(
            "account.application.deauthorized",
            self.application(),
            account=account_id,
            ctx=ctx,
        )
        return acct

    def display_name(self, account_id: str) -> str:
        """Return the business name shown on hosted pages."""
        acct = self.store.get(account_id)
        if acct is None:
            return PLATFORM_NAME
        return acct["settings"]["dashboard"]["display_name"] or account_id

    def application(self) -> dict[str, Any]:
        """Return the platform's Connect application, as account events carry it."""
        return {
            "id": self.startup.client_id,
            "name": PLATFORM_NAME,
            "object": "application",
        }


API_ROUTES: list[ApiRoute] = [
    ("GET", r"/v1/account", lambda s, c, p: s.retrieve_account(c, None)),
    (
        "GET",
        r"/v1/accounts/(?P<id>[^/]+)",
        lambda s, c, p, id: s.retrieve_account(c, id),
    ),
]


def _control_create(sandbox: AccountsMixin, params: dict[str, Any]) -> dict[str, Any]:
    acct = sandbox.create_account(
        business_name=str(params.get("business_name") or "Sandbox Account"),
        email=params.get("email") or None,
        country=str(params.get("country") or "US"),
        default_currency=str(params.get("default_currency") or "usd"),
        charges_enabled=flag(params.get("charges_enabled", True)),
        details_submitted=flag(params.get("details_submitted", True)),
        account_id=params.get("id") or None,
        settlement_currency=params.get("settlement_currency") or None,
    )
    return public(acct)


CONTROLS: list[Control] = [
    (r"accounts", _control_create),
    (r"accounts/(?P<id>[^/]*)", lambda s, p, id: public(s.update_account(id, p))),
    (r"accounts/(?P<id>[^/]*)/deauthorize", lambda s, p, id: public(s.deauthorize(id))),
]
