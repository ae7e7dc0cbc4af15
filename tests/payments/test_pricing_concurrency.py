import threading

import pytest
from django.db import connection, transaction

from payments.models import DiscountCode
from payments.pricing import PricingError, reserve_code_use
from tests.factories import DiscountCodeFactory, WebinarFactory


@pytest.mark.postgres
def test_two_racers_for_the_last_use_of_a_code_exactly_one_wins(transactional_db):
    code = DiscountCodeFactory(webinar=WebinarFactory(), max_uses=3, uses=2)
    barrier = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        try:
            racer_code = DiscountCode.objects.get(pk=code.pk)
            barrier.wait(timeout=10)
            with transaction.atomic():
                reserve_code_use(code=racer_code)
                # Keep the row locked a little so the other racer must wait.
                connection.cursor().execute("SELECT pg_sleep(0.2)")
            outcome = "won"
        except PricingError:
            outcome = "lost"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["lost", "won"]
    code.refresh_from_db()
    assert code.uses == 3
