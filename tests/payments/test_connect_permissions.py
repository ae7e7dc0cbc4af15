"""Who may see and change Stripe connections, in both scopes."""

import pytest

from organizers.models import Account
from payments.models import StripeConnection
from tests import factories

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/console/stripe/"
CONNECT_URL = "/console/stripe/connect/"
CALLBACK_URL = "/console/stripe/callback/?code=ac_x&state=y"


def disconnect_url(connection: StripeConnection) -> str:
    return f"/console/stripe/{connection.pk}/disconnect/"


def refresh_url(connection: StripeConnection) -> str:
    return f"/console/stripe/{connection.pk}/refresh/"


def assert_manage_answers(client, connection: StripeConnection, *, disconnect: int):
    """Check the disconnect page's answer; a refused client changes nothing."""
    assert client.get(disconnect_url(connection)).status_code == disconnect
    if disconnect == 404:
        assert client.post(disconnect_url(connection)).status_code == 404
        assert client.post(refresh_url(connection)).status_code == 404
    connection.refresh_from_db()
    assert connection.is_active


@pytest.fixture
def people(account, admin, organizer, webinar):
    """Everyone the matrix names, around one account and its webinar."""
    co_organizer = factories.OrganizerFactory(account=account)
    factories.WebinarMemberFactory(
        webinar=webinar, organizer=co_organizer, email=co_organizer.email
    )
    return {
        "admin": admin,
        "organizer": organizer,
        "co_organizer": co_organizer,
        "other_account_admin": factories.OrganizerFactory(role="admin"),
        "no_membership": None,
    }


def client_for(client, people, who: str):
    if who == "no_membership":
        client.force_login(factories.UserFactory())
    elif who != "anonymous":
        client.force_login(people[who].user)
    return client


# -- account-wide -------------------------------------------------------------


@pytest.fixture
def account_wide(account, admin):
    return StripeConnection.objects.create(
        account=account,
        stripe_account_id="acct_1AccountWide0042",
        charges_enabled=True,
        details_submitted=True,
        connected_by=admin.user,
    )


@pytest.mark.parametrize(
    ("who", "view", "connect", "disconnect"),
    [
        ("admin", 200, 302, 200),
        ("organizer", 200, 404, 404),
        ("co_organizer", 200, 404, 404),
        ("other_account_admin", 200, 302, 404),
        ("no_membership", 404, 404, 404),
    ],
)
def test_account_wide_connection_is_managed_by_admins_only(
    client, people, account_wide, who, view, connect, disconnect
):
    client = client_for(client, people, who)

    assert client.get(SETTINGS_URL).status_code == view
    assert client.post(CONNECT_URL).status_code == connect
    assert_manage_answers(client, account_wide, disconnect=disconnect)


@pytest.mark.parametrize("who", ["organizer", "co_organizer"])
def test_organizers_see_the_account_wide_status_without_controls(
    client, people, account_wide, who
):
    page = client_for(client, people, who).get(SETTINGS_URL).content.decode()

    assert "acct_…0042" in page
    assert "Connect with Stripe" not in page
    assert "Disconnect Stripe" not in page


def test_co_organizer_sees_the_status_on_the_webinar_page(
    client, people, account_wide, webinar
):
    page = client_for(client, people, "co_organizer").get(webinar.get_absolute_url())

    assert page.status_code == 200
    assert "acct_…0042" in page.content.decode()


def test_other_accounts_never_see_the_connection(client, people, account_wide):
    page = client_for(client, people, "other_account_admin").get(SETTINGS_URL)

    assert "0042" not in page.content.decode()


def test_non_admin_callback_is_a_404(client, people):
    client = client_for(client, people, "organizer")

    assert client.get(CALLBACK_URL).status_code == 404


@pytest.mark.parametrize(
    "url",
    [SETTINGS_URL, CONNECT_URL, CALLBACK_URL, "/console/stripe/1/disconnect/"],
)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_anonymous_post_changes_nothing(client, account_wide):
    response = client.post(disconnect_url(account_wide))

    assert response.status_code == 302
    account_wide.refresh_from_db()
    assert account_wide.is_active


def test_admin_disconnects_the_account_wide_connection(
    stripe_sandbox, client, people, account
):
    acct = stripe_sandbox.create_account()
    connection = StripeConnection.objects.create(
        account=account, stripe_account_id=acct
    )
    client = client_for(client, people, "admin")

    response = client.post(disconnect_url(connection))

    assert response.status_code == 302
    connection.refresh_from_db()
    assert not connection.is_active


# -- per organizer ------------------------------------------------------------


@pytest.fixture
def per_organizer(account):
    account.stripe_scope = Account.StripeScope.ORGANIZER
    account.save()
    return account


@pytest.fixture
def organizers_own(per_organizer, organizer):
    return StripeConnection.objects.create(
        account=per_organizer,
        organizer=organizer,
        stripe_account_id="acct_1OrganizerOwn0077",
        charges_enabled=True,
        details_submitted=True,
        connected_by=organizer.user,
    )


@pytest.mark.parametrize(
    ("who", "connect", "disconnect"),
    [
        ("organizer", 302, 200),
        ("admin", 302, 404),
        ("co_organizer", 302, 404),
        ("other_account_admin", 302, 404),
        ("no_membership", 404, 404),
    ],
)
def test_each_organizer_manages_only_their_own_connection(
    client, people, organizers_own, who, connect, disconnect
):
    client = client_for(client, people, who)

    assert client.post(CONNECT_URL).status_code == connect
    assert_manage_answers(client, organizers_own, disconnect=disconnect)


def test_admins_see_who_is_connected_per_organizer(client, people, organizers_own):
    page = client_for(client, people, "admin").get(SETTINGS_URL).content.decode()

    assert people["organizer"].display_name in page
    assert "acct_…0077" in page
    assert "Not connected" in page


def test_other_organizers_do_not_see_someone_elses_connection(
    client, people, organizers_own
):
    page = client_for(client, people, "co_organizer").get(SETTINGS_URL)

    assert "0077" not in page.content.decode()
    assert "Connect with Stripe" in page.content.decode()


def test_per_organizer_connect_binds_the_state_to_the_organizer(
    client, people, per_organizer
):
    client = client_for(client, people, "organizer")
    client.post(CONNECT_URL)

    pending = client.session["payments_stripe_oauth"]
    assert pending["organizer"] == people["organizer"].pk
    assert pending["account"] == per_organizer.pk
