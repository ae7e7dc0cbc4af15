"""Every console page and state (issue 15) is accessible: axe-core at WCAG 2.2 AA,
in English and French, on desktop and mobile.

The pages come from tests/e2e/pages.py (the shared registry: every page opened
logged in is a console page) plus the console's own states below: empty lists,
form errors, flash messages, confirmation pages, a cancelled webinar, the
revenue report, the registrant page. A state that needs a step in the browser
(submit a form) is a `Visit` with an `act`.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from payments.models import Payment, StripeDisconnection
from registrations.models import EmailLog, Registrant
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.e2e.pages import PAGES, Visit, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "fr")
Build = Callable[[World], "str | Visit"]
STATES: dict[str, Build] = {}


def state(name: str) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        STATES[name] = build
        return build

    return register


def submit(selector: str) -> Callable[[Page], None]:
    """Click the button `selector` and wait for the next page."""

    def act(page: Page) -> None:
        # The server's errors are the state under test, not the browser's.
        page.evaluate(
            "document.querySelectorAll('form').forEach(f => f.noValidate = true)"
        )
        with page.expect_navigation():
            page.click(selector)
        page.wait_for_load_state("load")

    return act


def _webinar(world: World, **fields):
    return factories.WebinarFactory(owner=world.organizer, title="Budgeting", **fields)


def _paid(world: World):
    webinar = _webinar(world, approval="manual")
    factories.StripeConnectionFactory(account=webinar.account)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    return webinar


def _buyer(webinar, n=1, **fields) -> Registrant:
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_test",
        checkout_session_id=f"cs_axe_{webinar.pk}_{n}",
        amount=5000,
        currency="EUR",
        amount_refunded=fields.pop("refunded", 0),
        status=Payment.Status.PAID,
        paid_at=timezone.now() - timedelta(days=2),
        stripe_fee=175,
        stripe_fee_currency="EUR",
    )
    values = {
        "webinar": webinar,
        "email": f"ana{n}@example.com",
        "first_name": "Ana",
        "last_name": f"Núñez {n}",
        "status": Registrant.Status.CONFIRMED,
        "source": Registrant.Source.PAID,
        "amount": 5000,
        "currency": "EUR",
        "payment": payment,
        "answers": {"q1": "Acme", "q2": True},
    }
    values.update(fields)
    return Registrant.objects.create(**values)


QUESTIONS = [
    {"id": "q1", "label": "Company", "kind": "text", "required": False},
    {"id": "q2", "label": "I accept the rules", "kind": "disclaimer", "required": True},
]


@state("dashboard, empty")
def dashboard_empty(world: World) -> str:
    return reverse("webinars:dashboard")


@state("dashboard, every status and warnings")
def dashboard_full(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar)
    _webinar(world, sessions=0)  # draft
    _webinar(world, registration_limit=1).registrants.create(
        email="x@example.com",
        first_name="X",
        last_name="Y",
        status="confirmed",
        source="free",
    )
    _webinar(world, cancelled_at=timezone.now())
    unpaid = _webinar(world)
    factories.PriceFactory(webinar=unpaid, amount=5000, currency="USD")
    factories.WebinarFactory(
        owner=world.organizer, title="On demand", kind="on_demand", sessions=0
    )
    registrant = factories.RegistrantFactory(webinar=webinar)
    EmailLog.objects.create(
        registrant=registrant, kind=EmailLog.Kind.CONFIRMATION, status="failed"
    )
    return reverse("webinars:dashboard")


@state("webinar page, cancelled")
def webinar_cancelled(world: World) -> str:
    webinar = _paid(world)
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])
    return webinar.get_absolute_url()


@state("webinar settings section")
def webinar_settings(world: World) -> str:
    webinar = _webinar(world, questions=QUESTIONS)
    factories.WebinarMemberFactory(webinar=webinar)
    return reverse("webinars:settings", args=[webinar.pk])


@state("webinar settings, form error")
def webinar_settings_error(world: World) -> Visit:
    webinar = _webinar(world)
    return Visit(
        reverse("webinars:settings", args=[webinar.pk]),
        act=submit(f"form[action$='/webinars/{webinar.pk}/questions/add/'] button"),
    )


@state("webinar recordings section")
def webinar_recordings(world: World) -> str:
    return reverse("webinars:recordings", args=[_webinar(world).pk])


@state("webinar form, errors")
def webinar_form_errors(world: World) -> Visit:
    return Visit(
        reverse("webinars:create"),
        act=submit("main form[method=post] button[type=submit]"),
    )


@state("registrant list, empty")
def registrants_empty(world: World) -> str:
    return reverse("registrations:registrants", args=[_webinar(world).pk])


@state("registrant list, money and refunds")
def registrants_money(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    _buyer(webinar, 2, refunded=2000)
    _buyer(webinar, 3, status=Registrant.Status.AWAITING)
    return reverse("registrations:registrants", args=[webinar.pk]) + "?q=ana"


@state("registrant list, nothing selected (flash error)")
def registrants_bulk_error(world: World) -> Visit:
    webinar = _paid(world)
    _buyer(webinar)
    return Visit(
        reverse("registrations:registrants", args=[webinar.pk]),
        act=submit("#bulk-form button[type=submit]"),
    )


@state("registrant page")
def registrant_page(world: World) -> str:
    webinar = _paid(world)
    webinar.questions = QUESTIONS
    webinar.save(update_fields=["questions"])
    registrant = _buyer(webinar)
    return reverse("registrations:registrant_detail", args=[webinar.pk, registrant.pk])


@state("deny and refund, confirmation")
def deny_confirmation(world: World) -> Visit:
    webinar = _paid(world)
    _buyer(webinar, status=Registrant.Status.AWAITING)
    return Visit(
        reverse("registrations:registrants", args=[webinar.pk]),
        act=submit("form[action$='/deny/'] button"),
    )


@state("turn payments off, confirmation")
def payments_off(world: World) -> Visit:
    webinar = _paid(world)
    return Visit(
        reverse("payments:pricing", args=[webinar.pk]),
        act=submit("#switch form button"),
    )


@state("Stripe scope change, confirmation")
def scope_change(world: World) -> Visit:
    _paid(world)

    def act(page: Page) -> None:
        page.select_option("select[name='settings-stripe_scope']", "organizer")
        submit("form:has(select[name='settings-stripe_scope']) button[type=submit]")(
            page
        )

    return Visit(reverse("organizers:account"), act=act)


@state("turn payments back on, list")
def restore_list(world: World) -> str:
    webinar = _webinar(world)
    old = factories.StripeConnectionFactory(
        account=webinar.account, disconnected_at=timezone.now()
    )
    record = StripeDisconnection.objects.create(
        connection=old,
        account=webinar.account,
        stripe_account_id=old.stripe_account_id,
        source="console",
    )
    record.webinars.set([webinar])
    factories.PriceFactory(webinar=webinar, amount=5000, enabled=False)
    factories.StripeConnectionFactory(account=webinar.account)
    return reverse("payments:stripe_restore")


@state("turn payments back on, nothing to do")
def restore_empty(world: World) -> str:
    return reverse("payments:stripe_restore")


@state("revenue report")
def revenue(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    _buyer(webinar, 2, refunded=1000)
    return reverse("registrations:revenue")


@state("revenue report, empty")
def revenue_empty(world: World) -> str:
    return reverse("registrations:revenue")


CONSOLE = {name: entry.build for name, entry in PAGES.items() if entry.login}
CONSOLE.update(STATES)


@pytest.mark.parametrize("name", list(CONSOLE))
def test_console_page_is_accessible(live_server, browser: Browser, name: str) -> None:
    organizer = factories.OrganizerFactory(role="admin")
    built = CONSOLE[name](World(organizer=organizer))
    visit = built if isinstance(built, Visit) else Visit(built)
    client = Client()
    client.force_login(organizer.user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    for language in LANGUAGES:
        context = browser.new_context(locale=language, viewport=VIEWPORTS["desktop"])
        try:
            context.add_cookies(
                [
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": live_server.url,
                    },
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "url": live_server.url,
                    },
                ]
            )
            for blocked in visit.block:
                context.route(f"**/{blocked}", lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(15_000)
            response = page.goto(f"{live_server.url}{visit.path}")
            assert response is not None and response.ok, (name, response)
            if visit.act:
                visit.act(page)
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.lang") == language
            for viewport, size in VIEWPORTS.items():
                page.set_viewport_size(size)
                assert_accessible(page, f"{name}, {language}, {viewport}")
        finally:
            context.close()


def test_the_console_states_the_issue_names_are_covered() -> None:
    expected = {
        "dashboard",
        "dashboard, empty",
        "webinar page",
        "webinar page, cancelled",
        "registrant list",
        "registrant list, empty",
        "registrant page",
        "deny and refund, confirmation",
        "turn payments off, confirmation",
        "Stripe scope change, confirmation",
        "revenue report",
        "webinar form, errors",
    }
    assert expected <= set(CONSOLE)
