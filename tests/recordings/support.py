"""Webinars with videos, and the registration post, that the recordings tests share."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recordings.models import PostSessionVideo, Recording
from tests import factories


def ended_webinar(organizer, **fields):
    """A webinar whose only session ended yesterday."""
    webinar = factories.WebinarFactory(
        owner=organizer, account=organizer.account, sessions=0, **fields
    )
    start = timezone.now() - timedelta(days=1)
    factories.SessionFactory(
        webinar=webinar, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    return webinar


def attach_video(webinar, session=None) -> Recording:
    """Attach a new recording to the webinar (or to one of its sessions)."""
    recording = factories.RecordingFactory(account=webinar.account)
    PostSessionVideo.objects.create(
        recording=recording, webinar=webinar, session=session
    )
    return recording


def register(client: Client, webinar, email="buyer@example.com", code=""):
    """Post the registration form as Bea Buyer."""
    return client.post(
        reverse("registrations:register", args=[webinar.registration_key]),
        {
            "first_name": "Bea",
            "last_name": "Buyer",
            "email": email,
            "discount_code": code,
        },
    )
