"""Fixes a new user found: Apply without JS, free wording, on-demand pages, layout."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from recordings.models import PostSessionVideo
from registrations.emails.content import render_email
from registrations.models import Registrant
from tests import factories
from tests.factories import open_personal_link
from tests.registrations.checkout_support import register

pytestmark = pytest.mark.django_db

STRIPE_NOTE = "secure page; your seat is kept"


def on_demand_webinar(organizer):
    """An on-demand webinar (no session) with its video attached."""
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, kind="on_demand"
    )
    recording = factories.RecordingFactory(account=webinar.account)
    PostSessionVideo.objects.create(recording=recording, webinar=webinar)
    return webinar


def test_apply_is_a_plain_button_hidden_by_css_without_script(client, paid_webinar):
    page = client.get(paid_webinar.get_registration_url()).text

    assert '<button type="button" class="secondary" id="discount-code-apply"' in page
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    assert "[hidden] { display:none !important; }" in css


def test_free_webinar_page_says_register_without_the_stripe_note(client, webinar):
    page = client.get(webinar.get_registration_url()).text

    assert 'data-paid="false"' in page
    assert ">Register</button>" in page
    assert "Register and pay</button>" not in page
    assert STRIPE_NOTE not in page


def test_paid_page_gives_the_script_both_labels_and_the_note(client, paid_webinar):
    page = client.get(paid_webinar.get_registration_url()).text

    assert 'data-paid="true"' in page
    assert 'data-paid-label="Register and pay"' in page
    assert 'data-free-label="Register"' in page
    assert 'id="register-pay-note"' in page and STRIPE_NOTE in page


def test_code_sent_with_the_form_applies_without_script(client, paid_webinar):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="FREE", amount=0)

    response = register(client, paid_webinar, discount_code="FREE")

    assert response.status_code == 303
    assert Registrant.objects.get().status == Registrant.Status.CONFIRMED


def test_on_demand_done_page_offers_watch_now_and_no_calendar(client, organizer):
    webinar = on_demand_webinar(organizer)

    response = register(client, webinar)
    page = client.get(response["Location"]).text
    registrant = Registrant.objects.get()

    assert "Watch now" in page
    assert registrant.join_token in page
    join = open_personal_link(
        client, reverse("registrations:join", args=[registrant.join_token])
    )
    assert join.status_code == 302 and "/watch/" in join["Location"]
    assert "Your personal join link" not in page
    assert "calendar-link" not in page and ".ics" not in page


def test_live_done_page_keeps_the_join_link_and_calendar(client, webinar):
    page = client.get(register(client, webinar)["Location"]).text

    assert "Your personal join link" in page
    assert 'id="calendar-link"' in page
    assert "Watch now" not in page


def test_on_demand_confirmation_has_no_live_wording_nor_empty_invitation(organizer):
    webinar = on_demand_webinar(organizer)
    registrant = factories.RegistrantFactory(webinar=webinar)

    email = render_email(registrant=registrant, kind="confirmation")

    for body in (email.text, email.html):
        assert "Join the webinar" not in body
        assert "attached invitation" not in body
        assert "Can&#x27;t attend" not in body and "Can't attend" not in body
        assert "/watch/" in body
    assert email.ics is None


def test_live_confirmation_keeps_its_join_link_and_invitation(webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)

    email = render_email(registrant=registrant, kind="confirmation")

    assert "Join the webinar" in email.text
    assert "attached invitation" in email.text
    assert "Can't attend" in email.text
    assert email.ics


def test_favicon_is_linked_and_favicon_ico_redirects_to_it(client, webinar):
    page = client.get(webinar.get_registration_url()).text
    response = client.get("/favicon.ico")

    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert (Path(settings.BASE_DIR) / "static/favicon.svg").exists()


def test_connection_date_is_not_followed_by_a_second_full_stop(admin):
    connection = factories.StripeConnectionFactory(
        account=admin.account,
        connected_by=admin.user,
        connected_at=dt.datetime(2026, 11, 24, 19, 49, tzinfo=dt.UTC),
    )

    with translation.override("en"):
        html = render_to_string(
            "payments/connect/_status.html", {"connection": connection}
        )

    assert "p.m.." not in html
    assert "p.m." in html


def test_registrant_actions_are_kept_apart(client, login, organizer, webinar):
    factories.RegistrantFactory(webinar=webinar)
    url = reverse("registrations:registrants", args=[webinar.pk])

    page = login(organizer).get(url).text

    assert '<td class="actions">' in page
