"""English and French: the switcher works and every string has a French translation."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_console_renders_in_french(client, organizer, webinar):
    client.force_login(organizer.user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("webinars:dashboard")).content.decode()
    assert '<html lang="fr">' in page
    assert "Planifier un webinaire" in page


def test_registration_page_shows_dates_in_french(client, webinar):
    session = webinar.sessions.get()
    response = client.get(
        webinar.get_registration_url(), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"
    )
    page = response.content.decode()
    french_months = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
        "août", "septembre", "octobre", "novembre", "décembre",
    ]  # fmt: skip
    month = french_months[session.local_start().month - 1]
    assert month in page
    assert "UTC+" in page


def test_every_french_string_is_translated():
    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert len(catalog) > 500
    assert not untranslated, untranslated[:5]
    assert not fuzzy, fuzzy[:5]


def test_compiled_catalogue_matches_the_po_file():
    """The committed .mo holds exactly the .po's translations (run `make messages`)."""
    import gettext

    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        catalog = read_po(handle)
    with PO.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            key = (singular, 0)
            expected = message.string[0]
            assert compiled._catalog.get(key) == expected, singular  # noqa: SLF001
        else:
            key = (
                message.id
                if not message.context
                else f"{message.context}\x04{message.id}"
            )
            assert compiled._catalog.get(key) == message.string, message.id  # noqa: SLF001


def test_the_po_file_keeps_no_mangled_previous_msgid_comments():
    """Merges once left `# | msgid` lines (gettext's `#|` with a space): none stay."""
    stray = [
        number
        for number, line in enumerate(PO.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith("# |")
    ]
    assert not stray, f"lines {stray[:10]}"


def test_french_strings_follow_french_typography():
    """A no-break space before : ; ? ! and the typographic apostrophe ’."""
    import re

    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        catalog = read_po(handle)
    strings = [
        text
        for message in catalog
        if message.id
        for text in (
            message.string if isinstance(message.string, tuple) else [message.string]
        )
    ]
    assert not [s for s in strings if re.search(r" [:;?!]", s)]
    assert not [s for s in strings if "'" in s]


def test_email_preview_list_puts_a_no_break_space_before_the_colon_in_french(
    client, organizer, webinar
):
    client.force_login(organizer.user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    page = client.get(f"/console/webinars/{webinar.pk}/emails/").content.decode()

    assert "Confirmation\u00a0:" in page
    assert "Confirmation:" not in page


def test_language_switcher_button_says_change_language_in_french(
    client, organizer, webinar
):
    client.force_login(organizer.user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    page = client.get(reverse("webinars:dashboard")).content.decode()

    assert '<button type="submit">Changer de langue</button>' in page
