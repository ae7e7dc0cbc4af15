"""Demo data: an on-demand webinar with a video, and a video for the recorded one."""

from django.conf import settings
from django.core.files.base import ContentFile

from organizers.models import Account, Organizer
from payments.models import DiscountCode, Price
from recordings import probe
from recordings.models import PostSessionVideo, Recording
from recordings.samplevideo import build_webm
from webinars.models import Webinar

ON_DEMAND_TITLE = "Stripe payments 101"
VIDEO_TITLE = "Stripe payments 101 (video)"
RECORDED_TITLE = "Onboarding replay"


def demo_video(*, account: Account, organizer: Organizer) -> Recording:
    """Return the demo video, generating and storing it the first time."""
    recording = Recording.objects.filter(account=account, title=VIDEO_TITLE).first()
    if recording is not None and recording.file.storage.exists(recording.file.name):
        return recording
    data = build_webm(seconds=20)
    if recording is None:
        recording = Recording(
            account=account,
            uploaded_by=organizer,
            title=VIDEO_TITLE,
            content_type=probe.WEBM,
            duration_seconds=20,
        )
    recording.size = len(data)
    recording.file.save("demo.webm", ContentFile(data), save=False)
    recording.save()
    return recording


def seed_demo(
    *,
    account: Account,
    admin: Organizer,
    organizer: Organizer,
    webinars: dict[str, Webinar],
) -> None:
    """The seed_demo extension: create "Stripe payments 101" (idempotent)."""
    webinar, _created = Webinar.objects.get_or_create(
        account=account,
        title=ON_DEMAND_TITLE,
        defaults={
            "owner": organizer,
            "kind": Webinar.Kind.ON_DEMAND,
            "timezone": "Europe/Paris",
            "registration_limit": account.participant_limit,
            "description": (
                "Take payments with Stripe Checkout, step by step. On demand: "
                "watch right after registering.\n"
                "Refunds: write to the organizer within 14 days."
            ),
        },
    )
    webinars[ON_DEMAND_TITLE] = webinar
    Price.objects.get_or_create(
        webinar=webinar, defaults={"enabled": True, "amount": 2000, "currency": "USD"}
    )
    DiscountCode.objects.get_or_create(
        webinar=webinar, code="FREE", defaults={"amount": 0}
    )
    recording = demo_video(account=account, organizer=organizer)
    # The recorded webinar plays the same video at its session's time.
    for target in (webinar, webinars.get(RECORDED_TITLE)):
        if target is not None:
            PostSessionVideo.objects.get_or_create(
                webinar=target,
                session=None,
                defaults={"recording": recording, "attached_by": organizer},
            )


def seed_report(*, account: Account) -> list[str]:
    """The seed_demo report: where to buy and watch the on-demand webinar."""
    webinar = Webinar.objects.filter(account=account, title=ON_DEMAND_TITLE).first()
    if webinar is None:
        return []
    url = f"{settings.SITE_URL}{webinar.get_registration_url()}"
    return [
        f"On demand: {ON_DEMAND_TITLE} (USD 20.00, or code FREE at 0): {url}",
        "  pay with card 4242 4242 4242 4242, then watch from the confirmation.",
    ]
