"""The public registration page: details, price, form, bad input, free flow."""

import datetime as dt
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment
from registrations.checkout import (
    release_expired_holds,
)
from registrations.models import EmailLog, Registrant, SeatHold
from registrations.registration import WebinarFull, start_registration
from tests import factories
from tests.registrations.checkout_support import (
    form_data,
    make_paid_webinar,
    register,
    session_id_of,
    success_path,
)

pytestmark = pytest.mark.django_db


# An afternoon start: Django says "noon" and "midnight" instead of hours.
@time_machine.travel(dt.datetime(2026, 3, 2, 14, 25, tzinfo=dt.UTC), tick=False)
def test_page_shows_details_sessions_in_the_webinar_timezone_and_free(
    client, organizer
):
    webinar = factories.WebinarFactory(owner=organizer, account=organizer.account)
    response = client.get(webinar.get_registration_url())

    assert response.status_code == 200
    text = response.text
    assert webinar.title in text
    session = webinar.sessions.get()
    local = session.local_start()
    assert "Europe/Paris" in text
    offset = f"{local:%z}"
    assert f"(Europe/Paris, UTC{offset[:3]}:{offset[3:]})" in text
    # The time shown is the webinar's local time, not UTC.
    assert local.strftime("%-I:%M") in text or local.strftime("%-I") in text
    assert f"{local:%z}" != "+0000"
    assert "Free" in text
    for name in ("first_name", "last_name", "email"):
        assert f'name="{name}"' in text
    # Nothing to pay, nothing to discount.
    assert 'name="discount_code"' not in text


def test_page_shows_the_price_of_a_paid_webinar(client, paid_webinar):
    response = client.get(paid_webinar.get_registration_url())

    assert "€50.00" in response.text
    assert "Register and pay" in response.text


def test_unknown_registration_key_is_a_404(client, db):
    assert client.get("/register/no-such-key-here/").status_code == 404
    assert client.get("/register/%27%3B--/").status_code == 404


def test_free_registration_is_confirmed_at_once_without_stripe(client, webinar):
    response = register(client, webinar)

    assert response.status_code == 303
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.source == Registrant.Source.FREE
    assert registrant.payment is None
    assert not Payment.objects.exists() and not SeatHold.objects.exists()
    page = client.get(response["Location"])
    assert "You're registered" in page.text
    # The personal link goes by email only (tests/registrations/
    # test_no_enumeration.py: the page must not differ for a known email).
    assert registrant.join_token not in page.text
    assert list(registrant.emails.values_list("kind", flat=True)) == ["confirmation"]


def test_free_registration_in_manual_mode_awaits_approval(client, webinar):
    webinar.approval = "manual"
    webinar.save()

    page = client.get(register(client, webinar)["Location"])

    assert Registrant.objects.get().status == Registrant.Status.AWAITING
    assert "Awaiting the organizer" in page.text
    assert EmailLog.objects.get().kind == "awaiting_approval"


def test_zero_code_registers_for_free_and_never_meets_stripe(
    client, paid_webinar, stripe_sandbox
):
    code = factories.DiscountCodeFactory(webinar=paid_webinar, code="FREE", amount=0)
    stripe_sandbox.inject_fault("500", count=100)

    response = register(client, paid_webinar, discount_code="free")

    assert response.status_code == 303
    assert response["Location"].startswith("/register/")
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.source == Registrant.Source.CODE
    assert registrant.discount_code == code and registrant.amount == 0
    assert not Payment.objects.exists()
    code.refresh_from_db()
    assert code.uses == 1


def test_discount_code_sets_the_checkout_amount_and_reserves_a_use(
    client, paid_webinar, stripe_sandbox
):
    code = factories.DiscountCodeFactory(webinar=paid_webinar, code="HALF", amount=2500)

    register(client, paid_webinar, discount_code="HALF")

    payment = Payment.objects.get()
    assert payment.amount == 2500
    assert stripe_sandbox.object(payment.checkout_session_id)["amount_total"] == 2500
    code.refresh_from_db()
    assert code.uses == 1


