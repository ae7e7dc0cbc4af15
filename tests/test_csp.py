"""The Content-Security-Policy header (django-csp 4; see the README)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from stripe_sandbox import django_mount, pages
from tests import factories
from tests.stripe_sandbox.test_django_mount import call, embedded  # noqa: F401

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_a_public_page_forbids_inline_script_plugins_base_and_framing(client):
    policy = directives(client.get("/login/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["media-src"][0] == "'self'"


def test_form_action_allows_stripe_and_the_configured_stripe_api_origin(
    client, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:45123/_stripe"

    form_action = directives(client.get("/login/"))["form-action"]

    assert form_action[0] == "'self'"
    assert "https://checkout.stripe.com" in form_action
    assert "https://connect.stripe.com" in form_action
    assert "http://127.0.0.1:45123" in form_action
    assert len(form_action) == len(set(form_action))


def test_a_console_page_and_a_404_carry_the_policy(login, organizer):
    client = login(organizer)

    assert (
        "script-src 'self'"
        in client.get("/console/").headers["Content-Security-Policy"]
    )
    assert (
        "script-src 'self'"
        in client.get("/console/nothing-here/").headers["Content-Security-Policy"]
    )


def test_a_redirect_carries_no_policy_and_the_page_it_leads_to_does(client):
    response = client.get("/console/")

    assert response.status_code == 302
    assert "Content-Security-Policy" not in response.headers
    landing = client.get(response["Location"])
    assert "script-src 'self'" in landing.headers["Content-Security-Policy"]


def test_a_bad_host_answer_carries_the_policy():
    response = Client(HTTP_HOST="evil.example").get("/login/")

    assert response.status_code == 400
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_email_preview_allows_inline_style_for_the_email_but_no_script(
    login, organizer, webinar
):
    response = login(organizer).get(
        f"/console/webinars/{webinar.pk}/emails/preview/confirmation/en/"
    )

    policy = directives(response)
    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == ["'self'"]


def test_sandbox_pages_keep_their_own_policy(embedded):  # noqa: F811
    response = call("GET", "")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == pages.CONTENT_SECURITY_POLICY
    assert "script-src" not in response["Content-Security-Policy"]
    assert response.content.count(b"<style>") == 1


def test_the_app_leaves_the_sandbox_policy_alone(client, embedded):  # noqa: F811
    response = client.get("/_stripe/")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == pages.CONTENT_SECURITY_POLICY
    assert django_mount._app is not None


def _settings_in_subprocess(**env: str) -> dict:
    code = (
        "import json; from config import settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_media_src_includes_the_recordings_bucket_when_s3_is_configured():
    policy = _settings_in_subprocess(
        AWS_STORAGE_BUCKET_NAME="tessera-videos", AWS_S3_REGION_NAME="eu-west-3"
    )

    assert policy["media-src"] == [
        "'self'",
        "https://tessera-videos.s3.amazonaws.com",
        "https://tessera-videos.s3.eu-west-3.amazonaws.com",
    ]


def test_media_src_uses_the_s3_endpoint_of_a_compatible_store():
    policy = _settings_in_subprocess(
        AWS_S3_ENDPOINT_URL="https://minio.example.com:9000/",
        AWS_STORAGE_BUCKET_NAME="videos",
    )

    assert policy["media-src"] == ["'self'", "https://minio.example.com:9000"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def page_templates() -> list[Path]:
    """Every template of a web page (emails are mail, not pages: they keep styles)."""
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] != "emails"
        or path.relative_to(TEMPLATES).parts[1] == "console"
    ]


def test_no_page_template_has_inline_script_handler_or_style():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {pattern.pattern}"
        for path in page_templates()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, INLINE_STYLE)
        if pattern.search(path.read_text())
    ]

    assert page_templates()
    assert not offenders


def test_an_external_recording_page_allows_media_from_its_host_only(login, admin):
    external = factories.RecordingFactory(
        account=admin.account,
        file="",
        size=0,
        external_url="https://videos.example.com/talk.mp4",
    )
    uploaded = factories.RecordingFactory(account=admin.account)
    client = login(admin)

    external_page = client.get(reverse("recordings:detail", args=[external.pk]))
    uploaded_page = client.get(reverse("recordings:detail", args=[uploaded.pk]))

    assert directives(external_page)["media-src"] == [
        "'self'",
        "https://videos.example.com",
    ]
    assert directives(uploaded_page)["media-src"] == ["'self'"]
