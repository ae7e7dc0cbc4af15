from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organizers.models import Account
from tests import factories
from webinars.models import Session, Webinar, WebinarMember

pytestmark = pytest.mark.django_db


def test_session_must_end_after_it_starts(webinar):
    session = webinar.sessions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            webinar=webinar,
            starts_at=session.starts_at,
            ends_at=session.starts_at - timedelta(minutes=1),
        )


def test_registration_limit_must_be_positive(organizer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Webinar.objects.create(
            account=organizer.account, owner=organizer, title="x", registration_limit=0
        )


def test_registration_key_is_unguessable_and_unique(organizer):
    keys = {
        factories.WebinarFactory(owner=organizer).registration_key for _ in range(5)
    }
    assert len(keys) == 5
    assert all(len(key) >= 24 for key in keys)


def test_member_email_is_unique_per_webinar_ignoring_case(webinar):
    WebinarMember.objects.create(webinar=webinar, role="panelist", email="a@x.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebinarMember.objects.create(webinar=webinar, role="panelist", email="A@X.org")


def test_limit_above_ten_times_participant_limit_fails_validation(organizer):
    webinar = Webinar(
        account=organizer.account,
        owner=organizer,
        title="Too big",
        registration_limit=organizer.account.participant_limit * 10 + 1,
    )
    with pytest.raises(ValidationError):
        webinar.full_clean()


def test_account_participant_limit_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(name="Zero", participant_limit=0)
