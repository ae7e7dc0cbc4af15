"""PostgreSQL: racers through the page and the API never oversell, together."""

import threading

import pytest
from django.db import connection
from django.test import Client

from api.tokens import create_token
from registrations.capacity import seats_taken
from registrations.models import SeatHold
from tests import factories
from tests.api.conftest import Api
from tests.registrations.checkout_support import form_data, make_paid_webinar

RACERS = 20
SEATS_LEFT = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_page_and_api_racers_for_the_last_seats_get_exactly_those_seats(
    organizer, stripe_sandbox, settings
):
    settings.REGISTER_RATE_LIMIT = 1000
    settings.API_RATE_LIMIT = 1000
    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account
    )
    webinar.registration_limit = 30
    webinar.save()
    factories.RegistrantFactory.create_batch(
        webinar.registration_limit - SEATS_LEFT, webinar=webinar, source="paid"
    )
    secret = create_token(creator=organizer, name="race", scope="write").secret
    barrier = threading.Barrier(RACERS)
    outcomes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def racer(n: int) -> None:
        try:
            email = f"racer{n}@example.com"
            if n % 2:
                door, client = "page", Client()
                barrier.wait()
                status = client.post(
                    webinar.get_registration_url(), form_data(email=email)
                ).status_code
            else:
                door, api = "api", Api(secret)
                barrier.wait()
                status = api.post(
                    f"/api/v1/webinars/{webinar.pk}/registrants/",
                    {"first_name": "Racer", "last_name": str(n), "email": email},
                ).status_code
            with lock:
                outcomes.append((door, status))
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    held = [o for o in outcomes if o in (("page", 303), ("api", 201))]
    full = [o for o in outcomes if o in (("page", 200), ("api", 409))]
    assert len(held) == SEATS_LEFT, outcomes
    assert len(full) == RACERS - SEATS_LEFT, outcomes
    assert SeatHold.objects.filter(registrant__webinar=webinar).count() == SEATS_LEFT
    assert seats_taken(webinar=webinar) == webinar.registration_limit
