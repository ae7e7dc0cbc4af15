import pytest
from django.core.mail import EmailMultiAlternatives

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox_on(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"


def send(subject: str) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body="Plain body", to=["r@example.com"]
    )
    message.attach_alternative("<p>HTML body</p>", "text/html")
    message.attach(
        "invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"
    )
    message.send()


def test_outbox_lists_and_shows_each_email(client, outbox_on, settings):
    send("Your registration")
    listing = client.get("/dev/outbox/")
    assert listing.status_code == 200
    assert "Your registration" in listing.content.decode()
    (path,) = list(settings.EMAIL_FILE_PATH.glob("*.eml"))
    page = client.get(f"/dev/outbox/{path.stem}/").content.decode()
    assert "Plain body" in page
    assert "invite.ics" in page


def test_unknown_or_traversing_names_are_404(client, outbox_on):
    assert client.get("/dev/outbox/nope/").status_code == 404
    assert client.get("/dev/outbox/..%2F..%2Fsettings/").status_code == 404


def test_outbox_is_404_without_debug(client, settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    assert client.get("/dev/outbox/").status_code == 404


def test_outbox_is_404_when_emails_really_go_out(client, settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert client.get("/dev/outbox/").status_code == 404


def test_a_very_long_or_odd_name_is_404_not_500(client, outbox_on):
    send("Kept")
    assert client.get("/dev/outbox/" + "x" * 5000 + "/").status_code == 404
    assert client.get("/dev/outbox/a%00b/").status_code == 404
    assert client.get("/dev/outbox/%3Cscript%3E/").status_code == 404
