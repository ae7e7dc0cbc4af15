"""Writes: scope, approve and deny, refunds, discount codes, rate limit, errors."""

import pytest

from payments.models import DiscountCode, Payment, Refund
from registrations.models import Registrant
from tests import factories
from tests.registrations.checkout_support import send_refunds
from tests.registrations.refund_support import pay_registrant, refunded_in_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(stripe_sandbox, webinar):
    """A confirmed registrant who paid 50.00 EUR on a sandbox account."""
    account = stripe_sandbox.create_account(default_currency="eur")
    return pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=account)


def test_a_read_only_token_cannot_write(api_as, organizer, webinar):
    registrant = factories.RegistrantFactory(
        webinar=webinar, status="awaiting_approval"
    )
    api = api_as(organizer, scope="read")

    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{registrant.pk}/approve/"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "This token is read-only."
    registrant.refresh_from_db()
    assert registrant.status == "awaiting_approval"


def test_approve_confirms_and_emails_like_the_console(api, webinar):
    registrant = factories.RegistrantFactory(
        webinar=webinar, status="awaiting_approval"
    )

    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{registrant.pk}/approve/"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert list(registrant.emails.values_list("kind", flat=True)) == ["approved"]


def test_approving_a_confirmed_registrant_is_a_422_problem(api, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar, status="cancelled")

    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{registrant.pk}/approve/"
    )

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:tessera:problem:registration-refused"
    assert body["detail"] == "Only registrants awaiting approval can be approved."


def test_deny_refunds_a_paid_registrant_in_full(
    api, webinar, paid, django_capture_on_commit_callbacks
):
    Registrant.objects.filter(pk=paid.pk).update(status="awaiting_approval")

    response = api.post(f"/api/v1/webinars/{webinar.pk}/registrants/{paid.pk}/deny/")
    send_refunds(django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert response.json()["status"] == "denied"
    assert refunded_in_stripe(paid.payment) == 5000


def test_a_partial_refund_goes_to_stripe_and_keeps_the_registration(
    api, webinar, paid, django_capture_on_commit_callbacks
):
    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{paid.pk}/refunds/",
        {"action": "refund_partial", "amount": 1500, "reason": "Late start"},
    )
    send_refunds(django_capture_on_commit_callbacks)

    assert response.status_code == 201
    body = response.json()
    assert body["refund"]["amount"] == 1500 and body["refund"]["status"] == "requested"
    assert body["registrant"]["status"] == "confirmed"
    assert refunded_in_stripe(paid.payment) == 1500
    detail = api.get(f"/api/v1/webinars/{webinar.pk}/registrants/{paid.pk}/").json()
    assert detail["payment"]["amount_refunded"] == 1500
    assert [(r["amount"], r["status"]) for r in detail["refunds"]] == [
        (1500, "succeeded")
    ]


def test_a_full_refund_cancels(api, webinar, paid, django_capture_on_commit_callbacks):
    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{paid.pk}/refunds/",
        {"action": "cancel_full"},
    )
    send_refunds(django_capture_on_commit_callbacks)

    assert response.status_code == 201
    assert response.json()["registrant"]["status"] == "cancelled"
    assert refunded_in_stripe(paid.payment) == 5000
    assert Payment.objects.get().amount_refunded == 5000


def test_a_refund_above_what_remains_is_refused_as_in_the_console(api, webinar, paid):
    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{paid.pk}/refunds/",
        {"action": "refund_partial", "amount": 6000},
    )

    assert response.status_code == 422
    assert response.json()["type"] == "urn:tessera:problem:refund-refused"
    assert "At most" in response.json()["detail"]
    assert not Refund.objects.exists()


def test_refunding_a_free_registrant_is_refused(api, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)

    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/registrants/{registrant.pk}/refunds/",
        {"action": "cancel_full"},
    )

    assert response.status_code == 422


def test_a_discount_code_is_created_under_the_consoles_rules(api, webinar):
    factories.PriceFactory(webinar=webinar, amount=10000)
    path = f"/api/v1/webinars/{webinar.pk}/discount-codes/"

    created = api.post(path, {"code": "EARLY", "amount": 5000, "max_uses": 10})
    duplicate = api.post(path, {"code": "early", "amount": 5000})
    dearer = api.post(path, {"code": "DEAR", "amount": 20000})

    assert created.status_code == 201
    assert created.json()["code"] == "EARLY" and created.json()["uses"] == 0
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == [
        {"detail": duplicate.json()["detail"], "pointer": "#/code"}
    ]
    assert dearer.status_code == 422
    assert list(DiscountCode.objects.values_list("code", flat=True)) == ["EARLY"]


def test_invalid_fields_are_listed_with_pointers(api, webinar):
    response = api.post(
        f"/api/v1/webinars/{webinar.pk}/discount-codes/", {"code": "no spaces"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    pointers = sorted(e["pointer"] for e in response.json()["errors"])
    assert pointers == ["#/amount", "#/code"]


def test_errors_are_in_the_callers_language(api, webinar, other_webinar):
    response = api.get(
        f"/api/v1/webinars/{other_webinar.pk}/", headers={"Accept-Language": "fr"}
    )

    assert response.status_code == 404
    assert response["Content-Language"] == "fr"
    assert response.json()["detail"] == "Non trouvé."


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(
    api_as, organizer, settings
):
    settings.API_RATE_LIMIT = 3
    api = api_as(organizer)
    other = api_as(organizer)

    answers = [api.get("/api/v1/webinars/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = api.get("/api/v1/webinars/")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["status"] == 429
    # Each token has its own budget.
    assert other.get("/api/v1/webinars/").status_code == 200


def test_no_token_is_a_401_problem(client):
    response = client.get("/api/v1/webinars/")

    assert response.status_code == 401
    assert response.json()["title"] == "Authentication required"
