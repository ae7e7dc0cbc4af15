"""Connecting and disconnecting Stripe through the sandbox's OAuth, over HTTP."""

import urllib.parse
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from organizers.models import Account
from payments import gateway
from payments.connect.connections import dashboard_warnings, selling_state
from payments.connect.oauth import SESSION_KEY
from payments.demo import connect_demo_account
from payments.models import Payment, Price, StripeConnection, StripeDisconnection
from tests import factories
from tests.sandbox_fixtures import http

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/console/stripe/"
CONNECT_URL = "/console/stripe/connect/"
CALLBACK_URL = "/console/stripe/callback/"


def assert_nothing_connected(response, message: str) -> None:
    """The callback page says why, and no connection was stored."""
    assert message in response.content.decode()
    assert not StripeConnection.objects.exists()


def authorize_at_stripe(
    client, *, decision: str = "authorize", account: str = "", business: str = ""
) -> str:
    """Press "Connect with Stripe", answer the sandbox's consent page, and
    return the callback path (with its query) Stripe redirects to."""
    response = client.post(CONNECT_URL)
    assert response.status_code == 302
    authorize_url = response["Location"]
    consent = http("GET", authorize_url)
    assert consent.status == 200
    assert "Authorize" in consent.text
    # The consent form posts back to its own URL with the person's choice.
    form = {"decision": decision, "account": account, "business_name": business}
    answer = http(
        "POST",
        authorize_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 302
    callback = urllib.parse.urlsplit(answer.location)
    assert callback.path == CALLBACK_URL
    return f"{callback.path}?{callback.query}"


def connect(client, sandbox, **kwargs) -> StripeConnection:
    """Run the whole OAuth round trip and return the stored connection."""
    callback = authorize_at_stripe(client, **kwargs)
    response = client.get(callback)
    assert response.status_code == 302
    return StripeConnection.objects.get(disconnected_at__isnull=True)


def connect_new_account(client, sandbox) -> tuple[str, StripeConnection]:
    """Create an account at the sandbox, connect it, return its id and connection."""
    acct = sandbox.create_account()
    return acct, connect(client, sandbox, account=acct)


def linked_at_stripe(acct: str) -> bool:
    """Tell whether the platform may still act on the account at Stripe."""
    try:
        gateway.retrieve_account(account=acct)
    except gateway.AccountDisconnected:
        return False
    return True


def messages_of(client, url: str = SETTINGS_URL) -> str:
    return client.get(url).content.decode()


def paid_webinar(owner, *, amount: int = 2500, enabled: bool = True, **kwargs):
    webinar = factories.WebinarFactory(owner=owner, account=owner.account, **kwargs)
    Price.objects.create(
        webinar=webinar, enabled=enabled, amount=amount, currency="EUR"
    )
    return webinar


def open_checkout(webinar, connection, *, amount: int = 2500) -> Payment:
    """Create a real open Checkout Session on the connected account."""
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id=connection.stripe_account_id,
        amount=amount,
        currency="EUR",
        status=Payment.Status.OPEN,
    )
    session = factories.open_checkout_session(
        payment,
        name=webinar.title,
        customer_email="ada@example.com",
        client_reference_id=str(payment.pk),
        metadata={"payment": str(payment.pk)},
        success_url="http://testserver/paid/{CHECKOUT_SESSION_ID}",
        locale="auto",
    )
    payment.checkout_session_id = session.id
    payment.checkout_url = session.url or ""
    payment.save()
    return payment


# -- connecting ---------------------------------------------------------------------


def test_admin_connects_the_account_wide_stripe_account(stripe_sandbox, admin, login):
    client = login(admin)
    acct = stripe_sandbox.create_account(business_name="Acme Training")

    connection = connect(client, stripe_sandbox, account=acct)

    assert connection.account == admin.account
    assert connection.organizer is None
    assert connection.stripe_account_id == acct
    assert connection.livemode is False
    assert connection.charges_enabled is True
    assert connection.details_submitted is True
    assert connection.business_name == "Acme Training"
    assert connection.connected_by == admin.user
    assert connection.connected_at is not None
    page = messages_of(client)
    assert f"acct_…{acct[-4:]}" in page
    assert acct not in page  # the full id is never shown
    assert "Charges enabled" in page


