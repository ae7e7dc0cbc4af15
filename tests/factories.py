import time
from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from organizers.models import Account, Organizer
from payments import gateway
from payments.models import (
    DiscountCode,
    Payment,
    Price,
    PriceTier,
    StripeConnection,
)
from recordings.models import PostSessionVideo, Recording
from recordings.samplevideo import build_webm
from registrations import devices
from registrations.models import Registrant
from webinars.models import Session, Webinar, WebinarMember


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    participant_limit = 100


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class OrganizerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organizer

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Organizer.Role.ORGANIZER


class WebinarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webinar
        skip_postgeneration_save = True

    account = factory.SelfAttribute("owner.account")
    owner = factory.SubFactory(OrganizerFactory)
    title = factory.Sequence(lambda n: f"Webinar {n}")
    description = "Learn things."
    timezone = "Europe/Paris"
    registration_limit = 100

    @factory.post_generation
    def sessions(obj, create, extracted, **kwargs):  # noqa: N805
        """Give the webinar one session next week unless sessions=0 is passed."""
        if not create:
            return
        count = 1 if extracted is None else extracted
        start = timezone.now().replace(microsecond=0) + timedelta(days=7)
        for index in range(count):
            SessionFactory(webinar=obj, starts_at=start + timedelta(days=7 * index))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    webinar = factory.SubFactory(WebinarFactory, sessions=0)
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) + timedelta(days=7)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    broadcast_url = "https://meet.example.com/room"


class WebinarMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebinarMember

    webinar = factory.SubFactory(WebinarFactory)
    role = WebinarMember.Role.CO_ORGANIZER
    email = factory.Sequence(lambda n: f"member{n}@example.com")


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    webinar = factory.SubFactory(WebinarFactory)
    enabled = True
    amount = 10000
    currency = "USD"


class PriceTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceTier

    price = factory.SubFactory(PriceFactory)
    amount = 8000
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountCode

    webinar = factory.SubFactory(WebinarFactory)
    code = factory.Sequence(lambda n: f"CODE{n}")
    amount = 5000


class StripeConnectionFactory(factory.django.DjangoModelFactory):
    """An account-wide connection with charges enabled."""

    class Meta:
        model = StripeConnection

    account = factory.SubFactory(AccountFactory)
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:010d}")
    charges_enabled = True
    details_submitted = True
    business_name = "Test Ltd"


class RegistrantFactory(factory.django.DjangoModelFactory):
    """A confirmed registrant of a webinar (free unless amount/currency given)."""

    class Meta:
        model = Registrant

    webinar = factory.SubFactory(WebinarFactory)
    email = factory.Sequence(lambda n: f"registrant{n}@example.com")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Registrant{n}")
    language = "en"
    status = "confirmed"
    source = "free"
    confirmed_at = factory.LazyFunction(timezone.now)


def sample_webm(seconds: int = 2) -> ContentFile:
    """Return a small playable WebM generated in Python, as a ContentFile."""
    return ContentFile(build_webm(seconds=seconds), name="test.webm")


class RecordingFactory(factory.django.DjangoModelFactory):
    """A recording in an account's library, with a small generated WebM file."""

    class Meta:
        model = Recording

    file = factory.LazyFunction(sample_webm)
    size = factory.LazyAttribute(lambda o: o.file.size)
    content_type = "video/webm"
    duration_seconds = 2
    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Recording {n}")


class PostSessionVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostSessionVideo

    recording = factory.SubFactory(RecordingFactory)
    webinar = factory.SubFactory(WebinarFactory)
    session = None


def open_personal_link(client, url: str, **extra):
    """Open a /join/ or /watch/ link as a person would; return the answer.

    A GET without a valid device cookie gets the continue page (which records
    no device); pressing Continue POSTs to the same URL. A known device's GET
    goes straight through.
    """
    page = client.get(url, **extra)
    if page.status_code == 200 and b"data-device-continue" in page.content:
        return client.post(url, **extra)
    # Only a refusal (bad token, no seat) skips the continue page without a cookie.
    assert devices.COOKIE_NAME in client.cookies or page.status_code in (403, 404)
    return page


def open_checkout_session(payment: Payment, **fields: Any) -> Any:
    """Open a 31-minute Checkout Session for `payment` on its Stripe account."""
    return gateway.create_checkout_session(
        account=payment.stripe_account_id,
        amount=payment.amount,
        currency=payment.currency,
        cancel_url="http://testserver/cancelled/",
        expires_at=int(time.time()) + 31 * 60,
        idempotency_key=payment.idempotency_key,
        **fields,
    )