def test_released_hold_gives_the_code_use_back(client, paid_webinar, stripe_sandbox):
    code = factories.DiscountCodeFactory(
        webinar=paid_webinar, code="ONE", amount=2500, max_uses=1
    )
    register(client, paid_webinar, discount_code="ONE")
    SeatHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    release_expired_holds()

    code.refresh_from_db()
    assert code.uses == 0


@pytest.mark.parametrize(
    "code",
    ["NOPE", "EXPIRED", "USEDUP", "OFF"],
)
def test_unusable_codes_all_get_one_message(client, paid_webinar, stripe_sandbox, code):
    now = timezone.now()
    factories.DiscountCodeFactory(
        webinar=paid_webinar, code="EXPIRED", valid_until=now - timedelta(days=1)
    )
    factories.DiscountCodeFactory(
        webinar=paid_webinar, code="USEDUP", max_uses=1, uses=1
    )
    factories.DiscountCodeFactory(webinar=paid_webinar, code="OFF", active=False)

    response = register(client, paid_webinar, discount_code=code)

    assert response.status_code == 200
    assert "This discount code is not valid." in response.text
    assert not Registrant.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"first_name": ""},
        {"last_name": ""},
        {"email": ""},
        {"email": "not-an-email"},
        {"first_name": "x" * 101},
        {"discount_code": "c" * 41},
        {"email": None, "first_name": None, "last_name": None},
    ],
)
def test_missing_or_malformed_fields_are_refused(client, webinar, overrides):
    response = client.post(webinar.get_registration_url(), form_data(**overrides))

    assert response.status_code == 200
    assert 'class="errorlist"' in response.text
    assert not Registrant.objects.exists()


def test_required_disclaimer_left_unticked_is_refused(client, webinar):
    webinar.questions = [
        {
            "id": "d1",
            "label": "I accept the terms",
            "kind": "disclaimer",
            "required": True,
        },
        {"id": "t1", "label": "Company", "kind": "text", "required": False},
    ]
    webinar.save()

    refused = register(client, webinar)
    assert "Please tick this box" in refused.text
    assert not Registrant.objects.exists()

    accepted = register(client, webinar, q_d1="on", q_t1="Analytical Engines")
    assert accepted.status_code == 303
    assert Registrant.objects.get().answers == {"d1": True, "t1": "Analytical Engines"}


def test_required_text_question_must_be_answered(client, webinar):
    webinar.questions = [
        {"id": "t1", "label": "Role", "kind": "text", "required": True}
    ]
    webinar.save()

    assert register(client, webinar).status_code == 200
    assert register(client, webinar, q_t1="CTO").status_code == 303


def series(organizer, sessions=3, limit=2):
    return factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        registration_limit=limit,
        sessions=sessions,
    )


def test_series_registrant_chooses_a_session(client, organizer):
    webinar = series(organizer)
    chosen = webinar.sessions.all()[1]

    assert register(client, webinar, session=chosen.pk).status_code == 303

    assert Registrant.objects.get().session == chosen


def test_series_without_a_session_choice_is_refused(client, organizer):
    webinar = series(organizer)
    response = register(client, webinar)
    assert response.status_code == 200
    assert not Registrant.objects.exists()


def test_session_of_another_webinar_is_refused(client, organizer, webinar):
    mine = series(organizer)
    foreign = webinar.sessions.get()

    response = register(client, mine, session=foreign.pk)

    assert response.status_code == 200
    assert "Choose one of the sessions." in response.text
    assert not Registrant.objects.exists()


@pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1.5"])
def test_malformed_session_value_is_refused(client, organizer, value):
    response = register(client, series(organizer), session=value)
    assert response.status_code == 200
    assert not Registrant.objects.exists()


def test_full_session_is_disabled_and_refused(client, organizer):
    webinar = series(organizer, limit=1)
    first = webinar.sessions.first()
    register(client, webinar, session=first.pk, email="a@example.com")

    page = client.get(webinar.get_registration_url())
    assert "disabled" in page.text and "full" in page.text
    response = register(client, webinar, session=first.pk, email="b@example.com")

    assert response.status_code == 200
    assert "This session is full." in response.text
    assert Registrant.objects.count() == 1
    other = webinar.sessions.last()
    assert (
        register(client, webinar, session=other.pk, email="b@example.com").status_code
        == 303
    )


