"""Help texts and errors are linked to their fields for screen readers.

Django's BoundField gives an input (or, for a group of radios or boxes, its
fieldset) aria-describedby="<auto_id>_helptext <auto_id>_error"; the project's
templates render the help text and the error list themselves, so they must
carry exactly those ids, or the attribute points at nothing.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests import factories
from tests.registrations.checkout_support import form_data
from tests.waitlist.support import full_webinar

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The ids of a page, what each aria-describedby names, and each id's text."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.described: list[tuple[str, str]] = []  # (tag, id referred to)
        self.text: dict[str, str] = {}
        self.title = ""
        self._open: list[tuple[str, str | None]] = []
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"])
            self.text.setdefault(attributes["id"], "")
        for ref in (attributes.get("aria-describedby") or "").split():
            self.described.append((tag, ref))
        self._in_title = tag == "title"
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for _tag, element_id in self._open:
            if element_id:
                self.text[element_id] += data


def described(html: str) -> Page:
    """Parse `html`; fail unless every aria-describedby names an id on the page."""
    page = Page(html)
    missing = [ref for _tag, ref in page.described if ref not in page.ids]
    assert not missing, f"aria-describedby names missing ids: {missing}"
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, duplicates
    return page


def refs(page: Page) -> set[str]:
    return {ref for _tag, ref in page.described}


# The registration page -------------------------------------------------------


def test_registration_errors_are_linked_to_their_fields(client, webinar):
    data = form_data(first_name="", last_name="", email="not-an-email")

    response = client.post(webinar.get_registration_url(), data)

    assert response.status_code == 200
    page = described(response.text)
    assert {"id_first_name_error", "id_last_name_error", "id_email_error"} <= refs(page)
    assert "This field is required." in page.text["id_first_name_error"]
    assert "valid email" in page.text["id_email_error"]
    assert page.title.startswith("Error: ")
    assert webinar.title in page.title


def test_registration_page_title_says_error_in_french(client, webinar):
    data = form_data(first_name="", last_name="", email="not-an-email")

    response = client.post(
        webinar.get_registration_url(), data, HTTP_ACCEPT_LANGUAGE="fr"
    )

    page = described(response.text)
    assert page.title.startswith("Erreur\u00a0: ")
    assert "id_email_error" in refs(page)


def test_registration_page_without_errors_has_no_error_title(client, webinar):
    page = described(client.get(webinar.get_registration_url()).text)

    assert not page.title.startswith("Error")
    assert not page.described


def test_an_applied_code_is_not_an_error(client, organizer, stripe_sandbox):
    from tests.registrations.checkout_support import make_paid_webinar

    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    factories.DiscountCodeFactory(webinar=webinar, code="HALF", amount=2500)
    data = form_data(discount_code="HALF", email="")
    data["apply_code"] = "1"

    page = described(client.post(webinar.get_registration_url(), data).text)

    assert not page.title.startswith("Error")
    assert not page.described


def test_unticked_disclaimer_error_is_linked_to_its_box(client, webinar):
    webinar.questions = [
        {"id": "terms", "kind": "disclaimer", "label": "I agree", "required": True},
        {"id": "role", "kind": "text", "label": "Role", "required": True},
    ]
    webinar.save()

    response = client.post(webinar.get_registration_url(), form_data())

    page = described(response.text)
    assert {"id_q_terms_error", "id_q_role_error"} <= refs(page)
    assert "Please tick this box" in page.text["id_q_terms_error"]


def test_session_error_describes_the_sessions_fieldset(client, organizer):
    webinar = factories.WebinarFactory(
        owner=organizer,
        account=organizer.account,
        registration_type="individual_session",
        sessions=2,
    )

    response = client.post(webinar.get_registration_url(), form_data())

    page = described(response.text)
    assert ("fieldset", "id_session_error") in page.described
    assert "Choose at least one session." in page.text["id_session_error"]


def test_waitlist_form_errors_are_linked_to_their_fields(client, organizer):
    webinar = full_webinar(owner=organizer)
    url = reverse("registrations:waitlist_join", args=[webinar.registration_key])

    response = client.post(url, form_data(first_name="", email="nope"))

    page = described(response.text)
    assert {"id_first_name_error", "id_email_error"} <= refs(page)


# Console forms (templates/form_fields.html) -----------------------------------


def test_console_help_texts_are_linked_to_their_fields(client, organizer):
    client.force_login(organizer.user)

    page = described(client.get(reverse("webinars:create")).text)

    assert "id_timezone_helptext" in refs(page)
    assert "in this zone" in page.text["id_timezone_helptext"]


def test_console_errors_and_help_texts_are_linked_after_a_bad_post(client, organizer):
    client.force_login(organizer.user)

    response = client.post(reverse("webinars:create"), {"title": ""})

    page = described(response.text)
    assert "id_title_error" in refs(page)
    assert "This field is required." in page.text["id_title_error"]
    assert "id_timezone_helptext" in refs(page)


def test_a_group_of_boxes_is_a_fieldset_described_by_its_error(client, organizer):
    client.force_login(organizer.user)

    response = client.post(reverse("api:webhooks"), {"url": "not a url"})

    assert response.status_code == 400
    page = described(response.text)
    assert ("fieldset", "id_events_error") in page.described
    assert {"id_url_helptext", "id_url_error"} <= refs(page)
    assert "https://" in page.text["id_url_helptext"]


def test_radio_group_is_a_fieldset_with_a_legend(client, organizer):
    client.force_login(organizer.user)

    html = client.get(reverse("api:tokens")).text

    page = described(html)
    assert "id_name_helptext" in refs(page)
    assert '<label for="">' not in html
    assert "<legend>Scope</legend>" in html


def test_help_text_and_errors_are_escaped(client, webinar):
    webinar.questions = [
        {"id": "x", "kind": "text", "label": "<b>Role</b>", "required": True}
    ]
    webinar.save()

    html = client.post(webinar.get_registration_url(), form_data()).text

    assert "<b>Role</b>" not in html
    assert "&lt;b&gt;Role&lt;/b&gt;" in html
    described(html)


def test_console_filter_errors_are_linked_and_escaped(client, organizer, webinar):
    """A filter link with a value that is not a choice (an old bookmark)."""
    client.force_login(organizer.user)
    url = reverse("registrations:registrants", args=[webinar.pk])

    html = client.get(url, {"status": "<i>gone</i>", "refund": "zzz"}).text

    page = described(html)
    assert {"id_status_error", "id_refund_error"} <= refs(page)
    assert "is not one of the available choices" in page.text["id_status_error"]
    assert "<i>gone</i>" not in html
