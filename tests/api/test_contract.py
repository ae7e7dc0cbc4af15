"""The API's contract: Schemathesis drives every operation of the served schema.

Each operation gets up to CONTRACT_MAX_EXAMPLES generated requests (env
API_CONTRACT_MAX_EXAMPLES), half of them aimed at real objects of the
token's account (a free and a paid webinar, their registrants) and half at
whatever ids Hypothesis draws. No answer may be a server error, and every
answer must match the schema: status code, content type, headers, body.

`positive_data_acceptance` is left out on purpose: a well-formed request may
still be refused by a business rule (full, already registered, nothing to
refund), and those refusals are documented problem responses.
"""

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import create_token
from registrations.models import WaitlistEntry
from tests import factories
from tests.registrations.checkout_support import make_paid_webinar

pytestmark = pytest.mark.django_db

CONTRACT_MAX_EXAMPLES = int(os.environ.get("API_CONTRACT_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@contextmanager
def in_test_transaction():
    """Serve WSGI requests inside the test's transaction, as Django's Client does.

    Django closes the connection at the end of each request; inside the
    test's transaction that would throw the test's data away.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def account_data(admin, stripe_sandbox):
    """A free and a paid webinar with registrants, codes and a question."""
    free = factories.WebinarFactory(owner=admin)
    free.questions = [
        {"id": "org", "label": "Organisation", "kind": "text", "required": False}
    ]
    free.save()
    paid = make_paid_webinar(owner=admin, stripe_account=stripe_sandbox.demo_account)
    factories.DiscountCodeFactory(webinar=paid, code="HALF", amount=2500)
    # A waitlist with someone waiting and an open offer.
    free.waitlist_enabled = True
    free.save()
    WaitlistEntry.objects.create(
        webinar=free, email="w@example.com", first_name="W", last_name="L"
    )
    WaitlistEntry.objects.create(
        webinar=free,
        email="o@example.com",
        first_name="O",
        last_name="F",
        answers={"org": "Acme"},
        status=WaitlistEntry.Status.OFFERED,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + timedelta(hours=24),
    )
    registrants = {
        free.pk: [
            factories.RegistrantFactory(webinar=free).pk,
            factories.RegistrantFactory(webinar=free, status="awaiting_approval").pk,
        ],
        paid.pk: [factories.RegistrantFactory(webinar=paid).pk],
    }
    return registrants


def test_every_operation_answers_as_its_schema_says(
    admin, account_data, settings_fixture, capsys
):
    secret = create_token(creator=admin, name="contract", scope="write").secret
    auth = {"Authorization": f"Bearer {secret}"}
    figures = {"operations": 0, "cases": 0, "failures": []}
    targets = [
        {"webinar_id": webinar_id, "registrant_id": registrant_id}
        for webinar_id, ids in account_data.items()
        for registrant_id in ids
    ]
    with in_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())
        for result in schema.get_all_operations():
            operation = result.ok()
            figures["operations"] += 1
            names = {p.name for p in operation.path_parameters}
            strategies = [operation.as_strategy()]
            strategies += [
                operation.as_strategy(
                    path_parameters={k: v for k, v in target.items() if k in names}
                )
                for target in targets
                if names
            ]

            @settings(
                max_examples=CONTRACT_MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=st.one_of(strategies))
            def drive(case):
                figures["cases"] += 1
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)

            try:
                drive()
            except Exception as failure:  # noqa: BLE001 - reported below
                figures["failures"].append(f"{operation.label}: {failure}")
    with capsys.disabled():
        print(
            f"\nAPI contract (Schemathesis {schemathesis.__version__}): "
            f"{figures['operations']} operations, {figures['cases']} generated "
            f"cases, {len(figures['failures'])} failures"
        )
    assert figures["operations"] >= 14
    assert not figures["failures"], "\n\n".join(figures["failures"])


@pytest.fixture
def settings_fixture(settings):
    # Thousands of requests in a minute: the rate limit is tested elsewhere.
    settings.API_RATE_LIMIT = 1_000_000
    return settings
