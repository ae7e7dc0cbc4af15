"""Redis down for a while under real web and worker processes.

A private redis-server (cache and broker) is stopped and started again by the
test. While it is down, people still register (free and paid: nothing raises
into the request); their confirmations wait in the outbox and go out once
Redis is back and beat's sweep (``send_due_emails``) runs, each exactly once.
PostgreSQL only: the web and worker processes must see the test's rows.
"""

import re
import time

import pytest
import requests
from celery import Celery

from registrations.models import EmailLog, Registrant
from tests import factories
from tests.faults.processes import (
    WebServer,
    Worker,
    database_url,
    embedded_env,
    wait_for,
)
from tests.faults.redis_server import RedisServer
from tests.registrations.checkout_support import make_paid_webinar
from tests.registrations.smtp_sink import SmtpSink, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def register(web: WebServer, webinar, email: str) -> requests.Response:
    """Fill the public registration form as a browser does."""
    browser = requests.Session()
    browser.trust_env = False
    url = web.url + webinar.get_registration_url()
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = CSRF.search(page.text).group(1)
    return browser.post(
        url,
        data={
            "csrfmiddlewaretoken": token,
            "first_name": "Ada",
            "last_name": "Outage",
            "email": email,
            "discount_code": "",
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )


def confirmations_to(smtp: SmtpSink, address: str) -> int:
    return len(smtp.to(address))


def test_registrations_work_while_redis_is_down_and_emails_follow(
    tmp_path, organizer, stripe_sandbox
):
    free = factories.WebinarFactory(owner=organizer, account=organizer.account)
    paid = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    redis = RedisServer(tmp_path / "redis").start()
    with SmtpSink() as smtp:
        env = embedded_env(
            tmp_path / "var",
            DATABASE_URL=database_url(),
            REDIS_URL=redis.url,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            STRIPE_API_BASE=stripe_sandbox.url,
        )
        web = WebServer(env, tmp_path / "web.log", free_port())
        worker = Worker(env, tmp_path / "worker.log", app="config")
        try:
            web.start()
            worker.start().wait_ready()
            assert register(web, free, "before@example.com").status_code == 303
            wait_for(
                lambda: confirmations_to(smtp, "before@example.com"),
                timeout=60,
                what="the confirmation sent while Redis is up",
            )

            redis.stop()
            started = time.monotonic()
            during = [f"during{n}@example.com" for n in range(3)]
            for address in during:
                response = register(web, free, address)
                assert response.status_code == 303, response.text[:500]
                done = requests.get(web.url + response.headers["Location"], timeout=30)
                assert done.status_code == 200
            response = register(web, paid, "payer@example.com")
            assert response.status_code == 303
            assert response.headers["Location"].startswith(stripe_sandbox.url)
            assert time.monotonic() - started < 30, "requests waited on Redis"
            health = requests.get(web.url + "/healthz", timeout=30)
            assert health.status_code == 503
            assert health.json()["broker"].startswith("down")
            for address in during:
                assert Registrant.objects.get(email=address).status == "confirmed"
            assert Registrant.objects.get(
                email="payer@example.com"
            ).payment.checkout_url
            queued = EmailLog.objects.filter(
                registrant__email__in=during, kind=EmailLog.Kind.CONFIRMATION
            )
            assert queued.count() == 3
            assert not queued.filter(status=EmailLog.Status.SENT).exists()

            redis.start()
            # Beat's sweep, every minute in production.
            beat = Celery("beat", broker=redis.url, set_as_current=False)
            beat.send_task("registrations.tasks_email.send_due_emails")
            wait_for(
                lambda: all(confirmations_to(smtp, a) for a in during),
                timeout=120,
                what="the confirmations queued while Redis was down",
            )
            assert requests.get(web.url + "/healthz", timeout=30).status_code == 200
        finally:
            worker.stop()
            web.stop()
            redis.stop()
        for address in ["before@example.com", *during]:
            assert confirmations_to(smtp, address) == 1
        assert queued.filter(status=EmailLog.Status.SENT).count() == 3
        assert b"Traceback" not in (tmp_path / "web.log").read_bytes()
