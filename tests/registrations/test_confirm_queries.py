"""Confirming a paid registrant costs a fixed, small number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments import webhooks
from payments.models import Payment, StripeEvent
from registrations.models import EmailLog, Registrant
from tests.registrations.checkout_support import register, session_id_of

pytestmark = pytest.mark.django_db

# The worker's whole processing of a stored checkout.session.completed:
# the event read and marked processed (2), the payment found (1), in one
# transaction the rows locked (4), the payment, hold and registrant written
# (3), the connection and the facts read (2), the email queued (1); after
# commit, the confirmed hooks (3: still confirmed, videos, API endpoints).
MAX_CONFIRM_QUERIES = 16


def stored_completed_event(client, webinar, sandbox, receiver, email: str) -> int:
    """Register and pay; store the completed event unprocessed; return its row."""
    session_id = session_id_of(register(client, webinar, email=email)["Location"])
    sandbox.pay(session_id)
    delivery = [d for d in receiver.pending() if d.json()["id"].startswith("evt")][-1]
    response = client.post(
        "/stripe/webhook/",
        data=delivery.body,
        content_type="application/json",
        headers={"Stripe-Signature": delivery.headers["stripe-signature"]},
    )
    assert response.status_code == 200
    return StripeEvent.objects.get(event_id=delivery.json()["id"]).pk


def confirm_queries(event_pk: int, capture) -> tuple[list[str], int]:
    """The statements of the worker's processing, after-commit work included,
    and how many transactions (savepoints here) it opened."""
    with (
        CaptureQueriesContext(connection) as queries,
        capture(execute=True),
    ):
        assert webhooks.process_stored(event_pk) == 200
    statements = [q["sql"] for q in queries.captured_queries]
    # Savepoints stand for the BEGIN and COMMIT of the worker's transaction.
    savepoints = sum(sql.startswith("SAVEPOINT") for sql in statements)
    return [
        sql
        for sql in statements
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ], savepoints


def test_confirming_a_paid_registrant_costs_a_fixed_number_of_queries(
    client, paid_webinar, stripe_sandbox, webhooks, django_capture_on_commit_callbacks
):
    warm = stored_completed_event(
        client, paid_webinar, stripe_sandbox, webhooks, "warm@example.com"
    )
    confirm_queries(warm, django_capture_on_commit_callbacks)
    event_pk = stored_completed_event(
        client, paid_webinar, stripe_sandbox, webhooks, "ada@example.com"
    )

    queries, transactions = confirm_queries(
        event_pk, django_capture_on_commit_callbacks
    )

    assert len(queries) <= MAX_CONFIRM_QUERIES, "\n".join(queries)
    # One transaction: the email's row is queued without a savepoint.
    assert transactions == 1
    registrant = Registrant.objects.get(email="ada@example.com")
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.payment.status == Payment.Status.PAID
    assert registrant.payment.stripe_fee > 0
    assert list(registrant.emails.values_list("kind", flat=True)) == [
        EmailLog.Kind.CONFIRMATION
    ]


def test_a_second_delivery_of_a_confirmed_checkout_costs_two_queries(
    client, paid_webinar, stripe_sandbox, webhooks, django_capture_on_commit_callbacks
):
    first = stored_completed_event(
        client, paid_webinar, stripe_sandbox, webhooks, "ada@example.com"
    )
    confirm_queries(first, django_capture_on_commit_callbacks)
    # The same session's event again, under another id (a sweep, a replay).
    again = StripeEvent.objects.get(pk=first)
    again.pk = None
    again.event_id = f"{again.event_id}_again"
    again.processed_at = None
    again.save()

    queries, transactions = confirm_queries(
        again.pk, django_capture_on_commit_callbacks
    )

    # The event read, the payment found paid, the event marked processed.
    assert len(queries) == 3, "\n".join(queries)
    assert transactions == 0
