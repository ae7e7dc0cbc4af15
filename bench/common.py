"""What both benchmarks need: a free port, and an account with one webinar.

Django models are imported inside bench_webinar: the benchmarks import this
module before they set Django up.
"""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    """Return a loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_webinar(
    *,
    participant_limit: int,
    registration_limit: int,
    title: str,
    description: str,
    user: dict[str, str],
) -> Any:
    """Create the "Bench" account, its admin and a webinar in Europe/Paris.

    ``user`` holds create_user's arguments. Return the webinar.
    """
    from django.contrib.auth import get_user_model

    from organizers.models import Account, Organizer
    from webinars.models import Webinar

    account = Account.objects.create(name="Bench", participant_limit=participant_limit)
    owner = Organizer.objects.create(
        user=get_user_model().objects.create_user(**user),
        account=account,
        role="admin",
    )
    return Webinar.objects.create(
        account=account,
        owner=owner,
        title=title,
        description=description,
        timezone="Europe/Paris",
        registration_limit=registration_limit,
    )
