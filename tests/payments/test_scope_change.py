"""Issue 15: changing the Stripe scope lists the webinars whose sales stop, first."""

import pytest
from django.urls import reverse

from organizers.models import Account
from tests import factories

pytestmark = pytest.mark.django_db


def settings_post(scope: str, **extra) -> dict:
    return {"settings-name": "Acme", "settings-stripe_scope": scope, **extra}


def test_scope_change_lists_the_webinars_whose_sales_stop(client, admin, organizer):
    factories.StripeConnectionFactory(account=admin.account)
    selling = factories.WebinarFactory(owner=organizer, title="Budget 101")
    factories.PriceFactory(webinar=selling, amount=5000, currency="EUR", enabled=True)
    free = factories.WebinarFactory(owner=organizer, title="Free talk")
    factories.PriceFactory(webinar=free, amount=5000, currency="EUR", enabled=False)
    client.force_login(admin.user)

    asked = client.post(reverse("organizers:account"), settings_post("organizer"))

    assert asked.status_code == 200
    assert "1 paid webinar stops selling" in asked.text
    assert "Budget 101" in asked.text and "Free talk" not in asked.text
    assert 'name="settings-stripe_scope" value="organizer"' in asked.text
    admin.account.refresh_from_db()
    assert admin.account.stripe_scope == Account.StripeScope.ACCOUNT

    client.post(
        reverse("organizers:account"), settings_post("organizer", confirmed="1")
    )
    admin.account.refresh_from_db()
    assert admin.account.stripe_scope == Account.StripeScope.ORGANIZER


def test_owner_with_own_connection_keeps_selling(client, admin, organizer):
    factories.StripeConnectionFactory(account=admin.account)
    factories.StripeConnectionFactory(account=admin.account, organizer=organizer)
    selling = factories.WebinarFactory(owner=organizer, title="Budget 101")
    factories.PriceFactory(webinar=selling, amount=5000, currency="EUR", enabled=True)
    client.force_login(admin.user)
    asked = client.post(reverse("organizers:account"), settings_post("organizer"))
    assert "stops no sale now" in asked.text


def test_renaming_alone_needs_no_confirmation(client, admin):
    client.force_login(admin.user)
    response = client.post(reverse("organizers:account"), settings_post("account"))
    assert response.status_code == 302
    admin.account.refresh_from_db()
    assert admin.account.name == "Acme"
