"""User-written text never reaches a console page unescaped (issue 14, stored XSS).

The plain-text part of an email is rendered with autoescape off (it is text, not
HTML), so Django marks it safe: the preview page must escape it itself.
"""

import pytest

from registrations.models import EmailLog

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(document.cookie)</script>"
ESCAPED = "&lt;script&gt;alert(document.cookie)&lt;/script&gt;"


@pytest.fixture
def console(login, organizer):
    return login(organizer)


def preview(console, webinar, kind: str, language: str = "en") -> str:
    response = console.get(
        f"/console/webinars/{webinar.pk}/emails/preview/{kind}/{language}/"
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_script_in_the_webinar_title_is_escaped_in_the_email_preview(
    console, webinar, language
):
    webinar.title = f"Sales {SCRIPT}"
    webinar.save()

    page = preview(console, webinar, EmailLog.Kind.CONFIRMATION, language)

    assert SCRIPT not in page
    assert ESCAPED in page


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (EmailLog.Kind.FOLLOWUP_ATTENDED, "followup_attended_text"),
        (EmailLog.Kind.FOLLOWUP_ABSENT, "followup_absent_text"),
    ],
)
def test_a_script_in_a_followup_text_is_escaped_in_the_email_preview(
    console, webinar, kind, field
):
    setattr(webinar, field, f"Thanks! {SCRIPT}")
    webinar.save()

    page = preview(console, webinar, kind)

    assert SCRIPT not in page
    assert ESCAPED in page


def test_a_script_in_the_account_name_is_escaped_in_the_email_preview(console, webinar):
    webinar.account.name = f"Acme {SCRIPT}"
    webinar.account.save()

    page = preview(console, webinar, EmailLog.Kind.CONFIRMATION)

    assert SCRIPT not in page
