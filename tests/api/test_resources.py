"""The read resources: webinars, sessions, prices, codes, registrants, reports."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_webinars_list_shows_the_organizers_webinars_with_their_settings(
    api, webinar, other_webinar
):
    webinar.questions = [
        {"id": "org", "label": "Organisation", "kind": "text", "required": True}
    ]
    webinar.approval = "manual"
    webinar.save()

    response = api.get("/api/v1/webinars/")

    assert response.status_code == 200
    body = response.json()
    assert [w["id"] for w in body["results"]] == [webinar.pk]
    found = body["results"][0]
    assert found["kind"] == "live" and found["approval"] == "manual"
    assert found["registration_limit"] == 100
    assert found["questions"] == [
        {"id": "org", "label": "Organisation", "kind": "text", "required": True}
    ]
    assert len(found["sessions"]) == 1
    assert found["registration_url"].endswith(webinar.get_registration_url())


def test_a_webinar_of_another_account_is_a_404_problem(api, other_webinar):
    for path in (
        f"/api/v1/webinars/{other_webinar.pk}/",
        f"/api/v1/webinars/{other_webinar.pk}/sessions/",
        f"/api/v1/webinars/{other_webinar.pk}/price/",
        f"/api/v1/webinars/{other_webinar.pk}/discount-codes/",
        f"/api/v1/webinars/{other_webinar.pk}/registrants/",
        f"/api/v1/webinars/{other_webinar.pk}/report/",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == "about:blank"
        assert response.json()["detail"] == "Not found."


def test_a_registrant_of_another_account_is_a_404(api, webinar, other_webinar):
    theirs = factories.RegistrantFactory(webinar=other_webinar)

    assert (
        api.get(f"/api/v1/webinars/{webinar.pk}/registrants/{theirs.pk}/").status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/webinars/{other_webinar.pk}/registrants/{theirs.pk}/approve/"
        ).status_code
        == 404
    )


def test_a_token_acts_with_its_creators_role(api_as, account, organizer, admin):
    colleague = factories.OrganizerFactory(account=account)
    theirs = factories.WebinarFactory(owner=colleague)

    as_organizer = api_as(organizer)
    assert as_organizer.get(f"/api/v1/webinars/{theirs.pk}/").status_code == 404
    as_admin = api_as(admin)
    assert as_admin.get(f"/api/v1/webinars/{theirs.pk}/").status_code == 200


def test_a_co_organizer_token_sees_the_webinar(api_as, account, organizer):
    colleague = factories.OrganizerFactory(account=account)
    theirs = factories.WebinarFactory(owner=colleague)
    factories.WebinarMemberFactory(
        webinar=theirs, email=organizer.email, organizer=organizer
    )

    assert api_as(organizer).get(f"/api/v1/webinars/{theirs.pk}/").status_code == 200


def test_sessions_are_listed_in_time_order(api, webinar):
    later = factories.SessionFactory(
        webinar=webinar, starts_at=timezone.now() + timedelta(days=30)
    )

    body = api.get(f"/api/v1/webinars/{webinar.pk}/sessions/").json()

    assert [s["id"] for s in body][-1] == later.pk
    assert len(body) == 2


def test_price_shows_tiers_and_the_current_price(api, webinar):
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        price = factories.PriceFactory(webinar=webinar, amount=10000, currency="EUR")
        factories.PriceTierFactory(
            price=price, amount=8000, ends_at=timezone.now() + timedelta(days=3)
        )
        body = api.get(f"/api/v1/webinars/{webinar.pk}/price/").json()

    assert body["enabled"] is True and body["amount"] == 10000
    assert body["currency"] == "EUR"
    assert body["tiers"] == [{"amount": 8000, "ends_at": "2026-12-04T10:00:00Z"}]
    assert body["current"] == {
        "amount": 8000,
        "currency": "EUR",
        "paid": True,
        "tier_ends_at": "2026-12-04T10:00:00Z",
    }


def test_discount_codes_are_listed_with_their_uses(api, webinar):
    factories.PriceFactory(webinar=webinar)
    factories.DiscountCodeFactory(webinar=webinar, code="EARLY", amount=0, uses=3)

    body = api.get(f"/api/v1/webinars/{webinar.pk}/discount-codes/").json()

    assert [(c["code"], c["amount"], c["uses"]) for c in body] == [("EARLY", 0, 3)]


def test_registrants_are_filtered_by_status_and_email(api, webinar):
    factories.RegistrantFactory(webinar=webinar, email="ada@example.com")
    factories.RegistrantFactory(
        webinar=webinar, email="bob@example.com", status="cancelled"
    )
    path = f"/api/v1/webinars/{webinar.pk}/registrants/"

    by_status = api.get(path, {"status": "cancelled"}).json()["results"]
    by_email = api.get(path, {"email": "ADA@"}).json()["results"]

    assert [r["email"] for r in by_status] == ["bob@example.com"]
    assert [r["email"] for r in by_email] == ["ada@example.com"]


def test_an_unknown_status_filter_is_a_400_problem_with_field_errors(api, webinar):
    response = api.get(
        f"/api/v1/webinars/{webinar.pk}/registrants/", {"status": "nope"}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Invalid request"
    assert body["errors"][0]["pointer"] == "#/status"


def test_registrants_are_paged_with_a_cursor(api, webinar):
    made = [factories.RegistrantFactory(webinar=webinar) for _ in range(5)]
    path = f"/api/v1/webinars/{webinar.pk}/registrants/"

    first = api.get(path, {"page_size": 2}).json()
    seen = [r["id"] for r in first["results"]]
    next_url = first["next"]
    while next_url:
        page = api.get(next_url).json()
        seen += [r["id"] for r in page["results"]]
        next_url = page["next"]

    assert seen == [r.pk for r in reversed(made)]


def test_registrant_detail_has_answers_and_no_payment_when_free(api, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar, answers={"org": "ACME"})

    body = api.get(f"/api/v1/webinars/{webinar.pk}/registrants/{registrant.pk}/").json()

    assert body["answers"] == {"org": "ACME"}
    assert body["payment"] is None and body["refunds"] == []
    assert body["status"] == "confirmed"


def test_account_report_counts_registrants_of_visible_webinars(
    api, webinar, other_webinar
):
    factories.RegistrantFactory(webinar=webinar)
    factories.RegistrantFactory(webinar=other_webinar)

    body = api.get("/api/v1/account/report/").json()

    assert body["registrants"]["confirmed"] == 1
    assert body["totals"] == []


def test_the_schema_is_served_as_openapi_3(client):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/webinars/{webinar_id}/registrants/" in schema["paths"]


def test_the_docs_page_loads_its_script_from_this_site(client):
    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in (
        page.text
    )
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


def test_an_unknown_api_address_is_a_problem_404(api, client):
    for response in (
        api.get("/api/v1/nothing-here/"),
        client.post("/api/v1/webinars/-1/registrants/"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_a_nul_byte_in_the_query_string_is_a_problem_not_a_page(api, organizer):
    """Found by the contract test: the NUL guard answered the HTML 400 page."""
    webinar = factories.WebinarFactory(owner=organizer)

    response = api.get(
        f"/api/v1/webinars/{webinar.pk}/registrants/", {"email": "a\x00b"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert "NUL" in response.json()["detail"]
