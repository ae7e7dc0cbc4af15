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
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from api.models import WebhookDelivery, WebhookEndpoint
from api.tokens import create_token
from payments import codes, price_changes
from payments.models import Payment, Refund, StripeDisconnection
from registrations.models import EmailLog, RefundRequest, Registrant
from tests import factories
from tests.e2e.a11y import VIEWPORTS, assert_accessible
from tests.e2e.cookies import start_cookies
from tests.e2e.pages import PAGES, Visit, World
from webinars.models import Webinar

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


@state("dashboard, an early bird running")
def dashboard_early_bird(world: World) -> str:
    webinar = _paid(world)
    factories.PriceTierFactory(
        price=webinar.price, amount=4000, ends_at=timezone.now() + timedelta(days=2)
    )
    _buyer(webinar)
    return reverse("webinars:dashboard")


@state("webinar page, cancelled")
def webinar_cancelled(world: World) -> str:
    webinar = _paid(world)
    webinar.cancelled_at = timezone.now()
    webinar.save(update_fields=["cancelled_at"])
    return webinar.get_absolute_url()


def _series(world: World):
    series = _webinar(
        world,
        registration_type=Webinar.RegistrationType.INDIVIDUAL_SESSION,
        sessions=3,
    )
    for session in series.sessions.all():
        factories.RegistrantFactory(webinar=series, session=session)
    return series


@state("dashboard, a series sold by session")
def dashboard_series(world: World) -> str:
    _series(world)
    return reverse("webinars:dashboard")


@state("webinar page, a series sold by session")
def webinar_series(world: World) -> str:
    return _series(world).get_absolute_url()


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


