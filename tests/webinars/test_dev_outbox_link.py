"""Issue 15: the development outbox is linked in development only, outside the nav."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_of(html: str) -> str:
    return html[html.index('<nav aria-label="Main">') : html.index("</nav>")]


def test_outbox_link_only_in_development(login, organizer, settings):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    settings.DEBUG = True
    html = login(organizer).get(reverse("webinars:dashboard")).content.decode()
    assert reverse("dev_outbox") in html
    assert reverse("dev_outbox") not in nav_of(html)
    settings.DEBUG = False
    html = login(organizer).get(reverse("webinars:dashboard")).content.decode()
    assert reverse("dev_outbox") not in html
