"""Creating a Stripe account and onboarding it through Account Links, over HTTP."""

import urllib.parse
from unittest import mock

import pytest
from django.contrib.messages import get_messages

from organizers.models import Account
from payments import gateway
from payments.connect.account_sync import sync_connections, sync_connections_task
from payments.connect.connections import selling_state
from payments.models import StripeConnection
from tests.payments.test_connect import paid_webinar
from tests.payments.test_connect_webhooks import deliver
from tests.sandbox_fixtures import http

pytestmark = pytest.mark.django_db

CREATE_URL = "/console/stripe/create/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def start(client) -> tuple[StripeConnection, str]:
    """Press "Create a Stripe account"; return the connection and Stripe's link."""
    response = client.post(CREATE_URL)
    assert response.status_code == 302
    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    return connection, response["Location"]


def onboard_at_stripe(link: str, decision: str = "complete") -> str:
    """Answer the sandbox's onboarding page; return the app path it sends back to."""
    page = http("GET", link)
    assert page.status == 200
    assert "Complete onboarding" in page.text
    answer = http("POST", link, data=f"decision={decision}".encode(), headers=FORM)
    assert answer.status == 303
    return urllib.parse.urlsplit(answer.location).path


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_admin_creates_an_account_onboards_it_and_the_registration_page_sells(
    stripe_sandbox, admin, organizer, login
):
    webinar = paid_webinar(organizer)
    client = login(admin)
    register = client.get(f"/register/{webinar.registration_key}/")
    assert "temporarily unavailable" in register.content.decode()

    connection, link = start(client)
    assert connection.organizer is None
    assert connection.connected_by == admin.user
    assert connection.details_submitted is False
    assert connection.charges_enabled is False
    assert link.startswith(stripe_sandbox.url)
    assert selling_state(webinar) == "unavailable"

    back = onboard_at_stripe(link)
    assert back == f"/console/stripe/{connection.pk}/onboarded/"
    response = client.get(back)

    assert response.status_code == 302
    assert any("is ready" in text for text in message_texts(response))
    connection.refresh_from_db()
    assert connection.details_submitted is True
    assert connection.charges_enabled is True
    assert selling_state(webinar) == "paid"
    page = client.get(f"/register/{webinar.registration_key}/").content.decode()
    assert "temporarily unavailable" not in page


def test_leaving_onboarding_keeps_sales_closed_and_says_so(
    stripe_sandbox, admin, organizer, login
):
    webinar = paid_webinar(organizer)
    client = login(admin)
    connection, link = start(client)

    response = client.get(onboard_at_stripe(link, decision="leave"))

    assert any("not finished" in text for text in message_texts(response))
    connection.refresh_from_db()
    assert connection.details_submitted is False
    assert selling_state(webinar) == "unavailable"
    settings_page = client.get("/console/stripe/").content.decode()
    assert f"/console/stripe/{connection.pk}/onboarding/" in settings_page


def test_the_refresh_url_makes_a_new_link_for_a_used_one(stripe_sandbox, admin, login):
    client = login(admin)
    connection, link = start(client)
    onboard_at_stripe(link, decision="leave")

    stale = http("GET", link)
    assert stale.status == 302
    refresh = urllib.parse.urlsplit(stale.location).path
    assert refresh == f"/console/stripe/{connection.pk}/onboarding/"
    response = client.get(refresh)

    assert response.status_code == 302
    assert response["Location"] != link
    assert onboard_at_stripe(response["Location"]).endswith("/onboarded/")


def test_starting_again_resumes_the_unfinished_account(stripe_sandbox, admin, login):
    client = login(admin)
    first, _link = start(client)

    second, _again = start(client)

    assert second.pk == first.pk
    assert StripeConnection.objects.count() == 1


def test_a_finished_account_must_be_disconnected_before_creating_another(
    stripe_sandbox, admin, login
):
    client = login(admin)
    connection, link = start(client)
    client.get(onboard_at_stripe(link))

    response = client.post(CREATE_URL, follow=True)

    assert "already connected" in response.content.decode()
    assert StripeConnection.objects.count() == 1


def test_only_an_admin_creates_the_account_wide_stripe_account(
    stripe_sandbox, organizer, login
):
    client = login(organizer)

    assert client.get(CREATE_URL).status_code == 404
    assert client.post(CREATE_URL).status_code == 404
    assert not StripeConnection.objects.exists()


def test_an_organizer_creates_their_own_account_in_per_organizer_scope(
    stripe_sandbox, account, organizer, login
):
    account.stripe_scope = Account.StripeScope.ORGANIZER
    account.save()
    client = login(organizer)

    page = client.get(CREATE_URL)
    connection, _link = start(client)

    assert page.status_code == 200
    assert "<h1>Create a Stripe account</h1>" in page.content.decode()
    assert connection.organizer == organizer


def test_onboarding_pages_of_another_organizers_connection_are_not_found(
    stripe_sandbox, account, admin, organizer, login
):
    account.stripe_scope = Account.StripeScope.ORGANIZER
    account.save()
    connection, _link = start(login(organizer))
    client = login(admin)

    for path in ("onboarding", "onboarded"):
        assert client.get(f"/console/stripe/{connection.pk}/{path}/").status_code == 404


def test_stripe_down_while_creating_stores_nothing(stripe_sandbox, admin, login):
    client = login(admin)
    failure = gateway.StripeUnavailable(message="down")

    with mock.patch.object(gateway, "create_account", side_effect=failure):
        response = client.post(CREATE_URL, follow=True)

    assert "Stripe is unavailable right now" in response.content.decode()
    assert not StripeConnection.objects.exists()


def test_account_updated_from_onboarding_opens_sales(
    client,
    stripe_sandbox,
    connect_events,
    admin,
    organizer,
    login,  # noqa: F811
):
    webinar = paid_webinar(organizer)
    connection, link = start(login(admin))

    onboard_at_stripe(link)
    deliveries = connect_events("account.updated")

    assert deliveries
    for delivery in deliveries:
        assert deliver(client, delivery) == 200
    connection.refresh_from_db()
    assert connection.details_submitted is True
    assert selling_state(webinar) == "paid"


def test_the_scheduled_sync_refreshes_every_active_connection(
    stripe_sandbox, admin, organizer, login
):
    webinar = paid_webinar(organizer)
    connection, _link = start(login(admin))
    stripe_sandbox.update_account(
        connection.stripe_account_id, details_submitted=True, charges_enabled=True
    )

    assert sync_connections_task.name == "payments.connect.sync_connections"
    assert sync_connections_task() == 1

    connection.refresh_from_db()
    assert connection.details_submitted is True
    assert connection.charges_enabled is True
    assert selling_state(webinar) == "paid"
    stripe_sandbox.update_account(connection.stripe_account_id, charges_enabled=False)
    assert sync_connections() == 1
    assert selling_state(webinar) == "unavailable"
