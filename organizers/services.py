"""Operations on accounts and their organizers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from organizers.hooks import organizer_joined_handlers
from organizers.models import Organizer


class OrganizerError(Exception):
    """A failure whose message is safe to show to the user."""


def invite_organizer(
    *,
    invited_by: Organizer,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    site_url: str,
) -> Organizer | None:
    """Create an organizer in the inviter's account and email a set-password link.

    An address that already has a login in another account is not invited (a
    login belongs to one account) and the inviter is not told: that would say
    who uses Tessera elsewhere. Its owner gets an email instead, and None is
    returned. A member of the inviter's own account is refused, since the
    account page lists them anyway.
    """
    if not invited_by.is_admin:
        raise OrganizerError(_("Only account admins can invite organizers."))
    user_model = get_user_model()
    with transaction.atomic():
        existing = user_model.objects.filter(email__iexact=email).first()
        if existing is not None:
            if Organizer.objects.filter(
                user=existing, account=invited_by.account
            ).exists():
                raise OrganizerError(_("This person is already in your account."))
            transaction.on_commit(
                lambda: send_login_exists_notice(
                    email=existing.email, invited_by=invited_by, site_url=site_url
                )
            )
            return None
        user = user_model.objects.create_user(
            username=email, email=email, first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        organizer = Organizer.objects.create(
            user=user, account=invited_by.account, role=role, invited_by=invited_by
        )
        transaction.on_commit(
            lambda: send_invitation(organizer=organizer, site_url=site_url)
        )
        announce_joined(organizer)
    return organizer


def announce_joined(organizer: Organizer | None) -> None:
    """Tell the organizer_joined_handlers (invitation, acceptance, login)."""
    if organizer is None:
        return
    for handler in organizer_joined_handlers:
        handler(organizer)


def invitation_url(*, organizer: Organizer, site_url: str) -> str:
    user = organizer.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url + reverse("organizers:accept_invite", args=[uid, token])


def send_invitation(*, organizer: Organizer, site_url: str) -> None:
    """Email the invitation with a single-use link to choose a password."""
    context = {
        "organizer": organizer,
        "inviter": organizer.invited_by,
        "url": invitation_url(organizer=organizer, site_url=site_url),
    }
    message = EmailMultiAlternatives(
        subject=_("You are invited to organize webinars on %(account)s")
        % {"account": organizer.account.name},
        body=render_to_string("organizers/email/invite.txt", context),
        to=[organizer.email],
    )
    message.send()


def send_login_exists_notice(
    *, email: str, invited_by: Organizer, site_url: str
) -> None:
    """Tell the owner of an address with a login that another account invited it."""
    context = {
        "account": invited_by.account,
        "inviter": invited_by,
        "login_url": site_url + reverse("organizers:login"),
    }
    message = EmailMultiAlternatives(
        subject=_("An invitation to organize webinars on %(account)s")
        % {"account": invited_by.account.name},
        body=render_to_string("organizers/email/login_exists.txt", context),
        to=[email],
    )
    message.send()
