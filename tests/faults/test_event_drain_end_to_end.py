"""Webhooks under real web and worker processes, with Redis up, then down.

The endpoint stores each event and kicks a drain (payments/event_drain.py),
which a real Celery worker consuming `stripe-events` runs. While a private
redis-server (cache and broker) is stopped, a webhook is still stored and
answered 200 (the kick fails open, the publish is refused); once Redis is
back, beat's sweep processes it. Each paid registrant ends confirmed exactly
once. PostgreSQL only: the web and worker processes must see the test's rows.
"""

import re
import time

import pytest
import requests
from celery import Celery

from payments.event_drain import SWEEP_GRACE
from payments.models import StripeEvent
from registrations.models import EmailLog, Registrant
from tests.faults.processes import (
    WebServer,
    Worker,
    database_url,
    embedded_env,
    wait_for,
)
from tests.faults.redis_server import RedisServer
from tests.registrations.checkout_support import session_id_of
from tests.registrations.smtp_sink import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def start_paying(web: WebServer, webinar, email: str) -> str:
    """Register on the public page and pay at the sandbox; return the session id."""
    browser = requests.Session()
    browser.trust_env = False
    url = web.url + webinar.get_registration_url()
    token = CSRF.search(browser.get(url, timeout=30).text).group(1)
    response = browser.post(
        url,
        data={
            "csrfmiddlewaretoken": token,
            "first_name": "Ada",
            "last_name": "Drain",
            "email": email,
            "discount_code": "",
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, response.text[:500]
    return session_id_of(response.headers["Location"])


def completed_delivery(webhooks, sandbox, session_id: str):
    """Pay the session; return the sandbox's signed `checkout.session.completed`."""
    sandbox.pay(session_id)
    deliveries = webhooks.collect()
    return next(
        d
        for d in deliveries
        if d.json()["type"] == "checkout.session.completed"
        and d.json()["data"]["object"]["id"] == session_id
    )


def post(web: WebServer, delivery) -> int:
    answer = requests.post(
        web.url + "/stripe/webhook/",
        data=delivery.body,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": delivery.headers["stripe-signature"],
        },
        timeout=30,
    )
    return answer.status_code


def confirmed(email: str) -> bool:
    return Registrant.objects.filter(email=email, status="confirmed").exists()


def test_webhooks_are_drained_by_a_worker_and_swept_after_an_outage(
    tmp_path, paid_webinar, stripe_sandbox, webhooks
):
    redis = RedisServer(tmp_path / "redis").start()
    env = embedded_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        REDIS_URL=redis.url,
        STRIPE_API_BASE=stripe_sandbox.url,
    )
    web = WebServer(env, tmp_path / "web.log", free_port())
    worker = Worker(
        env, tmp_path / "worker.log", app="config", queue="stripe-events,celery"
    )
    try:
        web.start()
        worker.start().wait_ready()
        before = completed_delivery(
            webhooks, stripe_sandbox, start_paying(web, paid_webinar, "up@example.com")
        )
        assert post(web, before) == 200
        wait_for(
            lambda: confirmed("up@example.com"),
            timeout=30,
            what="the drain to confirm the registrant while Redis is up",
        )
        # Nothing left unacknowledged in the worker when Redis goes: kombu's
        # Redis transport fails to restore such a message on a lost
        # connection, and the worker exits (its supervisor restarts it).
        wait_for(
            lambda: EmailLog.objects.filter(
                registrant__email="up@example.com", status=EmailLog.Status.SENT
            ).exists(),
            timeout=30,
            what="the confirmation email of the first registrant",
        )

        during = completed_delivery(
            webhooks,
            stripe_sandbox,
            start_paying(web, paid_webinar, "down@example.com"),
        )
        redis.stop()
        posted = time.monotonic()
        assert post(web, during) == 200
        assert time.monotonic() - posted < 10, "the answer waited on Redis"
        stored = StripeEvent.objects.get(event_id=during.json()["id"])
        assert stored.processed_at is None

        redis.start()
        # Beat's sweep (every minute in production) once the event is old
        # enough for it: the kick was lost with the broker.
        time.sleep(
            max(0.0, posted + SWEEP_GRACE.total_seconds() + 1 - time.monotonic())
        )
        beat = Celery("beat", broker=redis.url, set_as_current=False)
        beat.send_task("payments.events.process_stored_events")
        wait_for(
            lambda: confirmed("down@example.com"),
            timeout=60,
            what="the sweep to confirm the registrant whose kick was lost",
        )
        # Recorded as processed once its handlers returned, just after.
        wait_for(
            lambda: not StripeEvent.objects.filter(processed_at__isnull=True).exists(),
            timeout=30,
            what="every event recorded as processed",
        )
    finally:
        worker.stop()
        web.stop()
        redis.stop()
    for email in ("up@example.com", "down@example.com"):
        registrant = Registrant.objects.get(email=email)
        confirmations = EmailLog.objects.filter(
            registrant=registrant, kind=EmailLog.Kind.CONFIRMATION
        )
        assert confirmations.count() == 1
    assert b"Traceback" not in (tmp_path / "web.log").read_bytes()
