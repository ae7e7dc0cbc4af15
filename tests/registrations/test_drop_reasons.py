"""Why an email was not sent: kinds worded when read, old sentences converted."""

import pytest
from django.utils import translation

from registrations.history import convert_drop_reasons, legacy_drop
from registrations.models import EmailLog
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_sentences_the_sender_wrote_are_recognised():
    assert legacy_drop("session already started") == ("started", {})
    assert legacy_drop("registrant is refunded") == (
        "status",
        {"status": "refunded"},
    )
    assert legacy_drop("550 mailbox unavailable") is None
    assert legacy_drop("registrant is <b>") is None


def test_the_migration_converts_dropped_rows_and_keeps_server_errors():
    registrant = factories.RegistrantFactory()
    rows = [
        ("dropped", "reminders turned off"),
        ("dropped", "registrant is denied"),
        ("dropped", "something a person wrote"),
        ("failed", "550 5.1.1 No such user"),
    ]
    for variant, (status, text) in enumerate(rows):
        EmailLog.objects.create(
            registrant=registrant,
            kind=EmailLog.Kind.REMINDER,
            variant=variant,
            status=status,
            last_error=text,
        )

    assert convert_drop_reasons(EmailLog) == 2

    logs = list(EmailLog.objects.order_by("variant"))
    assert [(log.drop_reason, log.drop_params, log.last_error) for log in logs] == [
        ("reminders_off", {}, ""),
        ("status", {"status": "denied"}, ""),
        ("", {}, "something a person wrote"),
        ("", {}, "550 5.1.1 No such user"),
    ]
    with translation.override("en"):
        assert [log.note for log in logs] == [
            "Reminders were turned off.",
            "The registrant's status is now: Denied.",
            "something a person wrote",
            "550 5.1.1 No such user",
        ]
    assert convert_drop_reasons(EmailLog) == 0
