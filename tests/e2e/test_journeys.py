"""Each registrant journey in Chromium, in English and French, desktop and mobile.

Every page met on the way (error states, full, closed and device-limit pages
included) is checked by axe-core at WCAG 2.2 AA at both VIEWPORTS, in the
language the journey runs in. The sandbox stands in for Stripe's Checkout.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from payments.models import Payment
from recordings.models import WatchGrant
from registrations.approval import approve_registrant
from registrations.models import EmailLog, JoinDevice, RefundRequest, Registrant
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.recordings.support import attach_video, ended_webinar
from tests.registrations.checkout_support import make_paid_webinar
from tests.sandbox_fixtures import ASYNC_CARD, PAY_CARD
from webinars.models import Webinar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "fr")
# The sandbox's checkout speaks the session's locale (the registrant's language).
PAY_BUTTON = {"en": "Pay", "fr": "Payer"}
CANCEL_BUTTON = {"en": "Cancel", "fr": "Annuler"}


@pytest.fixture
def app(live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server


class Journey:
    """One registrant's browser in one language; `check` runs axe at each size."""

    def __init__(self, browser: Browser, app, language: str, *, script: bool = True):
        self.app = app
        self.language = language
        self.context = browser.new_context(
            locale=language,
            viewport=VIEWPORTS["desktop"],
            java_script_enabled=script,
        )
        self.context.add_cookies(
            [
                {
                    "name": settings.LANGUAGE_COOKIE_NAME,
                    "value": language,
                    "url": app.url,
                }
            ]
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)

    def open(self, path: str) -> Page:
        self.page.goto(path if path.startswith("http") else self.app.url + path)
        return self.page

    def check(
        self, label: str, *, lang: str | None = None, best_practice: bool = False
    ) -> None:
        page = self.page
        page.wait_for_load_state("load")
        expected = lang or self.language
        assert page.evaluate("document.documentElement.lang") == expected, label
        for name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            label_here = f"{label}, {self.language}, {name}"
            assert_accessible(page, label_here, best_practice=best_practice)
        page.set_viewport_size(VIEWPORTS["desktop"])

    def fill_form(self, *, email: str) -> None:
        self.page.fill("input[name=first_name]", "Ada")
        self.page.fill("input[name=last_name]", "Lovelace")
        self.page.fill("input[name=email]", email)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def journeys(browser: Browser, app) -> Iterator:
    opened: list[Journey] = []

    def start(language: str, **kwargs) -> Journey:
        journey = Journey(browser, app, language, **kwargs)
        opened.append(journey)
        return journey

    yield start
    for journey in opened:
        journey.close()


def paid_webinar(organizer, stripe_sandbox, **fields) -> Webinar:
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, **fields
    )
    webinar.refund_policy = Webinar.RefundPolicy.FULL_UNTIL
    webinar.refund_hours_before = 24
    webinar.save()
    return webinar


