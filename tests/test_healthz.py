import contextlib

import pytest
from django.core.cache import caches
from django.db import connection

from config.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, settings):
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"].startswith("down")
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    caches._settings = None  # noqa: SLF001 - rebuild caches from the new setting
    with contextlib.suppress(AttributeError):
        del caches.default
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"].startswith("down")


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("server closed the connection")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("down")