def test_connecting_a_new_test_account_from_the_consent_page(
    stripe_sandbox, admin, login
):
    connection = connect(login(admin), stripe_sandbox, business="Fresh Webinars")

    assert connection.stripe_account_id.startswith("acct_")
    assert connection.business_name == "Fresh Webinars"


def test_authorize_url_carries_a_state_bound_to_the_session(
    stripe_sandbox, admin, login
):
    client = login(admin)
    response = client.post(CONNECT_URL)

    query = dict(
        urllib.parse.parse_qsl(urllib.parse.urlsplit(response["Location"]).query)
    )
    pending = client.session[SESSION_KEY]
    assert query["state"] == pending["state"]
    assert len(pending["state"]) >= 40
    assert pending["account"] == admin.account_id
    assert query["scope"] == "read_write"
    assert query["client_id"] == "ca_sandbox"
    assert query["redirect_uri"] == "http://testserver/console/stripe/callback/"


def test_denied_authorization_stores_nothing(stripe_sandbox, admin, login):
    client = login(admin)
    callback = authorize_at_stripe(client, decision="deny")
    assert "error=access_denied" in callback

    response = client.get(callback, follow=True)

    assert response.status_code == 200
    assert_nothing_connected(response, "declined on Stripe")


def test_forged_state_is_refused_and_stores_nothing(stripe_sandbox, admin, login):
    client = login(admin)
    callback = authorize_at_stripe(client)
    forged = callback.replace("state=", "state=forged")

    response = client.get(forged, follow=True)

    assert_nothing_connected(response, "not valid any more")


def test_missing_state_is_refused(stripe_sandbox, admin, login):
    client = login(admin)
    callback = authorize_at_stripe(client)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))

    response = client.get(CALLBACK_URL, {"code": query["code"]}, follow=True)

    assert_nothing_connected(response, "not valid any more")


def test_callback_without_starting_is_refused(stripe_sandbox, admin, login):
    response = login(admin).get(
        CALLBACK_URL, {"code": "ac_nothing", "state": "x"}, follow=True
    )

    assert response.status_code == 200
    assert_nothing_connected(response, "not valid any more")


def test_state_from_another_users_session_is_refused(
    stripe_sandbox, account, admin, client
):
    other_admin = factories.OrganizerFactory(account=account, role="admin")
    client.force_login(admin.user)
    callback = authorize_at_stripe(client)
    client.logout()
    client.force_login(other_admin.user)

    response = client.get(callback, follow=True)

    assert_nothing_connected(response, "not valid any more")


def test_replayed_callback_is_refused(stripe_sandbox, admin, login):
    client = login(admin)
    callback = authorize_at_stripe(client)
    client.get(callback)
    connection = StripeConnection.objects.get()

    response = client.get(callback, follow=True)

    assert "not valid any more" in response.content.decode()
    assert list(StripeConnection.objects.all()) == [connection]


def test_reused_code_is_refused_by_stripe(stripe_sandbox, admin, login):
    client = login(admin)
    first = authorize_at_stripe(client)
    client.get(first)
    StripeConnection.objects.all().delete()
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(first).query))["code"]
    # A fresh, valid state with the already-exchanged code.
    client.post(CONNECT_URL)
    state = client.session[SESSION_KEY]["state"]

    response = client.get(CALLBACK_URL, {"code": code, "state": state}, follow=True)

    assert_nothing_connected(response, "expired or been used already")


