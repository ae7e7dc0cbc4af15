"""The pages every browser check visits: tests/e2e/test_csp_pages.py loads each one
in Chromium under the real Content-Security-Policy, fails on any violation, and
runs axe (WCAG 2.2 AA) in English and French, on desktop and mobile.

Add a page (other tests may import PAGES too):

    @page("webinar page", login=True)
    def webinar_page(world: World) -> str:
        webinar = factories.WebinarFactory(owner=world.organizer)
        return webinar.get_absolute_url()

The function builds the state it needs with factories or services (the database
is fresh for each page) and returns the path to open, or a `Visit` when the page
needs a step in the browser first (submit a form, wait for a script) or must
not load one of its scripts. `login=True` opens it as `world.organizer`, an admin
of its own account.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from organizers.models import Organizer
from payments.models import Payment, Refund
from recordings.watch import grant_watch
from registrations.models import EmailLog, Registrant
from registrations.refunds.cancellation import cancel_webinar
from registrations.tokens import done_token
from registrations.waitlist.organizer import offer_by_hand
from tests import factories
from tests.waitlist.support import full_webinar, line_up


@dataclass
class World:
    """What a page builder gets: the organizer the browser is logged in as."""

    organizer: Organizer


@dataclass(frozen=True)
class Visit:
    """A path, and what to do in the browser before the checks."""

    path: str
    # Runs after the page has loaded, in each language (e.g. send a form).
    act: Callable[[Page], None] | None = None
    # Static files (ends of URLs) not to load, e.g. a script that navigates away.
    block: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PageEntry:
    name: str
    build: Callable[[World], "str | Visit"]
    login: bool


PAGES: dict[str, PageEntry] = {}


def page(name: str, *, login: bool = False) -> Callable:
    """Register a page builder under `name` (the test's id and failure label)."""

    def register(build: Callable[[World], "str | Visit"]) -> Callable:
        assert name not in PAGES, f"two pages named {name!r}"
        PAGES[name] = PageEntry(name=name, build=build, login=login)
        return build

    return register


def _webinar(world: World, **fields):
    return factories.WebinarFactory(
        owner=world.organizer, title="Budgeting basics", **fields
    )


def _paid_webinar(world: World):
    """A one-session webinar at 50.00 EUR with a discount code (the "Apply" button)."""
    webinar = _webinar(world)
    factories.StripeConnectionFactory(account=webinar.account)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    factories.DiscountCodeFactory(webinar=webinar, code="EARLY", amount=2500)
    return webinar


def _wait_for(selector: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.wait_for_selector(selector)

    return act


# --- Public pages -------------------------------------------------------------


@page("login")
def login_page(world: World) -> str:
    return reverse("organizers:login")


@page("registration page")
def registration_page(world: World) -> str:
    return _paid_webinar(world).get_registration_url()


def _send_empty_form(page: Page) -> None:
    page.locator("#register-submit").click()
    page.wait_for_selector(".errorlist")


@page("registration page, form errors")
def registration_errors(world: World) -> Visit:
    return Visit(_paid_webinar(world).get_registration_url(), act=_send_empty_form)


def _tick_two_sessions(page: Page) -> None:
    for box in page.locator("input[name=session]").all()[:2]:
        box.check()
    page.wait_for_selector("#price-total:not([hidden])")


@page("registration page, series with two sessions ticked")
def registration_series(world: World) -> Visit:
    webinar = _webinar(world, registration_type="individual_session", sessions=3)
    factories.StripeConnectionFactory(account=webinar.account)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    return Visit(webinar.get_registration_url(), act=_tick_two_sessions)


@page("registration page, series of four sessions (all included)")
def registration_series_all_sessions(world: World) -> str:
    webinar = _webinar(world, registration_type="all_sessions", sessions=4)
    factories.StripeConnectionFactory(account=webinar.account)
    factories.PriceFactory(webinar=webinar, amount=5000, currency="EUR")
    return webinar.get_registration_url()


@page("done page")
def done_page(world: World) -> str:
    webinar = _webinar(world)
    token = done_token(webinar_id=webinar.pk, status=Registrant.Status.CONFIRMED)
    return f"{reverse('registrations:done', args=[webinar.registration_key])}?r={token}"


@page("done page, awaiting approval")
def done_awaiting_page(world: World) -> str:
    webinar = _webinar(world)
    token = done_token(webinar_id=webinar.pk, status=Registrant.Status.AWAITING)
    return f"{reverse('registrations:done', args=[webinar.registration_key])}?r={token}"


@page("done page, cancelled by the registrant")
def done_cancelled_page(world: World) -> str:
    webinar = _webinar(world)
    registrant = factories.RegistrantFactory(
        webinar=webinar,
        status=Registrant.Status.CANCELLED,
        cancelled_by=Registrant.CancelledBy.REGISTRANT,
    )
    token = done_token(
        webinar_id=webinar.pk,
        status=Registrant.Status.CONFIRMED,
        registrant_id=registrant.pk,
    )
    return f"{reverse('registrations:done', args=[webinar.registration_key])}?r={token}"


def _paid_return_page(
    world: World, *, status: str, cancelled_by: str, refund: str | None
) -> str:
    """Checkout's return page of a registrant who paid 24.50 EUR, now `status`."""
    webinar = _paid_webinar(world)
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_pages",
        checkout_session_id=f"cs_test_pages_{webinar.pk}",
        payment_intent_id=f"pi_pages_{webinar.pk}",
        amount=2450,
        currency="EUR",
        status=Payment.Status.PAID,
        paid_at=timezone.now(),
    )
    factories.RegistrantFactory(
        webinar=webinar,
        payment=payment,
        source=Registrant.Source.PAID,
        amount=2450,
        currency="EUR",
        status=status,
        cancelled_by=cancelled_by,
    )
    if refund is not None:
        Refund.objects.create(
            payment=payment, amount=2450, status=refund, idempotency_key=refund
        )
    path = reverse("registrations:checkout_success", args=[webinar.registration_key])
    return f"{path}?session_id={payment.checkout_session_id}"


@page("paid return page, cancelled by the organizer, refund on its way")
def paid_cancelled_by_organizer(world: World) -> str:
    return _paid_return_page(
        world,
        status=Registrant.Status.CANCELLED,
        cancelled_by=Registrant.CancelledBy.ORGANIZER,
        refund=Refund.Status.PENDING,
    )


@page("paid return page, cancelled by the registrant, no refund")
def paid_cancelled_by_registrant(world: World) -> str:
    return _paid_return_page(
        world,
        status=Registrant.Status.CANCELLED,
        cancelled_by=Registrant.CancelledBy.REGISTRANT,
        refund=None,
    )


@page("paid return page, refunded")
def paid_refunded(world: World) -> str:
    return _paid_return_page(
        world,
        status=Registrant.Status.REFUNDED,
        cancelled_by=Registrant.CancelledBy.ORGANIZER,
        refund=Refund.Status.SUCCEEDED,
    )


@page("paid return page, no seat: refunded automatically")
def paid_no_seat(world: World) -> str:
    return _paid_return_page(
        world,
        status=Registrant.Status.CANCELLED,
        cancelled_by=Registrant.CancelledBy.AUTOMATIC,
        refund=Refund.Status.PENDING,
    )


@page("device continue page")
def device_continue(world: World) -> Visit:
    registrant = factories.RegistrantFactory(webinar=_webinar(world))
    # Without its script the page stays (as for a mail link scanner).
    return Visit(
        reverse("registrations:join", args=[registrant.join_token]),
        block=("js/device-continue.js",),
        act=_wait_for("[data-device-continue]"),
    )


@page("join page")
def join_page(world: World) -> Visit:
    registrant = factories.RegistrantFactory(webinar=_webinar(world))
    # The continue page sends itself; the join page's countdown then ticks.
    return Visit(
        reverse("registrations:join", args=[registrant.join_token]),
        act=_wait_for("#countdown"),
    )


def _player_started(page: Page) -> None:
    page.wait_for_selector("video#player")
    page.wait_for_function(
        "() => { const v = document.getElementById('player');"
        " return v && v.currentSrc && v.readyState >= 1; }"
    )


@page("watch page")
def watch_page(world: World) -> Visit:
    webinar = _webinar(world, kind="on_demand", sessions=0)
    recording = factories.RecordingFactory(
        account=webinar.account, title="Planning recording"
    )
    registrant = factories.RegistrantFactory(webinar=webinar)
    grant = grant_watch(registrant=registrant, recording=recording)
    return Visit(grant.get_absolute_url(), act=_player_started)


@page("registrant cancel page")
def self_cancel_page(world: World) -> str:
    registrant = factories.RegistrantFactory(webinar=_webinar(world))
    return reverse("registrations:self_cancel", args=[registrant.cancel_token])


# --- Console ------------------------------------------------------------------


@page("dashboard", login=True)
def dashboard(world: World) -> str:
    _webinar(world)
    return reverse("webinars:dashboard")


@page("webinar page", login=True)
def webinar_page(world: World) -> str:
    return _webinar(world).get_absolute_url()


@page("registrant list", login=True)
def registrant_list(world: World) -> str:
    webinar = _webinar(world)
    factories.RegistrantFactory(webinar=webinar)
    factories.RegistrantFactory(
        webinar=webinar, status=Registrant.Status.CANCELLED, confirmed_at=None
    )
    return reverse("registrations:registrants", args=[webinar.pk])


@page("registrant refund page", login=True)
def registrant_refund(world: World) -> str:
    registrant = factories.RegistrantFactory(webinar=_webinar(world))
    return reverse(
        "registrations:refund_registrant", args=[registrant.webinar_id, registrant.pk]
    )


@page("payments section", login=True)
def payments_section(world: World) -> str:
    webinar = _paid_webinar(world)
    return reverse("payments:pricing", args=[webinar.pk])


@page("Stripe settings", login=True)
def stripe_settings(world: World) -> str:
    factories.StripeConnectionFactory(account=world.organizer.account)
    return reverse("payments:stripe_settings")


@page("emails console", login=True)
def emails_console(world: World) -> str:
    return reverse("registrations:email_settings", args=[_webinar(world).pk])


@page("email preview", login=True)
def email_preview(world: World) -> str:
    webinar = _webinar(world)
    return reverse(
        "registrations:email_preview",
        args=[webinar.pk, EmailLog.Kind.CONFIRMATION, "en"],
    )


@page("recordings library", login=True)
def recordings_library(world: World) -> str:
    factories.RecordingFactory(account=world.organizer.account, title="Kick-off")
    return reverse("recordings:list")


@page("recording page", login=True)
def recording_page(world: World) -> str:
    recording = factories.RecordingFactory(
        account=world.organizer.account,
        title="Kick-off",
        available_until=timezone.now() + timedelta(days=30),
    )
    return reverse("recordings:detail", args=[recording.pk])


@page("account page", login=True)
def account_page(world: World) -> str:
    return reverse("organizers:account")


@page("new webinar form", login=True)
def new_webinar_form(world: World) -> str:
    return reverse("webinars:create")


@page("invite form", login=True)
def invite_form(world: World) -> str:
    return reverse("organizers:invite")


# --- The waitlist -------------------------------------------------------------


def _full_webinar(world: World):
    """A webinar whose one seat is taken, waitlist on, with two people in line."""
    webinar = full_webinar(owner=world.organizer, seats=1, title="Budgeting basics")
    return webinar, line_up(webinar, 2)


@page("registration page, full with a waitlist")
def full_with_waitlist(world: World) -> str:
    webinar, _entries = _full_webinar(world)
    return webinar.get_registration_url()


@page("waitlist join page")
def waitlist_join_page(world: World) -> str:
    webinar, _entries = _full_webinar(world)
    return reverse("registrations:waitlist_join", args=[webinar.registration_key])


@page("waitlist status page")
def waitlist_status_page(world: World) -> str:
    _webinar, entries = _full_webinar(world)
    return reverse("registrations:waitlist_status", args=[entries[1].leave_token])


@page("waitlist status page, webinar cancelled")
def waitlist_status_cancelled(world: World) -> str:
    webinar, entries = _full_webinar(world)
    cancel_webinar(webinar=webinar)
    return reverse("registrations:waitlist_status", args=[entries[1].leave_token])


@page("waitlist offer page, webinar cancelled")
def waitlist_offer_cancelled(world: World) -> str:
    webinar, entries = _full_webinar(world)
    offer_by_hand(entry=entries[0])
    entries[0].refresh_from_db()
    cancel_webinar(webinar=webinar)
    return reverse("registrations:waitlist_offer", args=[entries[0].offer_token])


@page("waitlist offer page")
def waitlist_offer_page(world: World) -> str:
    _webinar, entries = _full_webinar(world)
    offer_by_hand(entry=entries[0])
    return reverse("registrations:waitlist_offer", args=[entries[0].offer_token])


@page("waitlist console", login=True)
def waitlist_console(world: World) -> str:
    webinar, entries = _full_webinar(world)
    offer_by_hand(entry=entries[0])
    return reverse("registrations:waitlist", args=[webinar.pk])


@page("waitlist console, webinar cancelled", login=True)
def waitlist_console_cancelled(world: World) -> str:
    webinar, entries = _full_webinar(world)
    offer_by_hand(entry=entries[0])
    cancel_webinar(webinar=webinar)
    return reverse("registrations:waitlist", args=[webinar.pk])


@page("cancel webinar, confirmation with a waitlist", login=True)
def cancel_with_waitlist(world: World) -> str:
    webinar, _entries = _full_webinar(world)
    return reverse("registrations:cancel_webinar", args=[webinar.pk])
