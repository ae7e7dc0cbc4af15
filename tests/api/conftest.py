import pytest
from rest_framework.test import APIClient

from api.tokens import create_token
from tests import factories


class Api:
    """A DRF test client that sends one token's secret."""

    def __init__(self, secret: str) -> None:
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, data=None, **kwargs):
        return self.client.get(path, data, **kwargs)

    def post(self, path: str, data=None, **kwargs):
        return self.client.post(path, data, format="json", **kwargs)


@pytest.fixture
def api_as():
    """Return an Api client for a new token of `organizer` with `scope`."""

    def _api_as(organizer, scope: str = "write") -> Api:
        return Api(create_token(creator=organizer, name="test", scope=scope).secret)

    return _api_as


@pytest.fixture
def api(api_as, organizer):
    return api_as(organizer)


@pytest.fixture
def other_webinar():
    """A webinar of another account."""
    return factories.WebinarFactory()
