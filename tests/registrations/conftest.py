import pytest

from tests.registrations.checkout_support import Webhooks, make_paid_webinar
from tests.registrations.refund_support import pay_registrant
from tests.registrations.smtp_sink import SmtpSink


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
def acct(stripe_sandbox):
    """A connected account of its own on the sandbox (EUR)."""
    return stripe_sandbox.create_account(default_currency="eur")


@pytest.fixture
def paid(stripe_sandbox, webinar, acct):
    """A confirmed registrant who paid 50.00 EUR through `acct`."""
    return pay_registrant(sandbox=stripe_sandbox, webinar=webinar, account=acct)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost that the outbox sends to."""
    with SmtpSink() as sink:
        sink.use(settings)
        yield sink