def pay_on_the_sandbox(journey: Journey, card: str = PAY_CARD) -> None:
    page = journey.page
    expect(page.locator("h1.item")).to_be_visible()
    # The stand-in checkout page, in the registrant's language: axe's best
    # practices too, `region` among them (all its content in landmarks).
    journey.check("sandbox checkout page", best_practice=True)
    page.fill("input[name=card_number]", card)
    page.get_by_role("button", name=PAY_BUTTON[journey.language], exact=True).click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_paid_live_journey(journeys, organizer, stripe_sandbox, language):
    webinar = paid_webinar(organizer, stripe_sandbox, title="Budgeting basics")
    factories.DiscountCodeFactory(webinar=webinar, code="GUEST", amount=0)
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    expect(page.locator("#refund-policy")).to_be_visible()
    expect(page.locator("#register-pay-note")).to_be_visible()
    journey.check("registration page")

    # Error states: an empty form, then a code that does not exist.
    page.locator("#register-submit").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    journey.check("registration page, form errors")
    code = page.locator("input[name=discount_code]")
    message = page.locator("#price-code-message")
    code.fill("NOPE")
    page.locator("#discount-code-apply").click()
    # The refusal, at the field as the server puts it, announced politely once.
    error = page.locator("#id_discount_code_feedback > #id_discount_code_error")
    expect(error).not_to_be_empty()
    expect(error).to_have_class("errorlist")
    expect(message).to_be_empty()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", "id_discount_code_error")
    journey.check("registration page, invalid code")
    # Refused on "Register and pay" too: beside the field, what was typed kept.
    journey.fill_form(email=f"nope-{language}@example.com")
    code.fill("NOPE")
    page.locator("#register-submit").click()
    expect(page.locator("#id_discount_code_error")).to_be_visible()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_value("NOPE")
    journey.check("registration page, code refused on registering")

    # A free code: the button, the Stripe note and the policy follow it (script).
    code.fill("GUEST")
    # A new code clears the refusal.
    expect(page.locator("#id_discount_code_error")).to_be_hidden()
    expect(code).not_to_have_attribute("aria-invalid", "true")
    page.locator("#discount-code-apply").click()
    expect(message).not_to_be_empty()
    expect(page.locator("#id_discount_code_error")).to_have_count(0)
    submit = page.locator("#register-submit")
    expect(submit).to_have_text(submit.get_attribute("data-free-label"))
    expect(page.locator("#register-pay-note")).to_be_hidden()
    expect(page.locator("#refund-policy")).to_be_hidden()
    journey.check("registration page, free code applied")
    page.fill("input[name=discount_code]", "")
    page.locator("#discount-code-apply").click()
    expect(submit).to_have_text(submit.get_attribute("data-paid-label"))

    journey.fill_form(email=f"ada-{language}@example.com")
    submit.click()
    pay_on_the_sandbox(journey)

    expect(page.locator("#join-link")).to_be_visible()
    expect(page.locator("#bought-sessions li")).to_have_count(1)
    expect(page.locator("#calendar-link")).to_be_visible()
    expect(page.locator("#cancel-terms")).to_be_visible()
    expect(page.locator("#cancel-link")).to_be_visible()
    journey.check("success page, live")
    registrant = Registrant.objects.get(email=f"ada-{language}@example.com")
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.language == language

    page.locator("#join-link").click()
    countdown = page.locator("#countdown")
    expect(countdown).to_be_visible()
    assert " d " not in countdown.inner_text()
    journey.check("join page")


