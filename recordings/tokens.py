"""Every signed token of the recordings app, with its salt.

The salt is named after what signs with it, as django.contrib.auth.tokens
does; its value predates this module and stays as it is, so media URLs
already handed out keep working until they expire.
"""

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from recordings.errors import RecordingError
from recordings.models import WatchGrant

# recordings.tokens.sign_media: the short-lived URL of a recording's bytes.
MEDIA_SALT = "recordings.media"


def sign_media(*, grant: WatchGrant, device_id: str) -> str:
    """Return a short-lived token naming the grant and the viewer's device."""
    return signing.dumps({"g": grant.pk, "d": device_id}, salt=MEDIA_SALT)


def media_grant(value: str) -> tuple[WatchGrant, str | None]:
    """Return the grant a media token names and the device id it was signed for.

    Raise RecordingError when the token expired, was forged, or names no grant.
    """
    try:
        data = signing.loads(
            value, salt=MEDIA_SALT, max_age=settings.RECORDING_MEDIA_URL_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise RecordingError(_("This video link has expired; reload the page.")) from (
            error
        )
    except signing.BadSignature as error:
        raise RecordingError(_("This video link is not valid.")) from error
    grant = (
        WatchGrant.objects.select_related("registrant__webinar", "recording__account")
        .filter(pk=data.get("g"))
        .first()
    )
    if grant is None:
        raise RecordingError(_("This video link is not valid."))
    return grant, data.get("d")