def test_test_mode_account_is_refused_on_a_live_platform(
    stripe_sandbox, admin, login, settings
):
    client = login(admin)
    callback = authorize_at_stripe(client)
    settings.STRIPE_LIVEMODE = True

    response = client.get(callback, follow=True)

    assert_nothing_connected(response, "test-mode Stripe account")


def test_stripe_unavailable_during_the_exchange_stores_nothing(
    stripe_sandbox, admin, login
):
    client = login(admin)
    callback = authorize_at_stripe(client)
    # One failure for the request and each of the SDK's two retries.
    stripe_sandbox.inject_fault("500", count=3)

    response = client.get(callback, follow=True)

    assert response.status_code == 200
    assert_nothing_connected(response, "Stripe is unavailable right now")


def test_connecting_another_account_replaces_the_first_under_disconnect_rules(
    stripe_sandbox, admin, organizer, login
):
    client = login(admin)
    first_acct = stripe_sandbox.create_account(business_name="First")
    second_acct = stripe_sandbox.create_account(business_name="Second")
    first = connect(client, stripe_sandbox, account=first_acct)
    webinar = paid_webinar(organizer)
    payment = open_checkout(webinar, first)

    confirm = client.get(CONNECT_URL).content.decode()
    assert webinar.title in confirm
    second = connect(client, stripe_sandbox, account=second_acct)

    first.refresh_from_db()
    assert second.stripe_account_id == second_acct
    assert first.disconnected_at is not None
    assert first.disconnected_by == admin.user
    record = StripeDisconnection.objects.get(connection=first)
    assert record.source == StripeDisconnection.Source.REPLACED
    assert list(record.webinars.all()) == [webinar]
    assert stripe_sandbox.object(payment.checkout_session_id)["status"] == "expired"
    assert not linked_at_stripe(first_acct)
    price = Price.objects.get(webinar=webinar)
    assert (price.enabled, price.amount) == (False, 2500)


def test_reconnecting_the_same_account_keeps_one_connection(
    stripe_sandbox, admin, organizer, login
):
    client = login(admin)
    acct, first = connect_new_account(client, stripe_sandbox)
    webinar = paid_webinar(organizer)
    stripe_sandbox.update_account(acct, charges_enabled=False)

    again = connect(client, stripe_sandbox, account=acct)

    assert again.pk == first.pk
    assert again.charges_enabled is False
    assert Price.objects.get(webinar=webinar).enabled is True
    assert not StripeDisconnection.objects.exists()


def test_a_stripe_account_connected_elsewhere_is_refused(stripe_sandbox, admin, login):
    acct = stripe_sandbox.create_account()
    elsewhere = factories.AccountFactory()
    StripeConnection.objects.create(account=elsewhere, stripe_account_id=acct)
    client = login(admin)

    response = client.get(authorize_at_stripe(client, account=acct), follow=True)

    assert "already connected to Tessera elsewhere" in response.content.decode()
    assert not StripeConnection.objects.filter(account=admin.account).exists()


def test_organizer_connects_their_own_stripe_per_organizer(
    stripe_sandbox, account, admin, organizer, login
):
    account.stripe_scope = Account.StripeScope.ORGANIZER
    account.save()
    client = login(organizer)

    connection = connect(client, stripe_sandbox, business="Olivia's courses")

    assert connection.organizer == organizer
    mine = paid_webinar(organizer)
    theirs = paid_webinar(admin)
    assert selling_state(mine) == "paid"
    assert selling_state(theirs) == "unavailable"
    admin_page = login(admin).get(SETTINGS_URL).content.decode()
    assert organizer.display_name in admin_page
    assert connection.masked_id in admin_page


# -- disconnecting ------------------------------------------------------------------


