"""Rows locked past the lock timeout: the payer reads "processing", sweeps go on."""

import psycopg
import pytest
from django.db import connection

from payments.models import Payment
from registrations.models import Registrant
from tests.registrations.checkout_support import register, session_id_of, success_path

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_payer_back_while_the_lock_is_held_reads_processing_then_confirmed(
    client,
    paid_webinar,
    stripe_sandbox,
    short_lock_timeout,
):
    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    payment = Payment.objects.get(checkout_session_id=session_id)
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password", "dbname")
    holder = psycopg.connect(**{k: params[k] for k in keep if params.get(k)})
    try:
        holder.execute(
            "SELECT 1 FROM payments_payment WHERE id = %s FOR UPDATE", [payment.pk]
        )
        held = client.get(success_path(paid_webinar, session_id))
    finally:
        holder.rollback()
        holder.close()

    assert held.status_code == 200
    assert "Payment processing" in held.text
    assert Registrant.objects.get().status == Registrant.Status.PENDING

    again = client.get(success_path(paid_webinar, session_id))
    assert again.status_code == 200
    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED


def test_the_hold_sweep_puts_off_a_locked_registrant_and_releases_the_others(
    client,
    paid_webinar,
    stripe_sandbox,
    short_lock_timeout,
):
    from datetime import timedelta

    from django.utils import timezone

    from registrations.checkout import release_expired_holds
    from registrations.models import SeatHold

    register(client, paid_webinar)
    register(client, paid_webinar, email="locked@example.com")
    SeatHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    locked = Registrant.objects.get(email="locked@example.com")
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password", "dbname")
    holder = psycopg.connect(**{k: params[k] for k in keep if params.get(k)})
    try:
        holder.execute(
            "SELECT 1 FROM payments_payment WHERE id = %s FOR UPDATE",
            [locked.payment_id],
        )
        released = release_expired_holds()
    finally:
        holder.rollback()
        holder.close()

    assert released == 1
    assert Registrant.objects.get(email="ada@example.com").status == "expired"
    assert Registrant.objects.get(pk=locked.pk).status == "pending_payment"
    assert release_expired_holds() == 1  # the next run
    assert Registrant.objects.get(pk=locked.pk).status == "expired"
