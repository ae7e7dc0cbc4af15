"""Registering through the API: the registration page's service, paid or free."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from payments.models import DiscountCode
from registrations.capacity import seats_taken
from registrations.emails.sending import send_due_emails
from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import (
    Webhooks,
    email_kinds,
    make_paid_webinar,
    register,
    session_id_of,
)

pytestmark = pytest.mark.django_db


def person(**overrides):
    data = {"first_name": "Bob", "last_name": "Byte", "email": "bob@example.com"}
    data.update(overrides)
    return data


def path(webinar) -> str:
    return f"/api/v1/webinars/{webinar.pk}/registrants/"


@pytest.fixture
def paid_webinar(organizer, stripe_sandbox):
    return make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )


@pytest.fixture
def webhooks(stripe_sandbox, webhook_receiver, client):
    return Webhooks(stripe_sandbox, webhook_receiver, client)


def test_a_free_registration_is_confirmed_at_once(api, webinar):
    response = api.post(path(webinar), person())

    assert response.status_code == 201
    body = response.json()
    assert body["checkout_url"] is None and body["hold_expires_at"] is None
    assert body["registrant"]["status"] == "confirmed"
    assert body["registrant"]["source"] == "free"
    registrant = Registrant.objects.get()
    assert email_kinds(registrant) == ["confirmation"]


def test_a_paid_registration_through_the_api_ends_like_one_through_the_page(
    api, client, paid_webinar, stripe_sandbox, webhooks
):
    on_page = register(client, paid_webinar)["Location"]
    response = api.post(path(paid_webinar), person())

    assert response.status_code == 201
    body = response.json()
    assert body["registrant"]["status"] == "pending_payment"
    assert body["checkout_url"].startswith(stripe_sandbox.url)
    assert body["registrant"]["payment"]["checkout_url"] == body["checkout_url"]
    via_api = Registrant.objects.get(email="bob@example.com")
    assert body["hold_expires_at"] == via_api.payment.expires_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert via_api.payment.expires_at - timezone.now() > timedelta(minutes=30)
    assert seats_taken(webinar=paid_webinar) == 2

    for checkout_url in (on_page, body["checkout_url"]):
        stripe_sandbox.pay(session_id_of(checkout_url))
    assert set(webhooks.deliver(webhooks.collect())) == {200}
    send_due_emails()

    page_one = Registrant.objects.get(email="ada@example.com")
    via_api.refresh_from_db()
    assert via_api.status == page_one.status == "confirmed"
    assert via_api.payment.status == page_one.payment.status == "paid"
    assert via_api.amount == page_one.amount == 5000
    assert email_kinds(via_api) == email_kinds(page_one) == ["confirmation"]
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["bob@example.com"] == subjects["ada@example.com"]
    detail = api.get(f"{path(paid_webinar)}{via_api.pk}/").json()
    assert detail["payment"]["status"] == "paid"
    assert detail["payment"]["checkout_url"] is None


def test_a_full_webinar_is_a_409_whichever_door(api, client, webinar):
    webinar.registration_limit = 1
    webinar.save()
    register(client, webinar)

    response = api.post(path(webinar), person())

    assert response.status_code == 409
    assert response.json()["type"] == "urn:tessera:problem:webinar-full"
    assert Registrant.objects.count() == 1


def test_a_discount_code_is_used_and_counted(api, paid_webinar):
    code = factories.DiscountCodeFactory(
        webinar=paid_webinar, code="FREE", amount=0, max_uses=1
    )

    first = api.post(path(paid_webinar), person(discount_code="free"))
    second = api.post(
        path(paid_webinar), person(email="carl@example.com", discount_code="FREE")
    )

    assert first.status_code == 201
    assert first.json()["registrant"]["source"] == "code"
    assert first.json()["registrant"]["discount_code"] == "FREE"
    assert second.status_code == 422
    assert second.json()["detail"] == "This discount code is not valid."
    assert DiscountCode.objects.get(pk=code.pk).uses == 1


def test_required_questions_and_disclaimers_are_checked_as_on_the_page(api, webinar):
    webinar.questions = [
        {"id": "org", "label": "Organisation", "kind": "text", "required": True},
        {"id": "terms", "label": "I agree", "kind": "disclaimer", "required": True},
    ]
    webinar.save()

    missing = api.post(path(webinar), person())
    answered = api.post(path(webinar), person(answers={"org": "ACME", "terms": True}))

    assert missing.status_code == 400
    assert sorted(e["pointer"] for e in missing.json()["errors"]) == [
        "#/answers/org",
        "#/answers/terms",
    ]
    assert answered.status_code == 201
    assert answered.json()["registrant"]["answers"] == {"org": "ACME", "terms": True}


def test_the_same_email_twice_is_a_409(api, webinar):
    api.post(path(webinar), person())

    again = api.post(path(webinar), person())

    assert again.status_code == 409
    assert again.json()["type"] == "urn:tessera:problem:already-registered"


def test_a_series_needs_one_of_its_sessions(api, organizer):
    series = factories.WebinarFactory(
        owner=organizer, registration_type="individual_session", sessions=2
    )
    first = series.sessions.first()

    without = api.post(path(series), person())
    wrong = api.post(path(series), person(session=999999))
    chosen = api.post(path(series), person(session=first.pk))

    assert without.status_code == 400
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["pointer"] == "#/session"
    assert chosen.status_code == 201
    assert chosen.json()["registrant"]["session"] == first.pk


def test_a_session_on_a_webinar_without_choice_is_refused(api, webinar):
    response = api.post(path(webinar), person(session=webinar.sessions.get().pk))

    assert response.status_code == 400


def test_a_cancelled_webinar_is_closed(api, webinar):
    webinar.cancelled_at = timezone.now()
    webinar.save()

    response = api.post(path(webinar), person())

    assert response.status_code == 409
    assert response.json()["type"] == "urn:tessera:problem:registration-closed"


def test_several_sessions_of_a_series_are_registered_in_one_checkout(api, paid_series):
    ids = list(paid_series.sessions.values_list("pk", flat=True))

    response = api.post(path(paid_series), person(sessions=ids))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["checkout_url"]
    registrants = Registrant.objects.order_by("pk")
    assert body["registrants"] == [r.pk for r in registrants]
    assert sorted(r.session_id for r in registrants) == sorted(ids)
    assert {r.payment.amount for r in registrants} == {10000}