def test_full_webinar_shows_full_and_creates_nothing(client, webinar):
    webinar.registration_limit = 1
    webinar.save()
    register(client, webinar, email="first@example.com")

    page = client.get(webinar.get_registration_url())
    assert "This webinar is full." in page.text
    response = register(client, webinar, email="second@example.com")

    assert "This webinar is full." in response.text
    assert Registrant.objects.count() == 1


def test_full_detected_at_start_shows_the_full_page(client, webinar):
    webinar.registration_limit = 1
    webinar.save()
    with pytest.raises(WebinarFull):
        for n in range(2):
            start_registration(
                webinar=webinar,
                first_name="A",
                last_name="B",
                email=f"p{n}@example.com",
                answers={},
                base_url="http://testserver/",
            )
    assert Registrant.objects.count() == 1


def test_already_registered_email_is_answered_as_new_and_can_resend(client, webinar):
    register(client, webinar)

    response = register(client, webinar, email="ADA@example.com")

    # The same answer as a new registration (tests/registrations/
    # test_no_enumeration.py); the owner is emailed instead.
    assert response.status_code == 303
    assert "You are already registered" not in client.get(response["Location"]).text
    assert Registrant.objects.count() == 1
    assert EmailLog.objects.filter(kind="already_registered").count() == 1
    resent = client.post(
        f"/register/{webinar.registration_key}/resend/",
        {"email": "ada@example.com"},
        follow=True,
    )
    assert "on its way again" in resent.text
    assert EmailLog.objects.filter(kind="confirmation").count() == 2


def test_already_registered_paid_registrant_is_not_charged_again(
    client, paid_webinar, stripe_sandbox
):

    session_id = session_id_of(register(client, paid_webinar)["Location"])
    stripe_sandbox.pay(session_id)
    client.get(success_path(paid_webinar, session_id))

    response = register(client, paid_webinar)

    assert response.status_code == 303
    assert "checkout" not in response["Location"]
    assert Payment.objects.count() == 1


def test_resend_with_a_bad_or_unknown_email_says_nothing_useful(client, webinar):
    url = f"/register/{webinar.registration_key}/resend/"
    assert client.post(url, {"email": "bad"}).status_code == 302
    assert client.post(url, {"email": "nobody@example.com"}).status_code == 302
    assert client.get(url).status_code == 405
    assert not EmailLog.objects.exists()


def test_cancelled_webinar_is_closed(client, webinar):
    webinar.cancelled_at = timezone.now()
    webinar.save()

    page = client.get(webinar.get_registration_url())
    assert "registration is closed" in page.text
    response = register(client, webinar)
    assert response.status_code == 200
    assert not Registrant.objects.exists()


def test_webinar_whose_sessions_are_over_is_closed(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0
    )
    start = timezone.now() - timedelta(days=2)
    factories.SessionFactory(webinar=webinar, starts_at=start)

    assert (
        "Registration for this webinar is closed."
        in client.get(webinar.get_registration_url()).text
    )
    assert register(client, webinar).status_code == 200
    assert not Registrant.objects.exists()


def test_paid_webinar_without_a_usable_connection_is_unavailable(client, organizer):
    webinar = factories.WebinarFactory(owner=organizer, account=organizer.account)
    factories.PriceFactory(webinar=webinar)

    page = client.get(webinar.get_registration_url())
    assert "temporarily unavailable" in page.text
    assert register(client, webinar).status_code == 200
    assert not Registrant.objects.exists()


def test_language_of_the_page_goes_to_the_registrant_and_checkout(
    client, paid_webinar, stripe_sandbox
):
    client.cookies["django_language"] = "fr"
    response = register(client, paid_webinar)

    registrant = Registrant.objects.get()
    assert registrant.language == "fr"
    session_id = registrant.payment.checkout_session_id
    assert stripe_sandbox.object(session_id)["locale"] == "fr"
    assert response.status_code == 303