@state("registrant list, a refund requested")
def registrants_refund_requested(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    RefundRequest.objects.create(registrant=_buyer(webinar, 2), message="Sick")
    return reverse("registrations:registrants", args=[webinar.pk])


@state("registrant page, a refund requested")
def registrant_refund_requested(world: World) -> str:
    webinar = _paid(world)
    registrant = _buyer(webinar)
    RefundRequest.objects.create(registrant=registrant, message="Sick\nPlease")
    return reverse("registrations:registrant_detail", args=[webinar.pk, registrant.pk])


@state("registrant page, a refund request settled by a refund")
def registrant_refund_settled(world: World) -> str:
    webinar = _paid(world)
    registrant = _buyer(webinar, refunded=5000, status=Registrant.Status.REFUNDED)
    RefundRequest.objects.create(
        registrant=registrant,
        message="Sick",
        outcome=RefundRequest.Outcome.SETTLED,
        answered_at=timezone.now(),
    )
    return reverse("registrations:registrant_detail", args=[webinar.pk, registrant.pk])


@state("registrant list, automatic approval")
def registrants_automatic(world: World) -> str:
    webinar = _webinar(world)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    _buyer(webinar)
    return reverse("registrations:registrants", args=[webinar.pk])


@state("registrant list, an abandoned checkout left out (its note)")
def registrants_abandoned_folded(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    Registrant.objects.create(
        webinar=webinar,
        email="ANA1@example.com",
        first_name="Ana",
        last_name="Núñez 1",
        status=Registrant.Status.EXPIRED,
        source=Registrant.Source.PAID,
        amount=5000,
        currency="EUR",
    )
    return reverse("registrations:registrants", args=[webinar.pk])


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


def _bulk(action: str, *, tick: str = "#select-all") -> Callable[[Page], None]:
    """Tick rows (every one through the select-all box), choose, then Apply."""

    def act(page: Page) -> None:
        page.check(tick)
        page.select_option("#bulk-action", action)
        submit("#bulk-form button[type=submit]")(page)

    return act


def _refundable(webinar, n, **fields) -> Registrant:
    registrant = _buyer(webinar, n, **fields)
    Payment.objects.filter(pk=registrant.payment_id).update(
        payment_intent_id=f"pi_axe_{webinar.pk}_{n}"
    )
    return registrant


@state("registrant list, some rows selected (select-all mixed)")
def registrants_some_selected(world: World) -> Visit:
    webinar = _paid(world)
    first = _buyer(webinar, 1)
    _buyer(webinar, 2)

    def act(page: Page) -> None:
        page.check(f"#select-{first.pk}")
        assert page.evaluate("document.getElementById('select-all').indeterminate")

    return Visit(reverse("registrations:registrants", args=[webinar.pk]), act=act)


@state("bulk cancel, confirmation")
def bulk_cancel_confirmation(world: World) -> Visit:
    webinar = _paid(world)
    _buyer(webinar, 1)
    _buyer(webinar, 2, status=Registrant.Status.CANCELLED)
    return Visit(
        reverse("registrations:registrants", args=[webinar.pk]),
        act=_bulk("cancel"),
    )


@state("bulk refund in full, confirmation")
def bulk_refund_confirmation(world: World) -> Visit:
    webinar = _paid(world)
    _refundable(webinar, 1)
    _refundable(webinar, 2, refunded=2000, status=Registrant.Status.CANCELLED)
    factories.RegistrantFactory(webinar=webinar)
    return Visit(
        reverse("registrations:registrants", args=[webinar.pk]),
        act=_bulk("refund"),
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


@state("webinar edit form")
def webinar_edit(world: World) -> str:
    return reverse("webinars:edit", args=[_webinar(world).pk])


@state("add sessions form, errors")
def sessions_add_errors(world: World) -> Visit:
    webinar = _webinar(world)
    return Visit(
        reverse("webinars:sessions_add", args=[webinar.pk]),
        act=submit("main form[method=post] button[type=submit]"),
    )


@state("session edit form")
def session_edit(world: World) -> str:
    webinar = _webinar(world)
    session = webinar.sessions.first()
    return reverse("webinars:session_edit", args=[webinar.pk, session.pk])


@state("create Stripe account, confirmation")
def stripe_create(world: World) -> str:
    return reverse("payments:stripe_create")


@state("disconnect Stripe, confirmation")
def stripe_disconnect(world: World) -> str:
    webinar = _paid(world)
    connection = webinar.account.stripe_connections.get()
    return reverse("payments:stripe_disconnect", args=[connection.pk])


@state("payments section, history and codes")
def payments_history(world: World) -> str:
    webinar = _paid(world)
    user = world.organizer.user
    price_changes.set_price(webinar=webinar, amount=6000, currency="EUR", user=user)
    price_changes.add_tier(
        webinar=webinar,
        amount=4000,
        ends_at=timezone.now() + timedelta(days=2),
        user=user,
    )
    codes.create_code(
        webinar=webinar,
        code="SPRING",
        amount=3000,
        valid_until=timezone.now() + timedelta(days=3),
        user=user,
    )
    return reverse("payments:pricing", args=[webinar.pk])


@state("payments section, price form offering to turn payments on")
def price_offers_payments_on(world: World) -> str:
    webinar = _webinar(world)
    factories.StripeConnectionFactory(account=webinar.account)
    return reverse("payments:pricing", args=[webinar.pk])


@state("payments section, price saved without Stripe (message with a link)")
def price_saved_without_stripe(world: World) -> Visit:
    webinar = _webinar(world)

    def save_price(page: Page) -> None:
        page.fill("#price_amount", "49")
        submit("#price form button")(page)

    return Visit(reverse("payments:pricing", args=[webinar.pk]), act=save_price)


@state("payments section, another currency chosen (its limits in the hint)")
def price_currency_chosen(world: World) -> Visit:
    webinar = _paid(world)

    def choose(page: Page) -> None:
        page.select_option("#price_currency", "MXN")
        page.wait_for_selector("#price_amount_helptext:has-text('10')")

    return Visit(reverse("payments:pricing", args=[webinar.pk]), act=choose)


@state("discount code, form error")
def code_error(world: World) -> Visit:
    webinar = _paid(world)
    return Visit(
        reverse("payments:pricing", args=[webinar.pk]),
        act=submit(f"form[action$='/webinars/{webinar.pk}/payments/codes/'] button"),
    )


@state("discount code edit form")
def code_edit(world: World) -> str:
    webinar = _paid(world)
    code = factories.DiscountCodeFactory(webinar=webinar, amount=1000)
    return reverse("payments:pricing_code_edit", args=[webinar.pk, code.pk])


@state("checkout preview")
def checkout_preview(world: World) -> str:
    return reverse("payments:pricing_preview", args=[_paid(world).pk])


@state("refunds overview")
def refunds_overview(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    RefundRequest.objects.create(registrant=_buyer(webinar, 2), message="Sick")
    return reverse("registrations:refunds_overview", args=[webinar.pk])


@state("refunds overview, empty")
def refunds_overview_empty(world: World) -> str:
    return reverse("registrations:refunds_overview", args=[_webinar(world).pk])


@state("refund policy form")
def refund_policy(world: World) -> str:
    return reverse("registrations:refund_policy", args=[_paid(world).pk])


@state("refund request, answer")
def refund_request_answer(world: World) -> str:
    webinar = _paid(world)
    asked = RefundRequest.objects.create(registrant=_buyer(webinar), message="Sick")
    return reverse("registrations:answer_refund_request", args=[webinar.pk, asked.pk])


@state("registrant refund page, refunds listed")
def registrant_refunds(world: World) -> str:
    webinar = _paid(world)
    registrant = _buyer(webinar, refunded=1000)
    Refund.objects.create(
        payment=registrant.payment,
        amount=1000,
        status=Refund.Status.SUCCEEDED,
        reason_kind=Refund.ReasonKind.DENIED,
        idempotency_key=f"axe-{registrant.pk}",
    )
    return reverse("registrations:refund_registrant", args=[webinar.pk, registrant.pk])


@state("registrant refund page, a refund just made (banner)")
def registrant_refund_banner(world: World) -> str:
    webinar = _paid(world)
    registrant = _buyer(webinar)
    refund = Refund.objects.create(
        payment=registrant.payment,
        amount=1250,
        status=Refund.Status.REQUESTED,
        idempotency_key=f"axe-banner-{registrant.pk}",
    )
    page = reverse("registrations:refund_registrant", args=[webinar.pk, registrant.pk])
    return f"{page}?refund={refund.pk}"


@state("registrant refund page, confirmation")
def registrant_refund_confirmation(world: World) -> Visit:
    webinar = _paid(world)
    registrant = _buyer(webinar)

    def review(page: Page) -> None:
        page.check("input[value=cancel_full]")
        submit("main form[method=post] button[type=submit]")(page)
        assert page.locator("input[name=token]").count() == 1  # the confirm step

    return Visit(
        reverse("registrations:refund_registrant", args=[webinar.pk, registrant.pk]),
        act=review,
    )


@state("cancel webinar, confirmation")
def cancel_webinar(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar)
    return reverse("registrations:cancel_webinar", args=[webinar.pk])


@state("cancel session, confirmation")
def cancel_session(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar)
    session = webinar.sessions.first()
    return reverse("registrations:cancel_session", args=[webinar.pk, session.pk])


@state("webinar revenue report")
def webinar_report(world: World) -> str:
    webinar = _paid(world)
    _buyer(webinar, 1)
    _buyer(webinar, 2, refunded=1000)
    return reverse("registrations:report", args=[webinar.pk])


@state("email history")
def email_history(world: World) -> str:
    webinar = _webinar(world)
    registrant = factories.RegistrantFactory(webinar=webinar)
    session = webinar.sessions.first()
    EmailLog.objects.create(
        registrant=registrant,
        kind=EmailLog.Kind.CONFIRMATION,
        status=EmailLog.Status.SENT,
        sent_at=timezone.now(),
    )
    EmailLog.objects.create(
        registrant=registrant,
        kind=EmailLog.Kind.REMINDER,
        session=session,
        variant=60,
        status=EmailLog.Status.DROPPED,
        drop_reason=EmailLog.DropReason.STATUS,
        drop_params={"status": "cancelled"},
    )
    EmailLog.objects.create(
        registrant=registrant,
        kind=EmailLog.Kind.FOLLOWUP_ATTENDED,
        session=session,
        status=EmailLog.Status.FAILED,
        last_error="550 5.1.1 No such user",
        failed_at=timezone.now(),
    )
    return reverse("registrations:email_history", args=[webinar.pk, registrant.pk])


@state("API tokens")
def api_tokens(world: World) -> str:
    create_token(creator=world.organizer, name="CRM", scope="read")
    return reverse("api:tokens")


@state("API tokens, empty, form error")
def api_tokens_error(world: World) -> Visit:
    return Visit(
        reverse("api:tokens"), act=submit("main form[method=post] button[type=submit]")
    )


@state("webhooks, empty, form error")
def webhooks_error(world: World) -> Visit:
    return Visit(
        reverse("api:webhooks"),
        act=submit("main form[method=post] button[type=submit]"),
    )


@state("webhook page, deliveries")
def webhook_detail(world: World) -> str:
    endpoint = WebhookEndpoint.objects.create(
        account=world.organizer.account,
        creator=world.organizer,
        url="https://example.com/hooks",
        events=["registrant.confirmed"],
    )
    for n, status in enumerate(["delivered", "pending", "failed"]):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=f"evt_{n}",
            event_type="registrant.confirmed",
            payload={},
            status=status,
            attempts=n,
            last_status_code=500 if n else 200,
        )
    return reverse("api:webhook", args=[endpoint.pk])


@state("connect Stripe, confirmation listing paid webinars")
def stripe_connect(world: World) -> str:
    _paid(world)
    return reverse("payments:stripe_connect")


@state("recordings library, empty")
def recordings_empty(world: World) -> str:
    return reverse("recordings:list")


CONSOLE = {name: entry.build for name, entry in PAGES.items() if entry.login}
CONSOLE.update(STATES)


@pytest.mark.parametrize("name", list(CONSOLE))
def test_console_page_is_accessible(live_server, browser: Browser, name: str) -> None:
    organizer = factories.OrganizerFactory(role="admin")
    built = CONSOLE[name](World(organizer=organizer))
    visit = built if isinstance(built, Visit) else Visit(built)
    for language in LANGUAGES:
        context = browser.new_context(locale=language, viewport=VIEWPORTS["desktop"])
        try:
            context.add_cookies(
                start_cookies(live_server.url, language=language, user=organizer.user)
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
        "bulk cancel, confirmation",
        "bulk refund in full, confirmation",
        "turn payments off, confirmation",
        "Stripe scope change, confirmation",
        "revenue report",
        "webinar form, errors",
    }
    assert expected <= set(CONSOLE)


# Console URLs that are not pages of their own, each with why: the axe test
# covers every other console URL (see the test below).
NOT_PAGES = {
    **dict.fromkeys(
        [
            "webinars:session_delete",
            "webinars:member_add",
            "webinars:member_remove",
            "webinars:question_add",
            "webinars:question_remove",
            "payments:pricing_switch",
            "payments:pricing_price",
            "payments:pricing_tier_add",
            "payments:pricing_tier_remove",
            "payments:pricing_code_add",
            "payments:pricing_codes_generate",
            "payments:pricing_code_deactivate",
            "payments:stripe_refresh",
            "registrations:registrants_bulk",
            "registrations:registrant_action",
            "registrations:email_resend",
            "recordings:upload",
            "recordings:add_external",
            "recordings:delete",
            "recordings:publish",
            "recordings:attach",
            "recordings:detach",
            "recordings:replay_price",
            "api:revoke_token",
            "api:webhook_action",
            "api:webhook_resend",
            "registrations:waitlist_action",
        ],
        "a form's target (POST only): its page and errors are covered",
    ),
    **dict.fromkeys(
        [
            "payments:pricing_codes_csv",
            "registrations:report_csv",
            "registrations:registrants_csv",
            "registrations:revenue_csv",
            "registrations:waitlist_csv",
            "recordings:media",
        ],
        "a file download",
    ),
    **dict.fromkeys(
        [
            "payments:stripe_callback",
            "payments:stripe_onboarding",
            "payments:stripe_onboarded",
        ],
        "a redirect to or back from Stripe",
    ),
    "registrations:refund_status": "a fragment the refund page polls",
}


def console_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif (prefix + str(pattern.pattern)).startswith("console/"):
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_console_page_is_covered() -> None:
    """Each console URL is opened by a page or state above, or is not a page."""
    covered = set()
    for build in CONSOLE.values():
        built = build(World(organizer=factories.OrganizerFactory(role="admin")))
        path = built.path if isinstance(built, Visit) else built
        match = resolve(path.split("?")[0])
        covered.add(f"{match.namespace}:{match.url_name}")
    names = console_url_names()
    assert {"webinars:dashboard", "api:webhook"} <= names
    missing = names - covered - set(NOT_PAGES)
    assert not missing, f"console pages the axe test does not open: {missing}"
    assert not covered & set(NOT_PAGES)