def test_disconnect_confirmation_lists_paid_webinars_with_open_registration(
    stripe_sandbox, admin, organizer, login
):
    connection = StripeConnection.objects.create(
        account=admin.account, stripe_account_id=stripe_sandbox.demo_account
    )
    upcoming = paid_webinar(organizer, title="Upcoming paid")
    paid_webinar(organizer, title="Free one", enabled=False)
    past = paid_webinar(organizer, title="Past paid", sessions=0)
    start = timezone.now() - timedelta(days=2)
    factories.SessionFactory(webinar=past, starts_at=start)
    paid_webinar(organizer, title="Cancelled paid", cancelled_at=timezone.now())

    page = login(admin).get(f"/console/stripe/{connection.pk}/disconnect/")

    text = page.content.decode()
    assert page.status_code == 200
    assert upcoming.title in text
    for title in ("Free one", "Past paid", "Cancelled paid"):
        assert title not in text


def test_disconnect_expires_open_sessions_and_makes_paid_webinars_free(
    stripe_sandbox, admin, organizer, login
):
    client = login(admin)
    acct, connection = connect_new_account(client, stripe_sandbox)
    webinar = paid_webinar(organizer, amount=4200)
    other = paid_webinar(organizer, amount=1500)
    open_payment = open_checkout(webinar, connection, amount=4200)
    paid_payment = open_checkout(other, connection, amount=1500)
    # Paid at Stripe, not yet known here: expiring it is refused, and harmless.
    stripe_sandbox.complete(paid_payment.checkout_session_id)

    response = client.post(f"/console/stripe/{connection.pk}/disconnect/", follow=True)

    assert "disconnected" in response.content.decode()
    assert stripe_sandbox.object(open_payment.checkout_session_id)["status"] == (
        "expired"
    )
    assert stripe_sandbox.object(paid_payment.checkout_session_id)["status"] == (
        "complete"
    )
    assert not linked_at_stripe(acct)
    connection.refresh_from_db()
    assert connection.disconnected_at is not None
    assert connection.disconnected_by == admin.user
    prices = {p.webinar_id: (p.enabled, p.amount) for p in Price.objects.all()}
    assert prices == {webinar.pk: (False, 4200), other.pk: (False, 1500)}
    assert selling_state(webinar) == "free"
    record = StripeDisconnection.objects.get()
    assert record.source == StripeDisconnection.Source.CONSOLE
    assert record.disconnected_by == admin.user
    assert record.stripe_account_id == acct
    assert set(record.webinars.all()) == {webinar, other}
    assert sorted(record.webinar_titles) == sorted([webinar.title, other.title])
    assert record.expired_sessions == 1
    assert Price.objects.get(webinar=webinar).changes.exists()


def test_disconnect_while_stripe_is_unavailable_changes_nothing_and_can_be_retried(
    stripe_sandbox, admin, organizer, login
):
    client = login(admin)
    acct, connection = connect_new_account(client, stripe_sandbox)
    webinar = paid_webinar(organizer)
    payment = open_checkout(webinar, connection)
    url = f"/console/stripe/{connection.pk}/disconnect/"
    # Stripe fails the request and both of the SDK's retries.
    stripe_sandbox.inject_fault("500", count=3)

    response = client.post(url, follow=True)

    text = response.content.decode()
    assert response.status_code == 200
    assert "Stripe is unavailable right now" in text
    assert response.redirect_chain[-1][0] == url
    connection.refresh_from_db()
    assert connection.is_active
    assert Price.objects.get(webinar=webinar).enabled is True
    assert linked_at_stripe(acct)
    assert stripe_sandbox.object(payment.checkout_session_id)["status"] == "open"
    assert not StripeDisconnection.objects.exists()

    client.post(url)

    connection.refresh_from_db()
    assert not connection.is_active
    assert Price.objects.get(webinar=webinar).enabled is False
    assert not linked_at_stripe(acct)
    assert stripe_sandbox.object(payment.checkout_session_id)["status"] == "expired"


