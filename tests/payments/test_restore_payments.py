"""Issue 15: after a reconnect, one screen turns the webinars made free back on."""

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.models import Price, StripeDisconnection
from tests import factories

pytestmark = pytest.mark.django_db


def made_free(account, *webinars):
    old = factories.StripeConnectionFactory(
        account=account, disconnected_at=timezone.now()
    )
    record = StripeDisconnection.objects.create(
        connection=old,
        account=account,
        stripe_account_id=old.stripe_account_id,
        source=StripeDisconnection.Source.CONSOLE,
    )
    record.webinars.set(webinars)
    for webinar in webinars:
        factories.PriceFactory(webinar=webinar, amount=5000, enabled=False)


def test_restore_lists_and_turns_payments_back_on(client, admin):
    first = factories.WebinarFactory(owner=admin, title="First")
    second = factories.WebinarFactory(owner=admin, title="Second")
    gone = factories.WebinarFactory(owner=admin, title="Cancelled one")
    gone.cancelled_at = timezone.now()
    gone.save(update_fields=["cancelled_at"])
    made_free(admin.account, first, second, gone)
    client.force_login(admin.user)
    url = reverse("payments:stripe_restore")

    # Nothing sells them yet: nothing to turn back on.
    assert "First" not in client.get(url).text

    factories.StripeConnectionFactory(account=admin.account)
    page = client.get(url).text
    assert "First" in page and "Second" in page and "Cancelled one" not in page
    settings_page = client.get(reverse("payments:stripe_settings")).text
    assert "2 webinars became free when Stripe was disconnected" in settings_page

    response = client.post(url, {"webinars": [first.pk, second.pk, gone.pk]})
    assert response.status_code == 302
    enabled = dict(Price.objects.values_list("webinar__title", "enabled"))
    assert enabled == {"First": True, "Second": True, "Cancelled one": False}
    assert "No webinar made free" in client.get(url).text


def test_restore_ignores_other_accounts_and_bad_input(client, admin):
    stranger = factories.OrganizerFactory(role="admin")
    theirs = factories.WebinarFactory(owner=stranger, title="Theirs")
    made_free(stranger.account, theirs)
    factories.StripeConnectionFactory(account=stranger.account)
    client.force_login(admin.user)
    url = reverse("payments:stripe_restore")
    assert "Theirs" not in client.get(url).text
    client.post(url, {"webinars": [theirs.pk]})
    client.post(url, {"webinars": ["x"]})
    assert Price.objects.get(webinar=theirs).enabled is False


def test_a_webinar_that_cannot_be_restored_is_named_with_a_french_colon(client, admin):
    webinar = factories.WebinarFactory(owner=admin, title="Budget")
    made_free(admin.account, webinar)
    Price.objects.filter(webinar=webinar).update(amount=1)
    factories.StripeConnectionFactory(account=admin.account)
    client.force_login(admin.user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    response = client.post(
        reverse("payments:stripe_restore"), {"webinars": [webinar.pk]}, follow=True
    )

    assert "Budget\u00a0: Saisissez un montant" in response.text
