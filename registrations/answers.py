"""A registrant's answers to the webinar's questions, as the console shows them."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from registrations.models import Registrant
from webinars.models import Webinar


@dataclass(frozen=True)
class Answer:
    """One question of the webinar and the registrant's answer to it."""

    question_id: str
    label: str
    is_disclaimer: bool
    text: str  # the answer; for a disclaimer "Accepted" / "Not accepted"
    accepted: bool | None  # a disclaimer's acceptance, None for a text question


def questions(webinar: Webinar) -> list[dict[str, Any]]:
    """Return the webinar's well-formed questions, in their order."""
    return [q for q in webinar.questions or [] if isinstance(q, dict) and q.get("id")]


def answers_of(registrant: Registrant, webinar: Webinar | None = None) -> list[Answer]:
    """Return the registrant's answer to each question of the webinar.

    Answers stored for a question the organizer has since removed come last,
    labelled as such, so that nothing the registrant wrote disappears.
    """
    webinar = webinar or registrant.webinar
    stored = registrant.answers if isinstance(registrant.answers, dict) else {}
    result = []
    seen = set()
    for question in questions(webinar):
        key = str(question["id"])
        seen.add(key)
        result.append(_answer(key, str(question.get("label", "")), question, stored))
    for key in sorted(set(stored) - seen):
        result.append(_answer(key, _("Removed question"), {}, stored))
    return result


def _answer(key: str, label: str, question: dict, stored: dict) -> Answer:
    value = stored.get(key)
    if question.get("kind") == "disclaimer":
        accepted = bool(value)
        return Answer(
            question_id=key,
            label=label,
            is_disclaimer=True,
            text=_("Accepted") if accepted else _("Not accepted"),
            accepted=accepted,
        )
    return Answer(
        question_id=key,
        label=label,
        is_disclaimer=False,
        text="" if value in (None, False) else str(value),
        accepted=None,
    )


def csv_header(webinar: Webinar) -> list[str]:
    """Return one CSV column per question: its label (disclaimers: "accepted: ...")."""
    return [
        (f"accepted: {q.get('label', '')}" if q.get("kind") == "disclaimer" else "")
        or f"answer: {q.get('label', '')}"
        for q in questions(webinar)
    ]


def csv_cells(registrant: Registrant, webinar: Webinar) -> list[str]:
    """Return the CSV cells matching csv_header (disclaimers: yes / no)."""
    cells = []
    for answer in answers_of(registrant, webinar)[: len(questions(webinar))]:
        if answer.is_disclaimer:
            cells.append("yes" if answer.accepted else "no")
        else:
            cells.append(answer.text)
    return cells
