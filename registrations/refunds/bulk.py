"""Cancelling or refunding in full a selection of registrants at once.

The registrant list's bulk "Cancel registration" and "Refund in full". Each
registrant goes through the one-registrant operation
(`organizer_actions.plan_action` to say what it will do, `perform_action` to
do it) in a transaction of its own: its Payment row is locked only while its
Refund row is written, and every refund reaches Stripe after commit, in the
background (`stripe_sync.send_after_commit`), never under a lock.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Refund
from payments.money import format_money
from registrations.models import Registrant
from registrations.refunds.ledger import (
    ACTIVE_REGISTRANT,
    RefundError,
    RefundSummary,
    is_paid,
    read_shares,
    share_summary,
)
from registrations.refunds.organizer_actions import (
    Action,
    ActionPlan,
    perform_action,
    plan_action,
)

# The confirmation's token; each registrant's refund key adds "-<id>" to it,
# which must still fit organizer_actions.TOKEN_RE (64 characters at most).
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,48}$")


class BulkAction(models.TextChoices):
    CANCEL = "cancel", gettext_lazy("Cancel registration")
    REFUND = "refund", gettext_lazy("Refund in full")


@dataclass(frozen=True)
class BulkItem:
    """One selected registrant: what the action does to them, or why nothing."""

    registrant: Registrant
    plan: ActionPlan | None
    reason: str = ""

    @property
    def refund_display(self) -> str:
        if self.plan is None or not self.plan.refund_amount:
            return ""
        return format_money(self.plan.refund_amount, self.registrant.payment.currency)


@dataclass
class BulkPlan:
    """What a bulk action will do, checked but not done yet."""

    action: str
    items: list[BulkItem] = field(default_factory=list)

    @property
    def applies(self) -> list[BulkItem]:
        return [item for item in self.items if item.plan is not None]

    @property
    def skipped(self) -> list[BulkItem]:
        return [item for item in self.items if item.plan is None]

    @property
    def totals(self) -> dict[str, int]:
        """Return what is refunded per currency (never added across currencies)."""
        totals: dict[str, int] = defaultdict(int)
        for item in self.applies:
            if item.plan.refund_amount:
                totals[item.registrant.payment.currency] += item.plan.refund_amount
        return dict(totals)

    @property
    def totals_display(self) -> list[str]:
        totals = self.totals
        return [format_money(totals[currency], currency) for currency in sorted(totals)]

    @property
    def cancels(self) -> int:
        """Return how many registrations the action ends."""
        return sum(1 for item in self.applies if item.plan.cancel)


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int
    # Each refund asked, with whose registration it gives back.
    refunds: list[tuple[Registrant, Refund]]


def plan_one(
    *,
    registrant: Registrant,
    action: str,
    summarize: Callable[[Registrant], RefundSummary] = share_summary,
) -> ActionPlan:
    """Return what the bulk action does to one registrant; raise RefundError.

    Cancel: cancel without refund. Refund in full: what remains of the
    registrant's share; a registration still active is cancelled with it (as
    "Cancel and refund in full" does), one already ended is only refunded.
    `summarize`: as plan_action takes it.
    """
    if action == BulkAction.CANCEL:
        return plan_action(
            registrant=registrant, action=Action.CANCEL_ONLY, summarize=summarize
        )
    if action != BulkAction.REFUND:
        raise RefundError(_("Choose what to do."))
    if registrant.status in ACTIVE_REGISTRANT:
        return plan_action(
            registrant=registrant, action=Action.CANCEL_FULL, summarize=summarize
        )
    amount = summarize(registrant).refundable if is_paid(registrant) else None
    return plan_action(
        registrant=registrant,
        action=Action.REFUND_PARTIAL,
        amount=amount,
        summarize=summarize,
    )


def plan_bulk(*, registrants: Iterable[Registrant], action: str) -> BulkPlan:
    """Say, for each registrant, what the action does or why it leaves them.

    The selection's payments are read at once (read_shares): the same queries
    for one registrant or 500.
    """
    plan = BulkPlan(action=action)
    registrants = list(registrants)
    summarize = read_shares(registrants).summary
    for registrant in registrants:
        try:
            plan.items.append(
                BulkItem(
                    registrant,
                    plan_one(registrant=registrant, action=action, summarize=summarize),
                )
            )
        except RefundError as error:
            plan.items.append(BulkItem(registrant, None, error.message))
    return plan


def perform_bulk(
    *,
    registrants: Iterable[Registrant],
    action: str,
    token: str,
    requested_by: object | None,
) -> BulkResult:
    """Cancel or refund each registrant it applies to; skip the others.

    `token` comes from the confirmation page: each registrant's refund is keyed
    `refund-<token>-<registrant id>`, so submitting the page again refunds
    nobody twice. Each registrant is checked again under its own lock.
    """
    if not TOKEN_RE.match(token or ""):
        raise RefundError(_("This form has expired. Please start again."))
    done, skipped, refunds = 0, 0, []
    for registrant in registrants:
        try:
            plan = plan_one(registrant=registrant, action=action)
            refund = perform_action(
                registrant=registrant,
                action=plan.action,
                amount=plan.refund_amount
                if plan.action == Action.REFUND_PARTIAL
                else None,
                token=f"{token}-{registrant.pk}",
                requested_by=requested_by,
            )
        except RefundError:
            skipped += 1
            continue
        done += 1
        if refund is not None:
            refunds.append((registrant, refund))
    return BulkResult(done=done, skipped=skipped, refunds=refunds)
