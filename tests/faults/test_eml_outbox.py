"""The embedded default's mail folder receives each outbox email once."""

import hashlib
from pathlib import Path

from django.core.mail import EmailMessage, get_connection

from config.mail import INDEX


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
    # Nothing torn or temporary: the messages, and the index of their ids.
    others = [f.name for f in settings.EMAIL_FILE_PATH.iterdir() if f.suffix != ".eml"]
    assert others == [INDEX]
    assert all(
        not f.name.endswith(".tmp")
        for f in (settings.EMAIL_FILE_PATH / INDEX).iterdir()
    )
    texts = [f.read_text() for f in files]
    assert sum("row-1@tessera.test" in t for t in texts) == 1


def test_messages_without_a_message_id_are_all_written(settings):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    send(None)
    send(None)
    assert len(list(settings.EMAIL_FILE_PATH.glob("*.eml"))) == 2


def test_a_message_claimed_by_a_writer_killed_before_writing_it_is_written_once(
    settings,
):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    folder = settings.EMAIL_FILE_PATH
    key = hashlib.sha256(b"<row-1@tessera.test>").hexdigest()[:20]
    # What a writer killed between its claim and its file leaves.
    (folder / INDEX).mkdir(parents=True)
    (folder / INDEX / key).write_text(f"20261202-101500-000001-{key}.eml")

    send("<row-1@tessera.test>")
    send("<row-1@tessera.test>")

    assert [f.name for f in folder.glob("*.eml")] == [
        f"20261202-101500-000001-{key}.eml"
    ]


def test_sending_never_lists_the_folder(settings, monkeypatch):
    # One lookup per message, not a scan of every message already written:
    # the embedded default runs for hours and writes thousands.
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    send("<row-1@tessera.test>")

    def listing(*args, **kwargs):
        raise AssertionError("the mail folder was listed")

    monkeypatch.setattr(Path, "glob", listing)
    monkeypatch.setattr(Path, "iterdir", listing)
    send("<row-1@tessera.test>")
    send("<row-2@tessera.test>")
    monkeypatch.undo()

    assert len(list(settings.EMAIL_FILE_PATH.glob("*.eml"))) == 2


def test_a_claim_left_empty_by_a_crash_does_not_lose_the_message(settings):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    folder = settings.EMAIL_FILE_PATH
    key = hashlib.sha256(b"<row-1@tessera.test>").hexdigest()[:20]
    (folder / INDEX).mkdir(parents=True)
    (folder / INDEX / key).write_text("")  # a claim the disk never got

    send("<row-1@tessera.test>")
    send("<row-1@tessera.test>")

    (written,) = folder.glob("*.eml")
    assert written.name.endswith(f"-{key}.eml")
    assert (folder / INDEX / key).read_text() == written.name
    assert not [f for f in (folder / INDEX).iterdir() if f.name.endswith(".tmp")]


def test_a_folder_without_hard_links_still_writes_each_message_once(
    settings, monkeypatch
):
    """Some mounted volumes refuse hard links (EPERM): the claim is then an
    exclusive create, and a message sent again is still written once."""
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"

    def refused(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("config.mail.os.link", refused)
    send("<row-1@tessera.test>")
    send("<row-1@tessera.test>")
    send("<row-2@tessera.test>", to="b@example.com")

    files = sorted(settings.EMAIL_FILE_PATH.glob("*.eml"))
    assert len(files) == 2
    assert sum("row-1@tessera.test" in f.read_text() for f in files) == 1
