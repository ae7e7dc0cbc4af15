"""The conformance check catches every kind of drift from Stripe's shapes."""

import copy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sandbox_fixtures import session_params
from tests.stripe_sandbox.conformance import Recorder, validate

DEMO = "acct_1TesseraDemo0001"


@pytest.fixture
def charge(stripe_sandbox, stripe_sdk) -> dict:
    """Return a paid charge as the sandbox answers it, as plain JSON."""
    options = {"stripe_account": DEMO}
    session = stripe_sdk.v1.checkout.sessions.create(session_params(), options)
    stripe_sandbox.complete(session["id"])
    intent = stripe_sdk.v1.payment_intents.retrieve(
        stripe_sdk.v1.checkout.sessions.retrieve(session["id"], None, options)[
            "payment_intent"
        ],
        None,
        options,
    )
    return stripe_sdk.v1.charges.retrieve(
        intent["latest_charge"], None, options
    ).to_dict()


def test_a_sandbox_charge_conforms(charge):
    assert validate(charge) == []


def test_a_key_removed_from_a_charge_is_reported_missing(charge):
    del charge["amount_captured"]

    assert validate(charge) == ["charge: missing key 'amount_captured'"]


def test_a_nested_key_removed_is_reported_with_its_path(charge):
    del charge["outcome"]["seller_message"]

    assert validate(charge) == ["charge: outcome.missing key 'seller_message'"]


def test_an_extra_key_is_reported(charge):
    charge["colour"] = "blue"

    assert validate(charge) == ["charge: extra key 'colour'"]


def test_a_wrong_json_type_is_reported(charge):
    charge["amount"] = "5000"
    charge["paid"] = None

    assert validate(charge) == [
        "charge: amount: string where the SDK expects integer",
        "charge: paid: null where the SDK expects boolean",
    ]


def test_a_wrong_enum_value_is_reported(charge):
    charge["status"] = "done"

    assert validate(charge) == [
        "charge: status: 'done' not one of ['failed', 'pending', 'succeeded']"
    ]


def test_an_event_payload_is_validated_as_its_own_type(charge):
    del charge["currency"]
    event = {
        "id": "evt_1",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": 1,
        "data": {"object": charge},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "charge.succeeded",
    }

    assert validate(event) == ["charge: missing key 'currency'"]


def test_the_recorder_counts_objects_and_events_and_keeps_problems(charge):
    recorder = Recorder()
    doctored = copy.deepcopy(charge)
    del doctored["amount_captured"]

    recorder.record({"object": "list", "data": [charge], "has_more": False}, "GET")
    recorder.record(doctored, "GET /v1/charges/ch_1")

    assert recorder.objects == {"charge": 2}
    assert recorder.problems == {
        "charge: missing key 'amount_captured'": "GET /v1/charges/ch_1 in ?"
    }
    assert "2 objects validated (charge 2)" in recorder.summary()


def test_a_sandbox_object_missing_a_key_fails_the_run(tmp_path: Path):
    """Run a suite whose sandbox drops a key: the test passes, the run fails."""
    test = tmp_path / "test_doctored.py"
    test.write_text(
        textwrap.dedent(
            """
            from stripe_sandbox import payments
            from tests.sandbox_fixtures import session_params

            def test_pay(stripe_sandbox, stripe_sdk, monkeypatch):
                build = payments.charge_object

                def without_fraud_details(*args, **kwargs):
                    charge = build(*args, **kwargs)
                    charge.pop("fraud_details", None)
                    return charge

                monkeypatch.setattr(payments, "charge_object", without_fraud_details)
                session = stripe_sdk.v1.checkout.sessions.create(session_params())
                stripe_sandbox.complete(session["id"])
                stripe_sdk.v1.events.list()
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603 - the test's own interpreter
        [
            *(sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly"),
            *("-p", "tests.sandbox_fixtures", "--rootdir", str(root)),
            *("-c", str(root / "pyproject.toml"), str(test)),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "1 passed" in result.stdout
    assert "charge: missing key 'fraud_details'" in result.stdout
    assert result.returncode == 1
