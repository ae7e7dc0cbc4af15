"""Demo data: the demo account, its two logins and three webinars.

`manage.py seed_demo` runs seed_demo() at every `make run`, so everything
here is idempotent; the higher apps add theirs through the seed_demo hooks.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from organizers.models import Account, Organizer
from webinars import hooks
from webinars.models import Webinar
from webinars.services import add_sessions

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo login
DEMO_TZ = "Europe/Paris"
DEMO_ROOM = "https://meet.example.com/demo-room"


def seed_demo() -> Account:
    """Create (or refresh) the demo account, then every app's demo data in it."""
    with transaction.atomic():
        account, _created = Account.objects.get_or_create(
            name="Demo", defaults={"participant_limit": 100}
        )
        seeded_before = list(
            Webinar.objects.filter(account=account).values_list("pk", flat=True)
        )
        admin = demo_login(
            account=account,
            email="admin@example.com",
            name=("Ada", "Admin"),
            role="admin",
        )
        organizer = demo_login(
            account=account,
            email="organizer@example.com",
            name=("Olivia", "Organizer"),
            role="organizer",
        )
        webinars = demo_webinars(account=account, owner=organizer)
        for extend in hooks.seed_demo_extensions:
            extend(account=account, admin=admin, organizer=organizer, webinars=webinars)
        # After the extensions, so the webinars they add (the on-demand one) are
        # in: the demo organizer is told of each paid registration (off by
        # default), so a payment in the demo shows that email too. Only the
        # webinars this run created: a choice made in the console stays.
        Webinar.objects.filter(account=account).exclude(pk__in=seeded_before).update(
            notify_paid_registrations=True
        )
    return account


def seed_report(*, account: Account) -> list[str]:
    """Return the lines seed_demo prints: logins, the apps' reports, the pages."""
    lines = [
        f"Organizer console: {settings.SITE_URL}{reverse('organizers:login')}",
        "Demo logins (password: demo):",
        f"  admin      admin@example.com / {DEMO_PASSWORD}",
        f"  organizer  organizer@example.com / {DEMO_PASSWORD}",
    ]
    for report in hooks.seed_demo_report:
        lines.extend(report(account=account))
    lines.append("Registration pages:")
    for webinar in Webinar.objects.filter(account=account).order_by("pk"):
        url = f"{settings.SITE_URL}{webinar.get_registration_url()}"
        lines.append(f"  {webinar.title}: {url}")
    return lines


def demo_login(
    *, account: Account, email: str, name: tuple[str, str], role: str
) -> Organizer:
    """Return the demo organizer with this email, its password reset if unusable."""
    first_name, last_name = name
    user, created = get_user_model().objects.get_or_create(
        username=email,
        defaults={"email": email, "first_name": first_name, "last_name": last_name},
    )
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    organizer, _created = Organizer.objects.update_or_create(
        user=user, defaults={"account": account, "role": role}
    )
    return organizer


def demo_specs(today: date) -> list[tuple[str, dict, list[tuple[date, time, time]]]]:
    """Return each demo webinar's title, fields and schedule (day, start, end)."""
    next_week = today + timedelta(days=7)
    return [
        (
            "Project management for beginners",
            {
                "kind": Webinar.Kind.LIVE,
                "description": (
                    "Plan, run and close your first project with confidence.\n"
                    "Refunds: full refund until 24 hours before the session."
                ),
            },
            [(next_week, time(15, 0), time(16, 0))],
        ),
        (
            "Weekly agile clinic",
            {
                "kind": Webinar.Kind.LIVE,
                "registration_type": Webinar.RegistrationType.INDIVIDUAL_SESSION,
                "description": "Bring your questions; pick the week you like.",
            },
            [
                (next_week + timedelta(days=7 * i), time(10, 0), time(11, 0))
                for i in range(4)
            ],
        ),
        (
            "Onboarding replay",
            {
                "kind": Webinar.Kind.RECORDED,
                "description": "Our onboarding session, played as if live.",
            },
            [(today + timedelta(days=3), time(18, 0), time(18, 45))],
        ),
    ]


def demo_webinars(*, account: Account, owner: Organizer) -> dict[str, Webinar]:
    """Return the demo webinars by title; sessions only for those that have none."""
    tzinfo = Webinar(timezone=DEMO_TZ).tzinfo
    common = {
        "owner": owner,
        "timezone": DEMO_TZ,
        "registration_limit": account.participant_limit,
    }
    result = {}
    for title, fields, schedule in demo_specs(timezone.localdate(timezone=tzinfo)):
        webinar, created = Webinar.objects.get_or_create(
            account=account, title=title, defaults={**common, **fields}
        )
        if created or not webinar.sessions.exists():
            add_sessions(
                webinar=webinar,
                sessions=[
                    (
                        datetime.combine(day, start, webinar.tzinfo),
                        datetime.combine(day, end, webinar.tzinfo),
                    )
                    for day, start, end in schedule
                ],
                broadcast_url=DEMO_ROOM,
            )
        result[title] = webinar
    return result