def test_page_query_count_does_not_grow_with_sessions_codes_registrants(
    client, organizer, stripe_sandbox, django_assert_max_num_queries
):

    small = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    big = make_paid_webinar(
        owner=organizer,
        stripe_account=stripe_sandbox.demo_account,
        sessions=12,
        registration_type="individual_session",
    )
    factories.PriceTierFactory(price=big.price)
    for n in range(15):
        factories.DiscountCodeFactory(webinar=big, code=f"C{n}")
    for session in big.sessions.all():
        factories.RegistrantFactory(webinar=big, session=session, source="paid")

    for webinar in (small, big):
        with django_assert_max_num_queries(8):
            response = client.get(webinar.get_registration_url())
        assert response.status_code == 200


def test_register_posts_are_rate_limited_per_client_address(webinar):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(10):
        assert register(client, webinar, email="not-an-email").status_code != 429

    blocked = register(client, webinar, email="not-an-email")

    assert blocked.status_code == 429
    assert "Too many attempts from your connection" in blocked.content.decode()
    assert int(blocked["Retry-After"]) <= 60
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert register(other, webinar, email="not-an-email").status_code != 429
    assert client.get(webinar.get_registration_url()).status_code == 200


def test_resend_answers_the_same_for_awaiting_unknown_and_confirmed(webinar):
    webinar.approval = "manual"
    webinar.save()
    client = Client()
    register(client, webinar, email="waiting@example.com")
    assert Registrant.objects.get().status == Registrant.Status.AWAITING
    url = f"/register/{webinar.registration_key}/resend/"

    answers = []
    for email in ("waiting@example.com", "nobody@example.com"):
        page = client.post(url, {"email": email}, follow=True).content.decode()
        answers.append("waiting for the organizer" in page)
        assert "If this email is registered" in page
    assert answers == [False, False]


STRIPE_NOTE = "secure page; your seat is kept"


def test_apply_is_a_submit_button_that_works_without_script(client, paid_webinar):
    page = client.get(paid_webinar.get_registration_url()).text

    assert (
        '<button type="submit" name="apply_code" value="1" formnovalidate '
        'class="secondary" id="discount-code-apply">'
    ) in page
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


def test_favicon_is_linked_and_favicon_ico_redirects_to_it(client, webinar):
    page = client.get(webinar.get_registration_url()).text
    response = client.get("/favicon.ico")

    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert (Path(settings.BASE_DIR) / "static/favicon.svg").exists()


def test_registrant_pages_do_not_lead_to_the_organizers_login(client, webinar):
    # "/" redirects to the login: the brand is plain text for registrants.
    login = reverse("organizers:login")
    page = client.get(webinar.get_registration_url()).text
    done = client.get(register(client, webinar)["Location"]).text
    for text in (page, done):
        assert '<span class="brand">Tessera</span>' in text
        assert 'href="/"' not in text
        assert f'href="{login}' not in text


def test_the_console_keeps_the_brand_link_to_the_dashboard(client, webinar):
    client.force_login(webinar.owner.user)
    page = client.get(reverse("webinars:detail", args=[webinar.pk])).text
    assert f'<a class="brand" href="{reverse("webinars:dashboard")}">' in page


@pytest.mark.parametrize(
    ("language", "span", "box"),
    [
        (
            "en",
            "Tuesday, 4 June 2030, 11:00\u202fam – 12:00\u202fpm</time>",
            "Wednesday, 5 June 2030, 11:00\u202fam – 12:00\u202fpm"
            " (Europe/Paris, UTC+02:00)",
        ),
        (
            "fr",
            "mardi 4 juin 2030, 11:00 – 12:00</time>",
            "mercredi 5 juin 2030, 11:00 – 12:00 (Europe/Paris, UTC+02:00)",
        ),
    ],
)
def test_sessions_read_as_in_the_registrants_emails(
    client, organizer, language, span, box
):
    """The page's dates, its boxes and the emails share registrations.moments."""
    with time_machine.travel(dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC), tick=False):
        pages = {}
        for registration_type in ("all_sessions", "individual_session"):
            webinar = with_sessions(
                organizer,
                dt.datetime(2030, 6, 4, 9, 0, tzinfo=dt.UTC),
                days=2,
                registration_type=registration_type,
            )
            pages[registration_type] = client.get(
                webinar.get_registration_url(), HTTP_ACCEPT_LANGUAGE=language
            ).text

    assert span in pages["all_sessions"]
    assert box in pages["individual_session"]


