import pytest

from tests.registrations.checkout_support import Webhooks, make_paid_webinar
from tests.registrations.refund_support import pay_registrant


@pytest.fixture
def paid_webinar(organizer, stripe_sandbox):
    """A one-session webinar at 50.00 EUR, sold through the sandbox demo account."""
    return make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )


@pytest.fixture
def webhooks(stripe_sandbox, webhook_receiver, client):
    return Webhooks(stripe_sandbox, webhook_receiver, client)


@pytest.fixture
def paid(stripe_sandbox, webinar):
    """A confirmed registrant who paid 50.00 EUR on an account of their own."""
    account = stripe_sandbox.create_account(default_currency="eur")
    return pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=account)


@pytest.fixture
def fast_stripe_timeout(settings):
    """Give up on a Stripe answer after 0.5 s (the sandbox's timeouts wait 1 s)."""
    settings.STRIPE_TIMEOUT = (2.0, 0.5)
