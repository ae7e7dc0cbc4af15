"""Helpers of the registration tests: a paid webinar on the sandbox, webhooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from celery.exceptions import Retry
from django.test import Client
from django.urls import reverse

from payments.models import Payment, Refund
from registrations.models import EmailLog, Registrant, SeatHold
from registrations.refunds.stripe_sync import submit_refund_task
from tests import factories
from tests.sandbox_fixtures import SandboxHandle, WebhookReceiver
from tests.webhook_worker import post_webhook
from webinars.models import Webinar


def make_paid_webinar(
    *,
    owner: Any,
    stripe_account: str,
    amount: int = 5000,
    currency: str = "EUR",
    **kwargs: Any,
) -> Webinar:
    """Return a webinar sold through `stripe_account` at `amount`."""
    webinar = factories.WebinarFactory(owner=owner, account=owner.account, **kwargs)
    factories.PriceFactory(webinar=webinar, amount=amount, currency=currency)
    if not owner.account.stripe_connections.filter(
        disconnected_at__isnull=True
    ).exists():
        factories.StripeConnectionFactory(
            account=owner.account, stripe_account_id=stripe_account
        )
    return webinar


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "discount_code": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def register(client: Client, webinar: Webinar, **overrides: Any) -> Any:
    """Submit the registration form; return the response."""
    return client.post(webinar.get_registration_url(), form_data(**overrides))


def session_id_of(checkout_url: str) -> str:
    """Return the Checkout Session id at the end of a sandbox checkout URL."""
    return urlparse(checkout_url).path.rstrip("/").rsplit("/", 1)[-1]


def success_path(webinar: Webinar, session_id: str) -> str:
    path = reverse("registrations:checkout_success", args=[webinar.registration_key])
    return f"{path}?session_id={session_id}"


def cancel_path(checkout_url: str, sandbox: SandboxHandle) -> str:
    """Press Cancel on the sandbox page; return the app path it sends back to."""
    answer = sandbox.cancel(session_id_of(checkout_url))
    location = urlparse(answer.location or "")
    return f"{location.path}?{location.query}"


def snapshot(webinar: Webinar) -> list[tuple]:
    """Return the observable state of a webinar's registrations, for comparison."""
    rows = []
    for registrant in Registrant.objects.filter(webinar=webinar).order_by("pk"):
        payment = registrant.payment
        holds = SeatHold.objects.filter(registrant=registrant)
        rows.append(
            (
                registrant.email,
                registrant.status,
                payment.status if payment else None,
                payment.amount if payment else None,
                payment.stripe_fee if payment else None,
                bool(payment and payment.payment_intent_id),
                bool(payment and payment.charge_id),
                payment.flagged_reason if payment else None,
                sorted(
                    (h.released_at is not None, h.consumed_at is not None)
                    for h in holds
                ),
                sorted(
                    EmailLog.objects.filter(registrant=registrant).values_list(
                        "kind", flat=True
                    )
                ),
                list(payment.refunds.values_list("amount", "status"))
                if payment
                else [],
            )
        )
    return rows


def pay_a_wrong_amount(client: Client, webinar: Webinar, sandbox: SandboxHandle) -> str:
    """Register and pay while our record says 40.00 and Stripe charges 50.00."""
    session_id = session_id_of(register(client, webinar)["Location"])
    Payment.objects.update(amount=4000)
    sandbox.pay(session_id)
    return session_id


def email_kinds(registrant: Registrant) -> list[str]:
    return sorted(registrant.emails.values_list("kind", flat=True))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


class Webhooks:
    """Receive the sandbox's webhooks and post them, signed, to /stripe/webhook/.

    Deliveries land on a recording receiver; handlers then run inside the
    test's transaction through the test client.
    """

    def __init__(
        self, sandbox: SandboxHandle, receiver: WebhookReceiver, client: Client
    ) -> None:
        self.sandbox = sandbox
        self.receiver = receiver
        self.client = client
        self.done = 0
        sandbox.register_app_webhooks(receiver.url)

    def pending(self) -> list[Any]:
        """Return the deliveries received since the last look."""
        self.sandbox.drain_webhooks()
        with self.receiver.lock:
            deliveries = self.receiver.deliveries[self.done :]
            self.done = len(self.receiver.deliveries)
        return deliveries

    def collect(self, prefix: str = "checkout.session.") -> list[Any]:
        """Return the new deliveries whose type starts with `prefix`."""
        return [d for d in self.pending() if d.json()["type"].startswith(prefix)]

    def skip(self) -> None:
        """Drop the deliveries so far (events the test does not want delivered)."""
        self.pending()

    def post(self, delivery: Any) -> int:
        """Post one delivery; the endpoint's refusal, else the processing outcome."""
        return post_webhook(
            self.client, delivery.body, delivery.headers["stripe-signature"]
        )

    def deliver(self, deliveries: list[Any]) -> list[int]:
        return [self.post(d) for d in deliveries]

    def deliver_all(self, *, order: str = "in_order") -> list[tuple[str, int]]:
        """Post every new delivery to the app; return (event type, status) pairs."""
        deliveries = self.pending()
        if order == "reverse":
            deliveries = list(reversed(deliveries))
        return [(d.json()["type"], self.post(d)) for d in deliveries]


def paid_count(webinar: Webinar) -> int:
    return Payment.objects.filter(webinar=webinar, status=Payment.Status.PAID).count()


def run_refund_tasks() -> list[str]:
    """Do the Celery worker's job: run the queued submit_refund_task of each refund.

    Public pages and webhooks only queue the Stripe call (submit_refund_task);
    tests run it here, where they then look at Stripe's state.
    """
    requested = Refund.objects.filter(status=Refund.Status.REQUESTED).order_by("pk")
    statuses = []
    for refund_id in requested.values_list("pk", flat=True):
        try:
            statuses.append(submit_refund_task.run(refund_id))
        except Retry:
            # Stripe unavailable: the worker would try again later.
            statuses.append(Refund.Status.REQUESTED)
    return statuses


def send_refunds(capture: Any) -> list[str]:
    """Run the queued refund tasks with their after-commit work (emails, notices).

    `capture` is pytest-django's django_capture_on_commit_callbacks.
    """
    with capture(execute=True):
        return run_refund_tasks()
