"""Text over a field's limit is refused beside the field, and nothing is cut.

The browser gets no `maxlength` (it would stop typing, or cut a paste short,
without a word): the form refuses the text with Django's message naming the
limit, beside the field, and shows the whole text again. A text question says
its limit under the field.
"""

import re
from html import unescape

import pytest
from django.urls import reverse

from registrations.models import Registrant, WaitlistEntry
from tests import factories
from tests.registrations.checkout_support import form_data
from tests.waitlist.support import full_webinar

pytestmark = pytest.mark.django_db

LONG_ANSWER = "word " * 239 + "tail."  # 1,200 characters


@pytest.fixture
def asking(webinar):
    webinar.questions = [
        {"id": "why", "label": "Why do you come?", "kind": "text", "required": False}
    ]
    webinar.save()
    return webinar


def value_of(page: str, name: str) -> str:
    match = re.search(rf'<input type="text" name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} input with a value"
    return unescape(match.group(1))


def test_the_registration_page_sets_no_browser_limit(client, asking):
    page = client.get(asking.get_registration_url()).text

    assert 'name="first_name"' in page and 'name="q_why"' in page
    assert "maxlength" not in page


def test_a_text_question_says_its_limit_under_the_field(client, asking):
    page = client.get(asking.get_registration_url()).text

    assert 'aria-describedby="id_q_why_helptext"' in page
    assert (
        '<span class="helptext" id="id_q_why_helptext">Up to 1,000 characters.</span>'
        in page
    )


def test_the_limit_is_written_the_french_way(client, asking):
    page = client.get(asking.get_registration_url(), HTTP_ACCEPT_LANGUAGE="fr").text

    assert "Jusqu’à 1\u00a0000 caractères." in page


def test_a_long_answer_is_refused_beside_its_field_and_kept_whole(client, asking):
    assert len(LONG_ANSWER) == 1200

    response = client.post(asking.get_registration_url(), form_data(q_why=LONG_ANSWER))

    assert response.status_code == 200
    page = response.text
    assert (
        '<ul class="errorlist" id="id_q_why_error"><li>Ensure this value has at most'
        " 1000 characters (it has 1200).</li></ul>" in page
    )
    assert value_of(page, "q_why") == LONG_ANSWER
    assert "maxlength" not in page
    assert not Registrant.objects.exists()


def test_an_answer_at_the_limit_is_saved_whole(client, asking):
    answer = "a" * 1000

    client.post(asking.get_registration_url(), form_data(q_why=answer))

    assert Registrant.objects.get().answers == {"why": answer}


def test_a_long_first_name_is_refused_in_french_and_kept(client, webinar):
    name = "Ada" * 34  # 102 characters

    response = client.post(
        webinar.get_registration_url(),
        form_data(first_name=name),
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    page = response.text
    assert '<ul class="errorlist" id="id_first_name_error">' in page
    assert "au plus 100 caractères (actuellement 102)" in page
    assert value_of(page, "first_name") == name
    assert not Registrant.objects.exists()


def test_the_waitlist_refuses_a_long_answer_and_keeps_it(client, organizer):
    webinar = full_webinar(
        owner=organizer,
        questions=[{"id": "why", "label": "Why?", "kind": "text", "required": False}],
    )
    url = reverse("registrations:waitlist_join", args=[webinar.registration_key])

    response = client.post(url, form_data(q_why=LONG_ANSWER))

    page = response.text
    assert "Ensure this value has at most 1000 characters (it has 1200)." in page
    assert value_of(page, "q_why") == LONG_ANSWER
    assert 'id="id_q_why_helptext"' in page
    assert "maxlength" not in page
    assert not WaitlistEntry.objects.exists()


def test_apply_refuses_a_code_past_its_limit_instead_of_cutting_it(
    client, paid_webinar
):
    factories.DiscountCodeFactory(webinar=paid_webinar, code="C" * 40, amount=2500)
    data = form_data(discount_code="C" * 41)
    data["apply_code"] = "1"

    page = client.post(paid_webinar.get_registration_url(), data).text

    assert (
        '<ul class="errorlist" id="id_discount_code_error"><li>Ensure this value has'
        " at most 40 characters (it has 41).</li></ul>" in page
    )
    assert "€25.00" not in page
    assert value_of(page, "discount_code") == "C" * 41
