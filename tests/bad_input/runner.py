"""Send hostile requests to every pattern; collect the 500s and the figures.

Every request runs in a savepoint that is rolled back afterwards, with an empty
cache, so a request that deletes, publishes or throttles leaves the world as it
was for the next one.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template import Template
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from recordings.samplevideo import build_webm
from tests.bad_input import forms as html_forms
from tests.bad_input.forms import Form
from tests.bad_input.patterns import (
    Pattern,
    UnfilledPattern,
    fill,
    hostile_urls,
)
from tests.bad_input.world import World
from tests.sandbox_fixtures import SANDBOX_KEY

# Query parameters every GET is tried with (all at once, one value each time),
# besides those found in the page's GET forms and links.
GENERIC_PARAMS = ["page", "q", "next", "r", "session_id", "status", "sort", "o"]
GENERIC_PARAMS += ["p", "kind", "format", "code", "email", "session", "id"]
COMPACT_VALUES: dict[str, str] = {
    "empty": "",
    "10k chars": "x" * 10_000,
    "markup": "<script>alert(1)</script>",
    "null byte": "a\x00b",
    "wrong type": "abc",
    "-1": "-1",
    "2**31": str(2**31),
    "2**63": str(2**63),
    "10**30": str(10**30),
    "4300+ digits": "9" * 5000,
    "0001-01-01": "0001-01-01",
    "9999-12-31": "9999-12-31",
    "10000-01-01": "10000-01-01",
}
# The values an admin form field gets (Django's own forms, many fields each).
# Above and below the 64-bit range, both ends of the date range (10**30 added
# nothing to 2**63 there: the model fields' validators refuse both alike).
ADMIN_LABELS = {"missing", "10k chars", "null byte", "wrong type", "2**63"}
ADMIN_LABELS |= {"-2**63-1", "10000-01-01", "0001-01-01"}
# An admin inline's field in a formset row: "<prefix>-<row>-<field>". Every row
# is the same form: the first row's fields are attacked, the others keep their
# valid values (the empty "__prefix__" row is never read by Django).
FORMSET_FIELD = re.compile(r"^(?P<prefix>.+)-(?P<row>\d+|__prefix__)-(?P<field>[^-]+)$")
# POST fields tried when a page shows no form for a URL.
GENERIC_FIELDS = ["id", "pk", "amount", "email", "token", "action", "decision"]
GENERIC_FIELDS += ["next", "code", "title", "enabled", "session", "count"]

# Headers every view may read (Range: the media views).
GET_HEADERS: dict[str, dict[str, str]] = {
    "Range with 5000 digits": {"HTTP_RANGE": "bytes=" + "9" * 5000 + "-"},
    "Range suffix with 5000 digits": {"HTTP_RANGE": "bytes=-" + "9" * 5000},
}
# Headers only the middleware reads: sent to the first URL of each area.
MIDDLEWARE_HEADERS: dict[str, dict[str, str]] = {
    "Range garbage": {"HTTP_RANGE": "bytes=5-1,,,x-y"},
    "Accept-Language 10k": {"HTTP_ACCEPT_LANGUAGE": "x" * 10_000},
    "Accept-Language bad q": {"HTTP_ACCEPT_LANGUAGE": "fr;q=abc,*;q=9e999,<x>"},
    "If-Modified-Since garbage": {"HTTP_IF_MODIFIED_SINCE": "9" * 500},
    "Cookie garbage": {"HTTP_COOKIE": "sessionid=\x00" + "x" * 5000 + "; csrftoken=;"},
}
POST_CONTENT_TYPES: dict[str, str] = {
    "multipart without boundary": "multipart/form-data",
    "multipart bad boundary": "multipart/form-data; boundary=" + "-" * 300,
    "unknown charset": "application/x-www-form-urlencoded; charset=x-no-such",
    "json garbage": "application/json",
}
WEBHOOK_SIGNATURES: dict[str, str] = {
    "Stripe-Signature empty": "",
    "Stripe-Signature garbage": "t=abc,v1=zz,v0=" + "9" * 5000,
    "Stripe-Signature huge t": "t=" + "9" * 5000 + ",v1=00",
}
# JSON values a signed webhook event may carry in place of a string.
WEBHOOK_JSON_VALUES: dict[str, Any] = {
    "int": 2**63,
    "list": ["a"],
    "object": {"a": 1},
    "null": None,
    "10k chars": "x" * 10_000,
    "markup": "<script>",
}


class _Rollback(Exception):
    pass


@dataclass
class Failure:
    pattern: str
    method: str
    url: str
    what: str  # field or header
    value: str  # the value's label
    status: int | None
    error: str

    def __str__(self) -> str:
        answer = f"status {self.status}" if self.status else self.error
        return (
            f"{self.pattern}: {self.method} {self.url[:120]} {self.what}={self.value}"
            f" -> {answer}"
        )


@dataclass
class Figures:
    patterns: int = 0
    urls: int = 0
    requests: int = 0
    values: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    per_pattern: dict[str, int] = field(default_factory=dict)
    pattern_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"bad input: {self.patterns} URL patterns, {self.urls} URLs, "
            f"{len(self.values)} hostile values, {self.requests} requests, "
            f"{len(self.failures)} server errors ({self.seconds:.0f} s)"
        )

    def slowest(self, count: int = 8) -> str:
        ranked = sorted(self.pattern_seconds.items(), key=lambda item: -item[1])
        return ", ".join(
            f"{name} {seconds:.0f} s/{self.per_pattern.get(name, 0)} req"
            for name, seconds in ranked[:count]
        )


FIGURES = Figures()


def webm_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("clip.webm", build_webm(seconds=1), "video/webm")


def sign_webhook(payload: bytes, secret: str) -> str:
    stamp = int(time.time())
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class Prober:
    def __init__(self, world: World, patterns: list[Pattern], settings: Any) -> None:
        self.world = world
        self.patterns = patterns
        self.settings = settings
        self.clients = {
            "public": Client(),
            "console": Client(),
            "admin": Client(),
        }
        self.clients["console"].force_login(world.admin.user)
        self.clients["admin"].force_login(world.superuser)
        self.forms: dict[str, list[Form]] = {}
        # Admin add and change pages share their form: attacked once.
        self.attacked: set[tuple] = set()
        self.areas_done: set[str] = set()
        # Admin (view, kwarg) pairs whose hostile values were sent (patterns.py).
        self.kwargs_done: set[tuple[str, str]] = set()
        self.figures = FIGURES

    # -- Sending ----------------------------------------------------------------

    def send(
        self,
        pattern: Pattern,
        method: str,
        url: str,
        *,
        what: str = "-",
        value: str = "valid",
        data: Any = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request in a rolled-back savepoint; record a 500 or an error."""
        self.figures.requests += 1
        counts = self.figures.per_pattern
        counts[pattern.name] = counts.get(pattern.name, 0) + 1
        if value != "valid":
            self.figures.values.add(value)
        client = self.clients[pattern.area]
        began = time.monotonic()
        extra = {**headers_for(pattern), **(headers or {})}
        cache.clear()
        cookies = client.cookies
        client.cookies = copy.deepcopy(cookies)
        response = None
        error = ""
        try:
            with transaction.atomic(), self.pattern_settings(pattern):
                try:
                    if method == "GET":
                        response = client.get(url, data=data, **extra)
                    elif method == "POST" and content_type is None:
                        response = client.post(url, data=data or {}, **extra)
                    else:
                        response = client.generic(
                            method,
                            url,
                            data=data or b"",
                            content_type=content_type or "application/octet-stream",
                            **extra,
                        )
                    if response is not None and response.streaming:
                        b"".join(response.streaming_content)
                except Exception as exc:  # noqa: BLE001 - any exception is a 500
                    frames = traceback.extract_tb(exc.__traceback__)
                    where = frames[-1] if frames else None
                    error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
                    if where is not None:
                        error += f" at {where.filename}:{where.lineno}"
                raise _Rollback
        except _Rollback:
            pass
        # A logout (or a new session) must not change who the next request is.
        client.cookies = cookies
        spent = self.figures.pattern_seconds
        spent[pattern.name] = spent.get(pattern.name, 0.0) + time.monotonic() - began
        status = None if response is None else response.status_code
        if error or (status is not None and status >= 500):
            self.figures.failures.append(
                Failure(pattern.name, method, url, what, value, status, error)
            )
            return None
        return response

    def pattern_settings(self, pattern: Pattern) -> Any:
        # The development pages exist only with DEBUG on (and the file backend).
        if pattern.route.startswith("dev/"):
            return override_settings(DEBUG=True)
        return override_settings()

    # -- Discovery --------------------------------------------------------------

    def discover(self, pattern: Pattern, url: str) -> None:
        """GET a page; file its forms under the pattern their action resolves to."""
        response = self.send(pattern, "GET", url)
        if response is None or response.streaming:
            return
        if "html" not in response.get("Content-Type", ""):
            return
        page = html_forms.parse(response.content.decode(errors="replace"))
        for form in page.forms:
            target = urlsplit(form.action or url).path or url
            try:
                resolve(target)
            except Resolver404:
                continue
            self.file_form(target, form)
        for key in html_forms.link_params(page.links, urlsplit(url).path):
            get_form = html_forms.Form(action=url, method="get", enctype="")
            get_form.fields[key] = html_forms.Field(key, "text", "")
            self.file_form(urlsplit(url).path, get_form)

    def file_form(self, target: str, form: Form) -> None:
        """Keep one form per target and set of fields (every page has the
        language and logout forms)."""
        known = self.forms.setdefault(target, [])
        if all(signature(form) != signature(other) for other in known):
            known.append(form)

    # -- Attacks ----------------------------------------------------------------

    def attack_form(self, pattern: Pattern, url: str, form: Form) -> None:
        base = form.valid_data()
        files = [n for n, f in form.fields.items() if f.kind == "file"]
        method = "POST" if form.method == "post" else "GET"
        for name, entry in form.fields.items():
            if entry.kind == "file" or name in html_forms.UNATTACKED:
                continue
            if pattern.area == "admin" and repeated_formset_field(name):
                continue
            values = entry.hostile()
            if pattern.area == "admin":
                # Django's ModelForms: their bounds come from the model fields.
                values = {k: v for k, v in values.items() if k in ADMIN_LABELS}
            for label, value in values.items():
                data: dict[str, Any] = dict(base)
                if value is None:
                    data.pop(name, None)
                else:
                    data[name] = value
                if method == "POST":
                    for file_name in files:
                        data[file_name] = webm_upload()
                self.send(pattern, method, url, what=name, value=label, data=data)
        for file_name in files:
            uploads = {
                "empty file": SimpleUploadedFile("e.mp4", b"", "video/mp4"),
                "text as video": SimpleUploadedFile("x.mp4", b"<script>", "video/mp4"),
                "10k-char name": SimpleUploadedFile("x" * 10_000, b"x", "video/mp4"),
            }
            for label, upload in uploads.items():
                self.send(
                    pattern,
                    "POST",
                    url,
                    what=file_name,
                    value=label,
                    data={**base, file_name: upload},
                )

    def attack_generic_query(self, pattern: Pattern, url: str) -> None:
        for label, value in COMPACT_VALUES.items():
            params = dict.fromkeys(GENERIC_PARAMS, value)
            self.send(pattern, "GET", url, what="query", value=label, data=params)

    def attack_generic_post(self, pattern: Pattern, url: str) -> None:
        self.send(pattern, "POST", url, what="body", value="missing", data={})
        for label, value in COMPACT_VALUES.items():
            data = dict.fromkeys(GENERIC_FIELDS, value)
            self.send(pattern, "POST", url, what="fields", value=label, data=data)

    def attack_headers(self, pattern: Pattern, url: str, form: Form | None) -> None:
        headers_sets = dict(GET_HEADERS)
        if pattern.area not in self.areas_done:
            self.areas_done.add(pattern.area)
            headers_sets.update(MIDDLEWARE_HEADERS)
        for label, headers in headers_sets.items():
            self.send(pattern, "GET", url, what="header", value=label, headers=headers)
        body = urlencode(form.valid_data() if form else {"a": "b"})
        for label, content_type in POST_CONTENT_TYPES.items():
            self.send(
                pattern,
                "POST",
                url,
                what="Content-Type",
                value=label,
                data=body.encode() + b"\xff\xfe",
                content_type=content_type,
            )
        for method in ("PUT", "DELETE", "OPTIONS"):
            self.send(pattern, method, url, what="method", value=method, data=b"x=1")

    def attack_webhook(self, pattern: Pattern, url: str) -> None:
        event = {
            "id": "evt_bad_input",
            "object": "event",
            "type": "checkout.session.completed",
            "account": self.world.connection.stripe_account_id,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": {"id": "cs_bad_input", "object": "checkout.session"}},
        }
        for label, signature in WEBHOOK_SIGNATURES.items():
            self.send(
                pattern,
                "POST",
                url,
                what="header",
                value=label,
                data=json.dumps(event).encode(),
                content_type="application/json",
                headers={"HTTP_STRIPE_SIGNATURE": signature},
            )
        for key in ("id", "type", "account", "created", "data"):
            for label, value in WEBHOOK_JSON_VALUES.items():
                payload = json.dumps({**event, key: value}).encode()
                for secret in ("whsec_sandbox", "whsec_sandbox_connect"):
                    self.send(
                        pattern,
                        "POST",
                        url,
                        what=f"signed event {key}",
                        value=f"{label} ({secret})",
                        data=payload,
                        content_type="application/json",
                        headers={
                            "HTTP_STRIPE_SIGNATURE": sign_webhook(payload, secret)
                        },
                    )
        garbage = b"{not json" + b"\x00" * 10
        self.send(
            pattern,
            "POST",
            url,
            what="body",
            value="signed garbage",
            data=garbage,
            content_type="application/json",
            headers={"HTTP_STRIPE_SIGNATURE": sign_webhook(garbage, "whsec_sandbox")},
        )

    # -- The run ---------------------------------------------------------------

    def run(self) -> Figures:
        # The test client's template instrumentation sends a signal and copies
        # the context for every template rendered (each form widget), for
        # response.context, which is not read here: a third of an admin page's
        # rendering. Pages are rendered just the same without it.
        instrumented = Template._render
        Template._render = _plain_render
        try:
            return self._run()
        finally:
            Template._render = instrumented

    def _run(self) -> Figures:
        started = time.monotonic()
        filled: list[tuple[Pattern, list[str]]] = []
        for pattern in self.patterns:
            self.figures.patterns += 1
            try:
                urls = fill(self.world, pattern)
            except UnfilledPattern as problem:
                self.figures.failures.append(
                    Failure(
                        pattern.name,
                        "-",
                        pattern.route,
                        "kwargs",
                        "-",
                        None,
                        str(problem),
                    )
                )
                continue
            filled.append((pattern, urls))
            self.figures.urls += len(urls)
            for url in urls:
                self.discover(pattern, url)
        for pattern, urls in filled:
            for url in urls:
                self.attack(pattern, url)
            for kwarg, url in hostile_urls(self.world, pattern, self.kwargs_done):
                value = f"<{kwarg}> hostile"
                self.send(pattern, "GET", url, what=kwarg, value=value)
                if pattern.area != "admin":
                    self.send(pattern, "POST", url, what=kwarg, value=value)
        self.figures.seconds = time.monotonic() - started
        return self.figures

    def attack(self, pattern: Pattern, url: str) -> None:
        path = urlsplit(url).path
        forms = self.forms.get(path, [])
        post_forms = [f for f in forms if f.method == "post"]
        for form in forms:
            if pattern.area == "admin":
                if pattern.name.endswith("_add") and form.method == "post":
                    continue  # the change form (same model fields) is attacked
                key = admin_form_key(pattern, form)
                if str(key) in self.attacked:
                    continue
                self.attacked.add(str(key))
            self.attack_form(pattern, url, form)
        if pattern.area == "admin":
            # Django's admin: its forms and changelist links are attacked
            # above; the generic attacks go to the project's own views.
            if pattern.name == "admin:index":
                self.attack_headers(pattern, url, None)
            return
        if not post_forms:
            self.attack_generic_post(pattern, url)
        if not [f for f in forms if f.method == "get"]:
            self.attack_generic_query(pattern, url)
        self.attack_headers(pattern, url, post_forms[0] if post_forms else None)
        if pattern.name == "payments:webhook":
            self.attack_webhook(pattern, url)


def _plain_render(self: Template, context: Any) -> Any:
    """Django's own Template._render, without the test instrumentation."""
    return self.nodelist.render(context)


def repeated_formset_field(name: str) -> bool:
    """An inline formset row other than the first (or the empty template row)."""
    match = FORMSET_FIELD.match(name)
    return match is not None and match["row"] != "0"


def admin_form_key(pattern: Pattern, form: Form) -> tuple:
    """An admin form is attacked once per shape: the add and change forms once
    per model, the changelist's action, search and filter forms once across
    every model that shows the same fields (Django's code, not the model's)."""
    view = pattern.name.rsplit("_", 1)[-1]
    if view in ("add", "change") and form.method == "post":
        # The add and change forms of a model share their fields: the change
        # form (add forms are skipped in attack()).
        return (tuple(pattern.route.split("/")[1:3]), "model form")
    return ((), signature(form))


def signature(form: Form) -> tuple:
    return (form.method, tuple(sorted(form.fields)))


def headers_for(pattern: Pattern) -> dict[str, str]:
    """Headers a pattern needs to get past its front door."""
    if pattern.name == "stripe-sandbox":
        return {"HTTP_AUTHORIZATION": f"Bearer {SANDBOX_KEY}"}
    return {}
