"""Demo data of the registrations app (the seed_demo command's hook)."""

from registrations.refunds.self_service import save_policy
from webinars.models import Webinar

DEMO_POLICY_TITLE = "Project management for beginners"


def seed_demo_policy(*, webinars: dict[str, Webinar], **kwargs: object) -> None:
    """Give the demo webinar its policy: full refund until 24 hours before."""
    webinar = webinars.get(DEMO_POLICY_TITLE)
    if webinar is not None:
        save_policy(
            webinar=webinar,
            policy=Webinar.RefundPolicy.FULL_UNTIL,
            hours_before=24,
            percent=100,
        )
