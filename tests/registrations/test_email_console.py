"""Console pages for emails: settings, previews, resend, history."""

import email
import email.policy

import pytest
import time_machine
from django.utils import timezone

from registrations.emails import outbox
from registrations.emails.content import build_message
from registrations.emails.merge import merged_payload
from registrations.models import EmailLog
from tests import factories

Kind = EmailLog.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def console(login, organizer):
    return login(organizer)


def test_email_settings_page_shows_the_schedule(console, webinar):
    response = console.get(f"/console/webinars/{webinar.pk}/emails/")

    assert response.status_code == 200
    assert "1d, 1h" in response.content.decode()


def test_webinar_page_links_to_the_email_settings(console, webinar):
    response = console.get(f"/console/webinars/{webinar.pk}/")

    assert f"/console/webinars/{webinar.pk}/emails/" in response.content.decode()


def test_organizer_edits_reminder_offsets_and_followup_texts(console, webinar):
    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/",
        {
            "reminders_enabled": "on",
            "reminder_offsets": "2d, 3h, 15m",
            "followups_enabled": "on",
            "followup_attended_text": "Slides are attached.",
            "followup_absent_text": "The replay is coming.",
            "notify_paid_registrations": "on",
        },
    )

    assert response.status_code == 302
    webinar.refresh_from_db()
    assert webinar.reminder_offsets == [2880, 180, 15]
    assert webinar.followup_attended_text == "Slides are attached."
    assert webinar.followup_absent_text == "The replay is coming."
    assert webinar.notify_paid_registrations is True


def test_organizer_turns_reminders_off_and_back_to_the_account_default(
    console, webinar
):
    webinar.reminder_offsets = [30]
    webinar.save()

    console.post(
        f"/console/webinars/{webinar.pk}/emails/",
        {"use_account_default": "on", "reminder_offsets": ""},
    )

    webinar.refresh_from_db()
    assert webinar.reminders_enabled is False
    assert webinar.reminder_offsets is None
    assert webinar.effective_reminder_offsets == [1440, 60]


@pytest.mark.parametrize("offsets", ["tomorrow", "0m", "31d", "1d,2d,3d,4d,5d,6d"])
def test_bad_reminder_offsets_are_refused_with_a_message(console, webinar, offsets):
    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/",
        {"reminders_enabled": "on", "reminder_offsets": offsets},
    )

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    webinar.refresh_from_db()
    assert webinar.reminder_offsets is None


@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_email_kind_can_be_previewed_in_both_languages(
    console, webinar, kind, language
):
    response = console.get(
        f"/console/webinars/{webinar.pk}/emails/preview/{kind}/{language}/"
    )

    assert response.status_code == 200
    assert f"&lt;html lang=&quot;{language}&quot;&gt;" in response.content.decode()


def test_preview_of_an_unknown_kind_or_language_is_a_404(console, webinar):
    base = f"/console/webinars/{webinar.pk}/emails/preview/"
    assert console.get(base + "newsletter/en/").status_code == 404
    assert console.get(base + "confirmation/de/").status_code == 404


def test_other_accounts_cannot_see_or_use_the_email_pages(login, webinar):
    stranger = factories.OrganizerFactory()
    client = login(stranger)
    registrant = factories.RegistrantFactory(webinar=webinar)
    base = f"/console/webinars/{webinar.pk}/"

    assert client.get(base + "emails/").status_code == 404
    assert client.get(base + "emails/preview/confirmation/en/").status_code == 404
    assert client.get(base + f"registrants/{registrant.pk}/emails/").status_code == 404
    assert (
        client.post(base + "emails/resend/", {"registrant": registrant.pk}).status_code
        == 404
    )
    assert not EmailLog.objects.exists()


