"""Idempotency-Key: the same key and body replay the first answer for 24 hours."""

import json

import pytest
import time_machine

from api.idempotency import fingerprint
from api.models import ApiToken, IdempotentRequest
from registrations.models import Registrant
from tests import factories
from tests.registrations.refund_support import pay_registrant

pytestmark = pytest.mark.django_db


def path(webinar) -> str:
    return f"/api/v1/webinars/{webinar.pk}/registrants/"


BOB = {"first_name": "Bob", "last_name": "Byte", "email": "bob@example.com"}


def test_the_same_key_and_body_replay_the_first_answer(api, webinar):
    first = api.post(path(webinar), BOB, headers={"Idempotency-Key": "k-1"})
    again = api.post(
        path(webinar),
        dict(reversed(list(BOB.items()))),
        headers={"Idempotency-Key": "k-1"},
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Registrant.objects.count() == 1


def test_a_refused_answer_is_replayed_too(api, webinar):
    webinar.registration_limit = 1
    webinar.save()
    factories.RegistrantFactory(webinar=webinar)

    first = api.post(path(webinar), BOB, headers={"Idempotency-Key": "full"})
    webinar.registration_limit = 5
    webinar.save()
    again = api.post(path(webinar), BOB, headers={"Idempotency-Key": "full"})

    assert first.status_code == again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json() == first.json()


def test_a_refusal_echoing_a_nul_character_is_kept_and_replayed(api, webinar):
    # Found by the contract test: jsonb holds no NUL, the 400 echoed one.
    body = {**BOB, "answers": {"c\u0000x": {"nested": True}}}

    first = api.post(path(webinar), body, headers={"Idempotency-Key": "nul"})
    again = api.post(path(webinar), body, headers={"Idempotency-Key": "nul"})

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    text = json.dumps(first.json(), ensure_ascii=False)
    assert "\x00" not in text
    assert "c\ufffdx" in text


def test_the_same_key_with_another_body_is_refused(api, webinar):
    api.post(path(webinar), BOB, headers={"Idempotency-Key": "k-2"})

    other = api.post(
        path(webinar),
        {**BOB, "email": "eve@example.com"},
        headers={"Idempotency-Key": "k-2"},
    )

    assert other.status_code == 422
    assert other.json()["type"] == "urn:tessera:problem:idempotency-key-reused"
    assert Registrant.objects.count() == 1


def test_the_same_key_on_another_path_is_refused(api, webinar, organizer):
    second = factories.WebinarFactory(owner=organizer)
    api.post(path(webinar), BOB, headers={"Idempotency-Key": "k-3"})

    other = api.post(path(second), BOB, headers={"Idempotency-Key": "k-3"})

    assert other.status_code == 422


def test_keys_belong_to_one_token(api_as, organizer, webinar):
    first = api_as(organizer).post(path(webinar), BOB, headers={"Idempotency-Key": "k"})
    other = api_as(organizer).post(
        path(webinar),
        {**BOB, "email": "eve@example.com"},
        headers={"Idempotency-Key": "k"},
    )

    assert first.status_code == other.status_code == 201
    assert Registrant.objects.count() == 2


def test_a_key_is_forgotten_after_24_hours(api, webinar):
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        api.post(path(webinar), BOB, headers={"Idempotency-Key": "day"})
    with time_machine.travel("2026-12-01 23:59:00Z", tick=False):
        within = api.post(
            path(webinar),
            {**BOB, "email": "x@example.com"},
            headers={"Idempotency-Key": "day"},
        )
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        after = api.post(
            path(webinar),
            {**BOB, "email": "eve@example.com"},
            headers={"Idempotency-Key": "day"},
        )

    assert within.status_code == 422
    assert after.status_code == 201
    assert IdempotentRequest.objects.count() == 1


def test_a_request_still_running_makes_the_same_key_wait(api, webinar):
    token = ApiToken.objects.get()
    IdempotentRequest.objects.create(
        token=token,
        key="busy",
        fingerprint=fingerprint(
            method="POST",
            path=path(webinar),
            body=json.dumps(BOB).encode(),
        ),
    )

    response = api.post(path(webinar), BOB, headers={"Idempotency-Key": "busy"})

    assert response.status_code == 409
    assert response.json()["type"] == "urn:tessera:problem:idempotency-key-in-use"
    assert not Registrant.objects.exists()


def test_a_key_too_long_is_a_400(api, webinar):
    response = api.post(path(webinar), BOB, headers={"Idempotency-Key": "k" * 256})

    assert response.status_code == 400
    assert not Registrant.objects.exists()


def test_a_refund_with_a_key_refunds_once(api, webinar, stripe_sandbox):
    account = stripe_sandbox.create_account(default_currency="eur")
    paid = pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=account)
    refunds = f"{path(webinar)}{paid.pk}/refunds/"
    body = {"action": "refund_partial", "amount": 1000}

    first = api.post(refunds, body, headers={"Idempotency-Key": "r1"})
    again = api.post(refunds, body, headers={"Idempotency-Key": "r1"})

    assert first.status_code == again.status_code == 201
    assert again.json()["refund"]["id"] == first.json()["refund"]["id"]
    assert paid.payment.refunds.count() == 1


def test_a_claim_left_without_its_answer_is_given_up_after_two_minutes(api, webinar):
    """Its request died, or the database could not take its answer (a 503)."""
    token = ApiToken.objects.get()
    body = json.dumps(BOB).encode()
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        IdempotentRequest.objects.create(
            token=token,
            key="orphan",
            fingerprint=fingerprint(method="POST", path=path(webinar), body=body),
        )
    with time_machine.travel("2026-12-01 10:01:30Z", tick=False):
        waiting = api.post(path(webinar), BOB, headers={"Idempotency-Key": "orphan"})
    with time_machine.travel("2026-12-01 10:02:30Z", tick=False):
        retried = api.post(path(webinar), BOB, headers={"Idempotency-Key": "orphan"})
        replayed = api.post(path(webinar), BOB, headers={"Idempotency-Key": "orphan"})

    assert waiting.status_code == 409
    assert retried.status_code == 201
    assert replayed.status_code == 201
    assert replayed.json() == retried.json()
    assert Registrant.objects.count() == 1
