"""Extension points that higher apps plug into from their AppConfig.ready().

Lower apps never import higher ones; they expose lists like these instead.
"""

from collections.abc import Callable

from organizers.models import Organizer

# Each provider takes the current organizer and returns warning texts for the dashboard.
dashboard_warning_providers: list[Callable[[Organizer], list[str]]] = []

# Each panel provider takes the request and returns {"template": ..., "context": {...}}
# shown on the account page, or None.
account_panels: list[Callable] = []

# Called by seed_demo inside its transaction, with keyword arguments
# account, admin, organizer and webinars (a dict title -> Webinar).
seed_demo_extensions: list[Callable] = []

# Called by seed_demo after seeding with account=...; each returns lines to print.
seed_demo_report: list[Callable] = []