def with_sessions(organizer, start, *, days, registration_type, every=1, limit=2):
    """A webinar of one hour-long session a day (or every `every` days) from start."""
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type=registration_type,
        registration_limit=limit,
        sessions=0,
    )
    for n in range(days):
        factories.SessionFactory(
            webinar=webinar,
            starts_at=start + timedelta(days=n * every),
            ends_at=start + timedelta(days=n * every, hours=1),
        )
    return webinar


DECEMBER = dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)


def spans(language):
    """Each of the four weekly December sessions, as the page writes it."""
    if language == "fr":
        return [
            f"mercredi {day} décembre 2026, 10:00 – 11:00" for day in (9, 16, 23, 30)
        ]
    return [
        f"Wednesday, {day} December 2026, 10:00\u202fam – 11:00\u202fam"
        for day in (9, 16, 23, 30)
    ]


@pytest.mark.parametrize(
    ("language", "summary", "legend"),
    [
        ("en", "4 sessions, 9–30 Dec 2026", "Choose one or more sessions"),
        ("fr", "4 sessions, 9–30 déc. 2026", "Choisissez une ou plusieurs sessions"),
    ],
)
def test_a_series_whose_registrants_choose_lists_each_session_once(
    client, organizer, language, summary, legend
):
    """Once, as the boxes; the header only sums the sessions up."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        webinar = with_sessions(
            organizer, DECEMBER, days=4, every=7, registration_type="individual_session"
        )
        page = client.get(
            webinar.get_registration_url(), HTTP_ACCEPT_LANGUAGE=language
        ).text

    assert f'<p id="sessions-summary">{summary}</p>' in page
    assert f"<legend>{legend}</legend>" in page
    assert page.count('name="session"') == 4
    for span in spans(language):
        assert page.count(span) == 1, span
        assert f"{span} (Europe/Paris, UTC+01:00)</label>" in page
    assert 'class="sessions"' not in page


def test_a_series_of_one_session_sums_up_one_day(client, organizer):
    with time_machine.travel(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        webinar = with_sessions(
            organizer, DECEMBER, days=1, registration_type="individual_session"
        )
        page = client.get(webinar.get_registration_url()).text

    assert '<p id="sessions-summary">1 session, 9 Dec 2026</p>' in page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_series_of_all_sessions_lists_each_date_once(client, organizer, language):
    """No box to tick: the header lists every session, once."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        webinar = with_sessions(
            organizer, DECEMBER, days=4, every=7, registration_type="all_sessions"
        )
        page = client.get(
            webinar.get_registration_url(), HTTP_ACCEPT_LANGUAGE=language
        ).text

    assert 'name="session"' not in page
    assert 'id="sessions-summary"' not in page
    for span in spans(language):
        assert page.count(span) == 1, span
        assert f"{span}</time>" in page


def test_a_series_with_every_session_full_lists_them_once_in_the_header(
    client, organizer
):
    """No form, so no boxes: the header lists the sessions, each marked full."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        webinar = with_sessions(
            organizer,
            DECEMBER,
            days=2,
            every=7,
            registration_type="individual_session",
            limit=1,
        )
        for session in webinar.sessions.all():
            factories.RegistrantFactory(webinar=webinar, session=session)
        page = client.get(webinar.get_registration_url()).text

    assert 'name="session"' not in page
    assert 'id="sessions-summary"' not in page
    for span in spans("en")[:2]:
        assert page.count(span) == 1, span
    assert page.count('<span class="badge">Full</span>') == 2