def test_resend_confirmation_to_selected_registrants(console, webinar):
    first, second = factories.RegistrantFactory.create_batch(2, webinar=webinar)
    refunded = factories.RegistrantFactory(webinar=webinar, status="refunded")

    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": [first.pk, second.pk, refunded.pk]},
        follow=True,
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Confirmation queued for 2 registrants." in text
    assert "1 registrant is not confirmed and was not sent a confirmation." in text
    assert set(
        EmailLog.objects.filter(kind=Kind.CONFIRMATION).values_list(
            "registrant", flat=True
        )
    ) == {first.pk, second.pk}


def test_resend_with_a_registrant_of_another_webinar_is_refused(
    console, webinar, organizer
):
    other = factories.RegistrantFactory()

    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": [other.pk]},
        follow=True,
    )

    assert "Select registrants of this webinar." in response.content.decode()
    assert not EmailLog.objects.exists()


@pytest.mark.parametrize("value", ["", "abc", "-1"])
def test_resend_with_garbage_is_a_message_not_a_crash(console, webinar, value):
    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": value},
        follow=True,
    )

    assert response.status_code == 200
    assert not EmailLog.objects.exists()


def test_resend_redirects_back_only_to_this_site(console, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)

    response = console.post(
        f"/console/webinars/{webinar.pk}/emails/resend/",
        {"registrant": registrant.pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == f"/console/webinars/{webinar.pk}/emails/"


def test_registrant_email_history_page(console, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)
    outbox.queue_email(registrant=registrant, kind=Kind.CONFIRMATION)
    EmailLog.objects.update(
        status=EmailLog.Status.FAILED, last_error="550 5.1.1 No such user"
    )

    response = console.get(
        f"/console/webinars/{webinar.pk}/registrants/{registrant.pk}/emails/"
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Confirmation" in text
    assert "550 5.1.1 No such user" in text
    assert "Resend the confirmation" in text


def test_history_lists_the_organizers_notices_about_the_registrant(console, webinar):
    registrant = factories.RegistrantFactory(webinar=webinar)
    outbox.notify_organizer(registrant=registrant, kind=Kind.REFUND_FAILED, variant=7)
    outbox.notify_organizer(registrant=registrant, kind=Kind.DISPUTE_OPENED)

    response = console.get(
        f"/console/webinars/{webinar.pk}/registrants/{registrant.pk}/emails/"
    )

    text = response.content.decode()
    assert "Organizer: refund failed" in text
    assert "Organizer: payment disputed" in text


def test_unknown_registrant_history_is_a_404(console, webinar):
    url = f"/console/webinars/{webinar.pk}/registrants/999999/emails/"
    assert console.get(url).status_code == 404


def test_bulk_merged_email_matches_the_one_built_alone(settings, webinar):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    registrant = factories.RegistrantFactory(
        webinar=webinar,
        first_name="Zoë <b>&",
        last_name="O'Brien",
        email="zoe@example.com",
        language="fr",
    )
    log = outbox.queue_email(
        registrant=registrant,
        kind=Kind.REMINDER,
        session=webinar.sessions.get(),
        variant=60,
    )

    # The unsubscribe link is signed with the time: both built in the same second.
    with time_machine.travel(timezone.now(), tick=False):
        from_email, recipients, data = merged_payload(log, cache={})
        merged = email.message_from_bytes(data, policy=email.policy.default)
        alone = email.message_from_bytes(
            build_message(log).message().as_bytes(), policy=email.policy.default
        )

    assert recipients == ["zoe@example.com"]
    assert from_email
    for header in ("To", "From", "Reply-To", "Subject", "Message-ID"):
        assert merged[header] == alone[header], header
    assert merged["List-Unsubscribe"].strip() == alone["List-Unsubscribe"].strip()
    for kind in ("plain", "html"):
        assert merged.get_body((kind,)).get_content().replace(
            "\r\n", "\n"
        ) == alone.get_body((kind,)).get_content().replace("\r\n", "\n")
    html = merged.get_body(("html",)).get_content()
    assert "Zoë &lt;b&gt;&amp;" in html
    assert "Zoë <b>&" in merged.get_body(("plain",)).get_content()
