"""Request ids on responses and log records; structured log lines."""

import json
import logging

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from config.logs import StructuredFormatter

pytestmark = pytest.mark.django_db


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("kaboom")


def fine(request: HttpRequest) -> HttpResponse:
    logging.getLogger("tessera.test").info("hello from the view")
    return HttpResponse("ok")


urlpatterns = [path("boom/", boom), path("fine/", fine)]


@pytest.fixture
def client_raising_nothing(settings) -> Client:
    settings.ROOT_URLCONF = __name__
    client = Client()
    client.raise_request_exception = False
    return client


def test_a_server_error_is_logged_with_the_request_id(client_raising_nothing, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client_raising_nothing.get("/boom/")

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors, "the 500 was not logged"
    assert all(r.request_id == request_id for r in errors)
    assert errors[0].exc_info[0] is RuntimeError


def test_every_record_of_a_request_carries_its_id(client_raising_nothing, caplog):
    with caplog.at_level(logging.INFO, logger="tessera.test"):
        first = client_raising_nothing.get("/fine/")
        second = client_raising_nothing.get("/fine/")

    ids = [r.request_id for r in caplog.records if r.name == "tessera.test"]
    assert ids == [first["X-Request-ID"], second["X-Request-ID"]]
    assert ids[0] != ids[1]


def test_a_safe_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    assert response["X-Request-ID"] == "req-0123456789abcdef"


@pytest.mark.parametrize(
    "given", ["short", "x" * 65, "bad id with spaces", "a\r\nlevel=ERROR", "é" * 10]
)
def test_an_unsafe_incoming_request_id_is_replaced(client, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_are_key_value_or_json_with_the_request_id():
    record = logging.LogRecord(
        "tessera", logging.ERROR, __file__, 1, 'paid "%s"', ("x y",), None
    )
    record.request_id = "abc123abc123"

    line = StructuredFormatter().format(record)
    data = json.loads(StructuredFormatter(as_json=True).format(record))

    assert "level=ERROR" in line
    assert "request_id=abc123abc123" in line
    assert 'message="paid \\"x y\\""' in line
    assert "\n" not in line
    assert data["request_id"] == "abc123abc123"
    assert data["message"] == 'paid "x y"'
