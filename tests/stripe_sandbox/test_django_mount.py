"""The sandbox mounted in Django at /_stripe/ (the embedded default)."""

import json
from urllib.parse import urlencode

import pytest
from django.test import RequestFactory

from stripe_sandbox import django_mount as sandbox_urls


@pytest.fixture
def embedded(settings, tmp_path):
    """Build the process-wide sandbox from settings, in a temporary folder."""
    settings.STRIPE_SANDBOX_DIR = tmp_path / "stripe-sandbox"
    settings.STRIPE_API_BASE = "http://testserver/_stripe"
    settings.STRIPE_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/stripe/webhook/"
    previous = sandbox_urls._app
    sandbox_urls._app = None
    yield sandbox_urls
    if sandbox_urls._app is not None:
        sandbox_urls._app.close()
    sandbox_urls._app = previous


def call(method: str, path: str, *, data: str = "", **headers: str):
    factory = RequestFactory()
    extra = {f"HTTP_{k.upper()}": v for k, v in headers.items()}
    if method == "POST":
        request = factory.post(
            f"/_stripe/{path}",
            data=data,
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    else:
        request = factory.get(f"/_stripe/{path}", **extra)
    return sandbox_urls.sandbox(request, path=path.split("?")[0])


def test_the_adapter_serves_the_api_with_form_bodies(embedded):
    body = urlencode(
        {
            "mode": "payment",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "5000",
            "line_items[0][price_data][product_data][name]": "Webinar",
            "line_items[0][quantity]": "1",
        }
    )

    response = call(
        "POST",
        "v1/checkout/sessions",
        data=body,
        authorization="Bearer sk_test_sandbox",
        stripe_account="acct_1TesseraDemo0001",
    )

    session = json.loads(response.content)
    assert response.status_code == 200
    assert response["Request-Id"].startswith("req_")
    assert session["url"] == f"http://testserver/_stripe/c/pay/{session['id']}"


def test_the_adapter_registers_the_app_webhook_endpoints(embedded):
    response = call(
        "GET", "v1/webhook_endpoints", authorization="Bearer sk_test_sandbox"
    )

    endpoints = json.loads(response.content)["data"]
    assert {e["url"] for e in endpoints} == {"http://127.0.0.1:9/stripe/webhook/"}
    assert len(endpoints) == 2


def test_the_adapter_serves_the_hosted_page(embedded):
    response = call("GET", "")

    assert response.status_code == 200
    assert b"Stripe sandbox" in response.content


def test_the_adapter_keeps_state_in_its_own_folder(embedded, settings):
    call("GET", "v1/account", authorization="Bearer sk_test_sandbox")

    assert (settings.STRIPE_SANDBOX_DIR / "stripe-sandbox.sqlite3").exists()


def test_the_adapter_accepts_only_the_configured_secret_key(embedded):
    accepted = call("GET", "v1/account", authorization="Bearer sk_test_sandbox")
    refused = call("GET", "v1/account", authorization="Bearer sk_test_other")

    assert accepted.status_code == 200
    assert refused.status_code == 401
    assert json.loads(refused.content)["error"]["code"] == "api_key_invalid"
