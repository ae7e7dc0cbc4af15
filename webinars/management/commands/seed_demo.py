"""Create (or refresh) the demo account, its logins and webinars. Safe to run twice."""

from django.core.management.base import BaseCommand

from webinars import demo


class Command(BaseCommand):
    help = "Create the demo account, logins and webinars (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        account = demo.seed_demo()
        for line in demo.seed_report(account=account):
            self.stdout.write(line)
