"""The "payment processing" page checks itself by script (no meta refresh) and
shows the confirmation once the registration is confirmed."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import Registrant
from registrations.tokens import done_token
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_processing_page_reloads_once_the_registration_is_confirmed(
    live_server, browser_page
):
    registrant = factories.RegistrantFactory(
        status=Registrant.Status.PENDING, source="paid", confirmed_at=None
    )
    key = registrant.webinar.registration_key
    url = f"{reverse('registrations:done', args=[key])}?r={done_token(registrant)}"
    page = browser_page

    page.goto(f"{live_server.url}{url}")
    expect(page.get_by_role("heading", name="Payment processing")).to_be_visible()
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    # Nothing changed: the page stays (no reload under the reader's feet).
    page.evaluate("window.stillHere = true")
    page.wait_for_timeout(4_000)
    assert page.evaluate("window.stillHere === true")

    Registrant.objects.filter(pk=registrant.pk).update(
        status=Registrant.Status.CONFIRMED, confirmed_at=timezone.now()
    )

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible(
        timeout=10_000
    )