@pytest.mark.parametrize("language", LANGUAGES)
def test_series_with_two_sessions_journey(
    journeys, organizer, stripe_sandbox, language
):
    webinar = paid_webinar(
        organizer,
        stripe_sandbox,
        title="Evening series",
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
        sessions=0,
    )
    start = timezone.now() + timedelta(days=10)
    for day in (0, 7, 14):
        factories.SessionFactory(
            webinar=webinar,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=1),
        )
    first, second, _third = webinar.sessions.order_by("starts_at")
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    expect(page.locator("#price-unit")).to_be_visible()
    journey.check("registration page, series")

    # No session ticked: the fieldset says so.
    journey.fill_form(email=f"series-{language}@example.com")
    page.locator("#register-submit").click()
    expect(page.locator("fieldset .errorlist")).to_be_visible()
    journey.check("registration page, series, no session chosen")

    journey.fill_form(email=f"series-{language}@example.com")
    page.locator(f"input[name=session][value='{first.pk}']").check()
    page.locator(f"input[name=session][value='{second.pk}']").check()
    expect(page.locator("#price-total")).to_contain_text("100")
    page.locator("#register-submit").click()
    expect(page.locator("p.amount")).to_contain_text("100")
    pay_on_the_sandbox(journey)

    expect(page.locator("#bought-sessions li")).to_have_count(2)
    expect(page.locator("#several-sessions")).to_be_visible()
    expect(page.locator("#cancel-terms")).to_be_visible()
    journey.check("success page, series with two sessions")
    registrants = Registrant.objects.filter(email=f"series-{language}@example.com")
    assert sorted(registrants.values_list("session_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert {r.status for r in registrants} == {Registrant.Status.CONFIRMED}
    assert {r.payment_id for r in registrants} == {Payment.objects.get().pk}


@pytest.mark.parametrize("language", LANGUAGES)
def test_leaving_checkout_brings_the_form_back_filled(
    journeys, organizer, stripe_sandbox, language
):
    webinar = paid_webinar(organizer, stripe_sandbox, title="Second thoughts")
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    journey.fill_form(email=f"back-{language}@example.com")
    page.locator("#register-submit").click()
    expect(page.locator("h1.item")).to_be_visible()
    page.get_by_role("button", name=CANCEL_BUTTON[language], exact=True).click()

    expect(page.locator("input[name=email]")).to_have_value(
        f"back-{language}@example.com"
    )
    expect(page.locator("input[name=first_name]")).to_have_value("Ada")
    expect(page.locator("input[name=last_name]")).to_have_value("Lovelace")
    expect(page.locator(".messages")).to_be_visible()
    journey.check("registration page, back from checkout")
    # The seat was given back: registering again goes straight to Checkout.
    page.locator("#register-submit").click()
    expect(page.locator("h1.item")).to_be_visible()
    assert Registrant.objects.filter(webinar=webinar).count() == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_self_cancel_journey(journeys, organizer, stripe_sandbox, language):
    webinar = paid_webinar(organizer, stripe_sandbox, title="Self-cancel clinic")
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    journey.fill_form(email=f"cancel-{language}@example.com")
    page.locator("#register-submit").click()
    pay_on_the_sandbox(journey)
    expect(page.locator("#cancel-link")).to_be_visible()

    page.locator("#cancel-link").click()
    journey.check("cancel page")
    page.locator("form button.danger").click()
    expect(page.locator("#cancel-confirm")).to_be_visible()
    expect(page.locator("#cancel-outcome")).to_contain_text("50")
    journey.check("cancel page, confirmation step")

    page.locator("#keep-registration").click()
    expect(page.locator("#kept")).to_be_visible()
    journey.check("cancel page, registration kept")
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.CONFIRMED

    page.locator("form button.danger").click()
    page.locator("#cancel-confirm button.danger").click()
    expect(page.locator("#cancelled")).to_be_visible()
    journey.check("cancel page, cancelled")
    registrant.refresh_from_db()
    assert registrant.status in (
        Registrant.Status.CANCELLED,
        Registrant.Status.REFUNDED,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_refund_request_is_refused_and_kept(
    journeys, organizer, stripe_sandbox, language
):
    webinar = paid_webinar(organizer, stripe_sandbox, title="No refunds here")
    webinar.refund_policy = Webinar.RefundPolicy.NONE
    webinar.save()
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    journey.fill_form(email=f"asking-{language}@example.com")
    page.locator("#register-submit").click()
    pay_on_the_sandbox(journey)
    page.locator("#cancel-link").click()
    message = "Please. " * 250 + "ill"  # 2,003 characters: over the 2,000 allowed

    field = page.locator("#id_message")
    field.fill(message)
    expect(field).to_have_value(message)
    page.locator("form:has(#id_message) button[type=submit]").click()

    expect(page.locator("#id_message_error")).to_contain_text("2003")
    expect(field).to_have_value(message)
    expect(field).to_have_attribute("aria-describedby", "id_message_error")
    journey.check("cancel page, refund request too long")
    assert not RefundRequest.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_async_failed_payment_journey(journeys, organizer, stripe_sandbox, language):
    webinar = paid_webinar(organizer, stripe_sandbox, title="Bank debit day")
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    journey.fill_form(email="slow@example.com")
    page.locator("#register-submit").click()
    pay_on_the_sandbox(journey, card=ASYNC_CARD)

    expect(page.locator("[data-refresh-watch] h1")).to_be_visible()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PROCESSING
    journey.check("processing page")

    stripe_sandbox.settle_payment(payment.payment_intent_id, outcome="failed")
    # The page checks itself and reloads once the answer changes.
    expect(
        page.locator("a[href$='" + webinar.get_registration_url() + "']")
    ).to_be_visible(timeout=30_000)
    journey.check("checkout ended page, payment failed")
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.EXPIRED
    assert list(registrant.emails.values_list("kind", flat=True)) == [
        EmailLog.Kind.PAYMENT_FAILED
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_approval_journey(journeys, organizer, stripe_sandbox, language):
    webinar = paid_webinar(
        organizer, stripe_sandbox, title="Vetted clinic", approval="manual"
    )
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    journey.fill_form(email="vetted@example.com")
    page.locator("#register-submit").click()
    pay_on_the_sandbox(journey)

    expect(page.locator("#cancel-terms")).to_be_visible()
    expect(page.locator("#join-link")).to_have_count(0)
    journey.check("success page, awaiting approval")

    approve_registrant(registrant=Registrant.objects.get())
    page.reload()
    expect(page.locator("#join-link")).to_be_visible()
    journey.check("success page, approved")


def emailed_join_path(email: str) -> str:
    """The personal link the confirmation email carries."""
    registrant = Registrant.objects.get(email=email)
    return reverse("registrations:join", args=[registrant.join_token])


def replay_for_sale(organizer) -> Webinar:
    webinar = ended_webinar(organizer, title="Replay of the budget talk")
    recording = attach_video(webinar)
    recording.available_until = timezone.now() + timedelta(days=30)
    recording.save()
    return webinar


@pytest.mark.parametrize("language", LANGUAGES)
def test_replay_journey(journeys, organizer, language):
    webinar = replay_for_sale(organizer)
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    expect(page.locator("#registration-mode")).to_be_visible()
    journey.check("registration page, replay")
    journey.fill_form(email="late@example.com")
    page.locator("#register-submit").click()

    # A free registration's page shows no personal link (it must read the same
    # for an email already registered): the link comes by email.
    expect(page.locator("#join-link")).to_have_count(0)
    expect(page.locator("#available-until")).to_be_visible()
    expect(page.locator("#calendar-link")).to_have_count(0)
    expect(page.locator("#cancel-link")).to_have_count(0)
    expect(page.locator("#bought-sessions")).to_have_count(0)
    journey.check("success page, replay")

    page = journey.open(emailed_join_path("late@example.com"))
    expect(page.locator("#player")).to_be_attached()
    expect(page.locator("h1")).to_have_text(webinar.title)
    expect(page.locator("#available-until")).to_contain_text("Europe/Paris")
    journey.check("watch page, replay")


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_demand_journey(journeys, organizer, language):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        sessions=0,
        kind="on_demand",
        title="Spreadsheets on demand",
    )
    attach_video(webinar)
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    expect(page.locator("ul.sessions")).to_have_count(0)
    expect(page.locator("h2", has_text="When")).to_have_count(0)
    journey.check("registration page, on demand")
    journey.fill_form(email="anytime@example.com")
    page.locator("#register-submit").click()

    expect(page.locator("#join-link")).to_have_count(0)
    expect(page.locator("#calendar-link")).to_have_count(0)
    journey.check("success page, on demand")
    page = journey.open(emailed_join_path("anytime@example.com"))
    expect(page.locator("#player")).to_be_attached()
    journey.check("watch page, on demand")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_applied_without_javascript(
    journeys, organizer, stripe_sandbox, language
):
    webinar = paid_webinar(organizer, stripe_sandbox, title="No script needed")
    factories.DiscountCodeFactory(webinar=webinar, code="GUEST", amount=0)
    journey = journeys(language, script=False)
    page = journey.open(webinar.get_registration_url())
    page.fill("input[name=discount_code]", "GUEST")
    page.locator("#discount-code-apply").click()

    submit = page.locator("#register-submit")
    expect(submit).to_have_text(submit.get_attribute("data-free-label"))
    expect(page.locator("#register-pay-note")).to_be_hidden()
    expect(page.locator("html")).to_have_attribute("lang", language)
    # axe needs script: a second browser shows the very page the server sent.
    served = page.content()
    viewer = journeys(language)
    url = journey.app.url + webinar.get_registration_url()
    viewer.page.route(
        url, lambda route: route.fulfill(body=served, content_type="text/html")
    )
    viewer.open(url)
    expect(viewer.page.locator("#price-code-message")).not_to_be_empty()
    viewer.check("registration page, free code applied without script")
    journey.fill_form(email="noscript@example.com")
    submit.click()
    expect(page.locator("h1")).to_be_visible()
    assert Registrant.objects.get(email="noscript@example.com").status == (
        Registrant.Status.CONFIRMED
    )
    assert not Payment.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_answer_is_typed_whole_then_refused_and_kept(
    journeys, organizer, language
):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        title="Tell us more",
        questions=[{"id": "why", "label": "Why?", "kind": "text", "required": False}],
    )
    answer = "word " * 239 + "tail."  # 1,200 characters: over the 1,000 allowed
    journey = journeys(language)
    page = journey.open(webinar.get_registration_url())
    field = page.locator("input[name=q_why]")
    expect(field).to_have_attribute("aria-describedby", "id_q_why_helptext")
    expect(page.locator("#id_q_why_helptext")).to_contain_text("1")

    # The browser takes all of it: no maxlength cuts it short.
    field.fill(answer)
    expect(field).to_have_value(answer)
    journey.fill_form(email=f"long-{language}@example.com")
    page.locator("#register-submit").click()

    error = page.locator("#id_q_why_error")
    expect(error).to_contain_text("1000")
    expect(error).to_contain_text("1200")
    expect(field).to_have_value(answer)
    expect(field).to_have_attribute(
        "aria-describedby", "id_q_why_helptext id_q_why_error"
    )
    expect(page.locator("input[name=first_name]")).to_have_value("Ada")
    journey.check("registration page, answer too long")
    assert not Registrant.objects.exists()


def closed_states(organizer) -> dict[str, Webinar]:
    """A webinar in each state whose registration page takes no registration."""
    states = {"over": ended_webinar(organizer, title="Over and done")}
    sold_out = ended_webinar(organizer, title="Replay sold out")
    recording = attach_video(sold_out)
    recording.view_limit = 1
    recording.save()
    WatchGrant.objects.create(
        registrant=factories.RegistrantFactory(webinar=sold_out), recording=recording
    )
    states["view limit"] = sold_out
    states["no session yet"] = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, title="Soon"
    )
    cancelled = factories.WebinarFactory(
        owner=organizer, account=organizer.account, title="Called off"
    )
    cancelled.cancelled_at = timezone.now()
    cancelled.save()
    states["cancelled"] = cancelled
    full = factories.WebinarFactory(
        owner=organizer, account=organizer.account, title="Packed", registration_limit=1
    )
    factories.RegistrantFactory(webinar=full)
    states["full"] = full
    return states


@pytest.mark.parametrize("language", LANGUAGES)
def test_closed_full_and_device_limit_pages(journeys, organizer, language):
    journey = journeys(language)
    reasons = {
        "over": "over",
        "view limit": "over",
        "no session yet": "no_session",
        "cancelled": "cancelled",
        "full": "full",
    }
    for state, webinar in closed_states(organizer).items():
        page = journey.open(webinar.get_registration_url())
        notice = page.locator("#closed-notice")
        expect(notice).to_have_attribute("data-reason", reasons[state])
        expect(page.locator("input[name=first_name]")).to_have_count(0)
        journey.check(f"registration page, {state}")

    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, title="Three devices"
    )
    registrant = factories.RegistrantFactory(webinar=webinar, language=language)
    for number in range(3):
        JoinDevice.objects.create(registrant=registrant, device_id=f"device{number}")
    page = journey.open(reverse("registrations:join", args=[registrant.join_token]))
    expect(page.locator("[role=alert]")).to_be_visible()
    journey.check("device limit page")
