"""Extension points for higher apps (registered in their AppConfig.ready())."""

from collections.abc import Callable

from webinars.models import WebinarMember

# Called after commit when a co-organizer or panelist is added to a webinar.
member_added_handlers: list[Callable[[WebinarMember], None]] = []

# Each panel provider takes (request, webinar) and returns a dict
# {"template": ..., "context": {...}} rendered on the webinar's console page, or None.
webinar_panels: list[Callable] = []