def test_disconnecting_an_account_already_unlinked_at_stripe_still_disconnects(
    stripe_sandbox, admin, organizer, login
):
    client = login(admin)
    acct, connection = connect_new_account(client, stripe_sandbox)
    webinar = paid_webinar(organizer)
    stripe_sandbox.deauthorize(acct)

    client.post(f"/console/stripe/{connection.pk}/disconnect/")

    connection.refresh_from_db()
    assert not connection.is_active
    assert Price.objects.get(webinar=webinar).enabled is False


# -- status where it matters ----------------------------------------------------------


def test_selling_state_follows_price_and_connection(stripe_sandbox, admin, organizer):
    webinar = factories.WebinarFactory(owner=organizer)
    assert selling_state(webinar) == "free"
    price = Price.objects.create(webinar=webinar, enabled=True, amount=900)
    assert selling_state(webinar) == "unavailable"
    connection = StripeConnection.objects.create(
        account=organizer.account,
        stripe_account_id="acct_x",
        charges_enabled=True,
        details_submitted=True,
    )
    assert selling_state(webinar) == "paid"
    connection.charges_enabled = False
    connection.save()
    assert selling_state(webinar) == "unavailable"
    price.enabled = False
    price.save()
    assert selling_state(webinar) == "free"


def test_a_connection_sells_only_with_details_submitted_and_charges_enabled(
    organizer,
):
    webinar = paid_webinar(organizer)
    connection = StripeConnection.objects.create(
        account=organizer.account,
        stripe_account_id="acct_flags",
        charges_enabled=True,
        details_submitted=False,
    )

    assert connection.is_usable is False
    assert selling_state(webinar) == "unavailable"
    connection.details_submitted = True
    connection.save()
    assert connection.is_usable is True
    assert selling_state(webinar) == "paid"
    connection.charges_enabled = False
    connection.save()
    assert connection.is_usable is False
    assert selling_state(webinar) == "unavailable"


def test_dashboard_warns_when_paid_webinars_have_no_usable_connection(
    admin, organizer, login
):
    webinar = paid_webinar(organizer, title="Paid masterclass")
    paid_webinar(organizer, title="Free talk", enabled=False)

    warnings = dashboard_warnings(organizer)
    page = login(organizer).get("/console/").content.decode()

    assert len(warnings) == 1
    assert "Paid masterclass" in warnings[0]
    assert "Free talk" not in warnings[0]
    assert "Paid masterclass" in page
    StripeConnection.objects.create(
        account=webinar.account,
        stripe_account_id="acct_ok",
        charges_enabled=True,
        details_submitted=True,
    )
    assert dashboard_warnings(organizer) == []


def test_webinar_page_and_account_page_show_the_stripe_status(
    admin, organizer, webinar, login
):
    StripeConnection.objects.create(
        account=webinar.account,
        stripe_account_id="acct_1TesseraDemo0001",
        charges_enabled=False,
        connected_by=admin.user,
    )
    client = login(organizer)

    webinar_page = client.get(webinar.get_absolute_url()).content.decode()
    account_page = client.get("/console/account/").content.decode()

    for page in (webinar_page, account_page):
        assert "acct_…0001" in page
        assert "Charges disabled" in page
        assert admin.user.get_full_name() in page


def test_seed_demo_connects_the_demo_account_once_and_prints_it(settings, capsys):
    settings.STRIPE_SANDBOX = True

    call_command("seed_demo")
    call_command("seed_demo")

    demo = Account.objects.get(name="Demo")
    connection = StripeConnection.objects.get(account=demo)
    assert connection.stripe_account_id == settings.DEMO_STRIPE_ACCOUNT
    assert connection.is_usable
    assert connection.organizer is None
    assert f"Stripe account: {settings.DEMO_STRIPE_ACCOUNT}" in capsys.readouterr().out


def test_seed_demo_connects_nothing_without_the_sandbox(settings, account, admin):
    settings.STRIPE_SANDBOX = False

    connect_demo_account(account=account, admin=admin, organizer=admin, webinars={})

    assert not StripeConnection.objects.exists()
    assert mail.outbox == []
