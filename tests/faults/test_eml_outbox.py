"""The embedded default's mail folder receives each outbox email once."""

from django.core.mail import EmailMessage, get_connection


def send(message_id: str | None, to: str = "a@example.com") -> None:
    headers = {"Message-ID": message_id} if message_id else {}
    message = EmailMessage("Hi", "Body", "from@example.com", [to], headers=headers)
    get_connection().send_messages([message])


def test_the_same_message_sent_again_is_written_once(settings):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    send("<row-1@tessera.test>")
    send("<row-1@tessera.test>")  # a restarted worker sending it again
    send("<row-2@tessera.test>", to="b@example.com")

    files = sorted(settings.EMAIL_FILE_PATH.glob("*.eml"))
    assert len(files) == 2
    assert [f for f in settings.EMAIL_FILE_PATH.iterdir() if f.suffix != ".eml"] == []
    texts = [f.read_text() for f in files]
    assert sum("row-1@tessera.test" in t for t in texts) == 1


def test_messages_without_a_message_id_are_all_written(settings):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    send(None)
    send(None)
    assert len(list(settings.EMAIL_FILE_PATH.glob("*.eml"))) == 2
