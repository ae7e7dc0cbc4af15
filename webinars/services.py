"""Operations on webinars, their sessions and their members."""

import secrets
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from organizers.models import Organizer
from webinars import hooks
from webinars.models import Session, Webinar, WebinarMember


class WebinarError(Exception):
    """A failure whose message is safe to show to the user."""


def create_webinar(
    *,
    owner: Organizer,
    fields: dict,
    sessions: list[tuple[datetime, datetime]],
    broadcast_url: str = "",
) -> Webinar:
    """Create a webinar owned by the organizer, with its sessions."""
    with transaction.atomic():
        webinar = Webinar(account=owner.account, owner=owner, **fields)
        webinar.full_clean()
        webinar.save()
        add_sessions(webinar=webinar, sessions=sessions, broadcast_url=broadcast_url)
    return webinar


def update_webinar(*, webinar: Webinar, fields: dict) -> Webinar:
    """Change the webinar's details (the webinar form's fields).

    Only those columns are written (and `updated_at`): what another page
    saved meanwhile (the questions, the reminders, the refund policy, the
    price's switch) stays as it was saved, not as this form read it.
    """
    columns = {field.name for field in Webinar._meta.concrete_fields}
    names = [name for name in fields if name in columns]
    with transaction.atomic():
        for name in names:
            setattr(webinar, name, fields[name])
        webinar.full_clean()
        webinar.save(update_fields=[*names, "updated_at"])
    return webinar


def add_sessions(
    *, webinar: Webinar, sessions: list[tuple[datetime, datetime]], broadcast_url: str
) -> list[Session]:
    return Session.objects.bulk_create(
        Session(
            webinar=webinar, starts_at=start, ends_at=end, broadcast_url=broadcast_url
        )
        for start, end in sessions
    )


def delete_session(*, session: Session) -> None:
    """Delete a session nobody holds a place in; WebinarError otherwise."""
    webinar = session.webinar
    # Whole-webinar registrants have no session of their own: the last session
    # of a webinar with registrants is cancelled, never deleted.
    last_with_registrants = (
        webinar.registrants.exists() and webinar.sessions.count() == 1
    )
    if last_with_registrants or session.registrants.exists() or session.holds.exists():
        raise WebinarError(
            _("This session has registrants: cancel it instead of deleting it.")
        )
    session.delete()


def add_member(*, webinar: Webinar, email: str, name: str, role: str) -> WebinarMember:
    """Invite a co-organizer or panelist by email."""
    with transaction.atomic():
        if webinar.members.filter(email__iexact=email).exists():
            raise WebinarError(_("This person is already on the webinar."))
        organizer = (
            Organizer.objects.filter(account=webinar.account, user__email__iexact=email)
            .exclude(pk=webinar.owner_id)
            .first()
        )
        member = WebinarMember.objects.create(
            webinar=webinar, email=email, name=name, role=role, organizer=organizer
        )
        for handler in hooks.member_added_handlers:
            transaction.on_commit(lambda h=handler: h(member))
    return member


def bind_memberships(organizer: Organizer) -> int:
    """Give an organizer the co-organizer invitations sent to their email.

    An invitation added before the person joined the account has no organizer:
    bind it when they join, accept or log in (organizers' organizer_joined hook).
    Return how many invitations were bound.
    """
    return (
        WebinarMember.objects.filter(
            webinar__account_id=organizer.account_id,
            organizer__isnull=True,
            email__iexact=organizer.user.email,
        )
        .exclude(webinar__owner=organizer)
        .update(organizer=organizer)
    )


def remove_member(*, member: WebinarMember) -> None:
    """Take a co-organizer or panelist off the webinar."""
    member.delete()


def add_question(*, webinar: Webinar, label: str, kind: str, required: bool) -> None:
    with transaction.atomic():
        webinar = Webinar.objects.select_for_update().get(pk=webinar.pk)
        webinar.questions = [
            *webinar.questions,
            {
                "id": secrets.token_hex(4),
                "label": label,
                "kind": kind,
                "required": required or kind == "disclaimer",
            },
        ]
        webinar.save(update_fields=["questions", "updated_at"])


def remove_question(*, webinar: Webinar, question_id: str) -> None:
    with transaction.atomic():
        webinar = Webinar.objects.select_for_update().get(pk=webinar.pk)
        remaining = [q for q in webinar.questions if q.get("id") != question_id]
        if len(remaining) == len(webinar.questions):
            raise WebinarError(_("That question does not exist."))
        webinar.questions = remaining
        webinar.save(update_fields=["questions", "updated_at"])
