"""Create (or refresh) the demo account, its logins and webinars. Safe to run twice."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from organizers.models import Account, Organizer
from webinars import hooks
from webinars.models import Session, Webinar

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo login
DEMO_TZ = "Europe/Paris"


class Command(BaseCommand):
    help = "Create the demo account, logins and webinars (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(
                name="Demo", defaults={"participant_limit": 100}
            )
            admin = self.organizer(
                account, "admin@example.com", "Ada", "Admin", "admin"
            )
            organizer = self.organizer(
                account, "organizer@example.com", "Olivia", "Organizer", "organizer"
            )
            webinars = self.webinars(account, organizer)
            for extend in hooks.seed_demo_extensions:
                extend(
                    account=account, admin=admin, organizer=organizer, webinars=webinars
                )

        self.stdout.write(f"Organizer console: {settings.SITE_URL}/login/")
        self.stdout.write("Demo logins (password: demo):")
        self.stdout.write(f"  admin      admin@example.com / {DEMO_PASSWORD}")
        self.stdout.write(f"  organizer  organizer@example.com / {DEMO_PASSWORD}")
        for line in hooks.seed_demo_report:
            for text in line(account=account):
                self.stdout.write(text)
        self.stdout.write("Registration pages:")
        for webinar in Webinar.objects.filter(account=account).order_by("pk"):
            url = f"{settings.SITE_URL}{webinar.get_registration_url()}"
            self.stdout.write(f"  {webinar.title}: {url}")

    def organizer(
        self, account: Account, email: str, first: str, last: str, role: str
    ) -> Organizer:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=email,
            defaults={"email": email, "first_name": first, "last_name": last},
        )
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save()
        member, _ = Organizer.objects.update_or_create(
            user=user, defaults={"account": account, "role": role}
        )
        return member

    def webinars(self, account: Account, owner: Organizer) -> dict[str, Webinar]:
        today = timezone.localdate(timezone=Webinar(timezone=DEMO_TZ).tzinfo)
        next_week = today + timedelta(days=7)
        specs = [
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
        result = {}
        for title, fields, schedule in specs:
            webinar, created = Webinar.objects.get_or_create(
                account=account,
                title=title,
                defaults={
                    "owner": owner,
                    "timezone": DEMO_TZ,
                    "registration_limit": account.participant_limit,
                    **fields,
                },
            )
            if created or not webinar.sessions.exists():
                tzinfo = webinar.tzinfo
                Session.objects.bulk_create(
                    Session(
                        webinar=webinar,
                        starts_at=datetime.combine(day, start, tzinfo),
                        ends_at=datetime.combine(day, end, tzinfo),
                        broadcast_url="https://meet.example.com/demo-room",
                    )
                    for day, start, end in schedule
                )
            result[title] = webinar
        return result
