"""Issue 15: the registrant list's money, answers, bulk actions, CSVs, queries."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment, Refund
from registrations.emails.content import render_email
from registrations.models import EmailLog, Registrant
from tests import factories
from tests.seat_counters import recount_seat_counters

pytestmark = pytest.mark.django_db
QUESTIONS = [
    {"id": "q1", "label": "Company", "kind": "text", "required": False},
    {"id": "q2", "label": "I accept the rules", "kind": "disclaimer", "required": True},
]


def url(webinar, suffix="registrants/"):
    return f"/console/webinars/{webinar.pk}/{suffix}"


def paid(webinar, n, *, amount=10000, refunded=0, refunds=(), **fields):
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_test",
        checkout_session_id=f"cs_test_{webinar.pk}_{n}",
        amount=amount,
        currency="EUR",
        amount_refunded=refunded,
        status=Payment.Status.REFUNDED if refunded >= amount else Payment.Status.PAID,
        paid_at=timezone.now(),
    )
    for status, value in refunds:
        Refund.objects.create(
            payment=payment,
            amount=value,
            status=status,
            idempotency_key=f"test-{payment.pk}-{status}",
        )
    defaults = {
        "webinar": webinar,
        "email": f"buyer{n}@example.com",
        "first_name": "Bea",
        "last_name": f"Buyer{n}",
        "status": Registrant.Status.CONFIRMED,
        "source": Registrant.Source.PAID,
        "amount": amount,
        "currency": "EUR",
        "payment": payment,
    }
    defaults.update(fields)
    return Registrant.objects.create(**defaults)


def csv_of(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_list_shows_net_paid_and_refund_state(login, organizer, webinar):
    paid(webinar, 1, refunded=4000, refunds=[(Refund.Status.SUCCEEDED, 4000)])
    paid(webinar, 2, refunds=[(Refund.Status.PENDING, 10000)])
    paid(webinar, 3, refunds=[(Refund.Status.FAILED, 10000)])
    paid(webinar, 4, refunded=10000, refunds=[(Refund.Status.SUCCEEDED, 10000)])
    text = login(organizer).get(url(webinar)).text
    assert "€60.00" in text and "of €100.00" in text
    for state in ("Partly refunded", "Refund pending", "Refund failed", "Refunded"):
        assert state in text
    pending = login(organizer).get(url(webinar) + "?refund=pending").text
    assert "buyer2@example.com" in pending and "buyer1@example.com" not in pending
    failed = login(organizer).get(url(webinar) + "?refund=failed").text
    assert "buyer3@example.com" in failed and "buyer2@example.com" not in failed


def test_search_matches_names_too(login, organizer, webinar):
    paid(webinar, 1, last_name="Zimmermann")
    paid(webinar, 2)
    text = login(organizer).get(url(webinar) + "?q=zimmer").text
    assert "buyer1@example.com" in text and "buyer2@example.com" not in text


def test_every_csv_states_its_amount_convention(login, organizer, webinar):
    factories.PriceFactory(webinar=webinar, amount=10000, currency="EUR")
    factories.DiscountCodeFactory(webinar=webinar, code="HALF", amount=5000)
    paid(webinar, 1, refunded=2500, refunds=[(Refund.Status.SUCCEEDED, 2500)])
    client = login(organizer)
    (row,) = csv_of(client.get(url(webinar, "registrants.csv")))
    assert row["paid_major_units"] == "100.00"
    assert row["refunded_major_units"] == "25.00"
    assert row["net_major_units"] == "75.00"
    assert row["refund_state"] == "partial"
    report = client.get(reverse("registrations:report_csv", args=[webinar.pk]))
    (line,) = csv_of(report)
    assert line["amount_major_units"] == "100.00"
    codes = csv_of(client.get(reverse("payments:pricing_codes_csv", args=[webinar.pk])))
    assert codes[0]["price_major_units"] == "50.00"


def test_answers_and_disclaimer_in_detail_csv_and_notification(
    login, organizer, webinar
):
    webinar.questions = QUESTIONS
    webinar.save(update_fields=["questions"])
    registrant = paid(webinar, 1, answers={"q1": "Acme <b>", "q2": True})
    declined = paid(webinar, 2, answers={})
    client = login(organizer)
    detail = client.get(url(webinar, f"registrants/{registrant.pk}/"))
    assert detail.status_code == 200
    assert "Company" in detail.text and "Acme &lt;b&gt;" in detail.text
    assert "Accepted" in detail.text
    assert (
        "Not accepted" in client.get(url(webinar, f"registrants/{declined.pk}/")).text
    )
    rows = csv_of(client.get(url(webinar, "registrants.csv")))
    by_email = {row["email"]: row for row in rows}
    assert by_email["buyer1@example.com"]["answer: Company"] == "Acme <b>"
    assert by_email["buyer1@example.com"]["accepted: I accept the rules"] == "yes"
    assert by_email["buyer2@example.com"]["accepted: I accept the rules"] == "no"
    email = render_email(
        registrant=registrant, kind=EmailLog.Kind.NEW_PAID_REGISTRATION
    )
    assert "Company: Acme <b>" in email.text
    assert "I accept the rules: Accepted" in email.text
    assert "Acme &lt;b&gt;" in email.html


def test_detail_of_another_webinar_is_a_404(login, organizer, webinar):
    stranger = factories.OrganizerFactory()
    other = factories.WebinarFactory(owner=stranger, account=stranger.account)
    registrant = paid(other, 1)
    assert (
        login(organizer).get(url(webinar, f"registrants/{registrant.pk}/")).status_code
        == 404
    )
    assert (
        login(organizer).get(url(other, f"registrants/{registrant.pk}/")).status_code
        == 404
    )


def test_bulk_approve_resend_and_export(login, organizer, webinar):
    waiting = [paid(webinar, n, status=Registrant.Status.AWAITING) for n in range(1, 4)]
    confirmed = paid(webinar, 9)
    client = login(organizer)
    bulk = url(webinar, "registrants/selection/")
    exported = client.post(
        bulk, {"action": "export", "ids": [waiting[0].pk, confirmed.pk]}
    )
    assert {row["email"] for row in csv_of(exported)} == {
        "buyer1@example.com",
        "buyer9@example.com",
    }
    response = client.post(
        bulk, {"action": "approve", "ids": [waiting[0].pk, waiting[1].pk, confirmed.pk]}
    )
    assert response.status_code == 302
    statuses = dict(Registrant.objects.values_list("pk", "status"))
    assert statuses[waiting[0].pk] == statuses[waiting[1].pk] == "confirmed"
    assert statuses[waiting[2].pk] == "awaiting_approval"
    client.post(bulk, {"action": "resend", "ids": [confirmed.pk]})
    assert EmailLog.objects.filter(
        registrant=confirmed, kind=EmailLog.Kind.CONFIRMATION
    ).exists()


def test_bulk_actions_say_what_was_done_in_words(login, organizer, webinar):
    waiting = [paid(webinar, n, status=Registrant.Status.AWAITING) for n in range(1, 4)]
    confirmed = paid(webinar, 9)
    client = login(organizer)
    bulk = url(webinar, "registrants/selection/")

    approved = client.post(
        bulk,
        {"action": "approve", "ids": [waiting[0].pk, waiting[1].pk, confirmed.pk]},
        follow=True,
    )
    resent = client.post(bulk, {"action": "resend", "ids": [confirmed.pk]}, follow=True)
    nothing = client.post(
        bulk,
        {"action": "approve", "ids": [confirmed.pk, waiting[0].pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    french = client.post(
        bulk,
        {"action": "approve", "ids": [waiting[2].pk, confirmed.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert (
        "Approve: done for 2 registrants. 1 other was left as they were: the action"
        " does not apply to them."
    ) in approved.text
    assert "Resend confirmation: done for 1 registrant.<" in resent.text
    assert (
        "Approuver\u00a0: rien n’a été fait\u00a0; l’action ne s’applique à aucune"
        " des 2 inscriptions choisies."
    ) in nothing.text
    assert (
        "Approuver\u00a0: effectué pour 1 inscrit. 1 autre inscription"
        " reste inchangée\u00a0: l’action ne s’y applique pas."
    ) in french.text


def test_bulk_deny_asks_first_and_refuses_other_webinars(login, organizer, webinar):
    waiting = paid(webinar, 1, status=Registrant.Status.AWAITING)
    stranger = factories.OrganizerFactory()
    other = factories.WebinarFactory(owner=stranger, account=stranger.account)
    foreign = paid(other, 2, status=Registrant.Status.AWAITING)
    client = login(organizer)
    bulk = url(webinar, "registrants/selection/")
    asked = client.post(bulk, {"action": "deny", "ids": [waiting.pk]})
    assert asked.status_code == 200
    assert "refunded in full through Stripe: €100.00" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    waiting.refresh_from_db()
    assert waiting.status == Registrant.Status.AWAITING
    refused = client.post(
        bulk, {"action": "deny", "ids": [foreign.pk], "confirmed": "1"}, follow=True
    )
    assert "not on this webinar" in refused.text
    foreign.refresh_from_db()
    assert foreign.status == Registrant.Status.AWAITING
    nothing = client.post(bulk, {"action": "approve"}, follow=True)
    assert "Select at least one registrant." in nothing.text


def bulk_menu(html: str) -> str:
    start = html.index('<select name="action" id="bulk-action">')
    return html[start : html.index("</select>", start)]


def test_bulk_menu_starts_neutral_and_offers_approval_only_when_it_applies(
    login, organizer, webinar
):
    paid(webinar, 1)
    client = login(organizer)
    automatic = client.get(url(webinar)).text
    menu = bulk_menu(automatic)
    assert menu.index('<option value="" selected>Choose an action</option>') == (
        menu.index("<option")
    )
    assert 'value="approve"' not in menu and 'value="deny"' not in menu
    assert 'value="resend"' in menu and 'value="export"' in menu
    assert "Denying, cancelling and refunding ask" not in automatic
    assert "Cancelling and refunding ask for a confirmation first." in automatic

    webinar.approval = webinar.Approval.MANUAL
    webinar.save(update_fields=["approval"])
    manual = client.get(url(webinar)).text
    assert 'value="approve">Approve<' in bulk_menu(manual)
    assert 'value="deny">Deny and refund<' in bulk_menu(manual)
    assert "Denying, cancelling and refunding ask for a confirmation first." in manual

    # Switched back to automatic while someone still waits for an answer.
    webinar.approval = webinar.Approval.AUTOMATIC
    webinar.save(update_fields=["approval"])
    paid(webinar, 2, status=Registrant.Status.AWAITING)
    assert 'value="approve"' in bulk_menu(client.get(url(webinar)).text)

    french = client.get(url(webinar), HTTP_ACCEPT_LANGUAGE="fr").text
    assert '<option value="" selected>Choisissez une action</option>' in french


def test_bulk_without_an_action_or_with_one_that_does_not_apply_is_refused(
    login, organizer, webinar
):
    confirmed = paid(webinar, 1)
    client = login(organizer)
    bulk = url(webinar, "registrants/selection/")
    unchosen = client.post(bulk, {"action": "", "ids": [confirmed.pk]}, follow=True)
    assert "Choose an action." in unchosen.text
    missing = client.post(bulk, {"ids": [confirmed.pk]}, follow=True)
    assert "Choose an action." in missing.text
    # Approve is not offered on a webinar that approves by itself.
    refused = client.post(bulk, {"action": "approve", "ids": [confirmed.pk]})
    assert refused.status_code == 302
    assert "Select a valid choice" in client.get(url(webinar)).text
    assert not EmailLog.objects.filter(registrant=confirmed).exists()
    confirmed.refresh_from_db()
    assert confirmed.status == Registrant.Status.CONFIRMED


def test_registrant_list_query_count_is_pinned_with_1000_registrants(
    login, organizer, webinar
):
    """The list page costs 8 queries whether it has 10 or 1,000 registrants."""
    client = login(organizer)

    def fill(start, stop):
        payments = Payment.objects.bulk_create(
            Payment(
                account=webinar.account,
                webinar=webinar,
                stripe_account_id="acct_test",
                checkout_session_id=f"cs_q_{n}",
                amount=10000,
                currency="EUR",
                status=Payment.Status.PAID,
                paid_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
            for n in range(start, stop)
        )
        Refund.objects.bulk_create(
            Refund(
                payment=p,
                amount=100,
                status=Refund.Status.SUCCEEDED,
                idempotency_key=f"test-{p.checkout_session_id}",
            )
            for p in payments[::3]
        )
        Registrant.objects.bulk_create(
            Registrant(
                webinar=webinar,
                email=f"r{n}@example.com",
                first_name="R",
                last_name=str(n),
                status=Registrant.Status.CONFIRMED,
                source=Registrant.Source.PAID,
                amount=10000,
                currency="EUR",
                payment=payment,
                join_token=f"join-{n}",
                cancel_token=f"cancel-{n}",
            )
            for n, payment in zip(range(start, stop), payments, strict=True)
        )
        recount_seat_counters()

    def count() -> int:
        client.get(url(webinar))  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(webinar)).status_code == 200
        return len(queries)

    fill(0, 10)
    small = count()
    fill(10, 1000)
    assert Registrant.objects.filter(webinar=webinar).count() == 1000
    assert count() == small == LIST_QUERIES
    # The bulk menu's approval actions cost no query of their own.
    webinar.approval = webinar.Approval.MANUAL
    webinar.save(update_fields=["approval"])
    Registrant.objects.filter(pk__in=Registrant.objects.all()[:5].values("pk")).update(
        status=Registrant.Status.AWAITING
    )
    assert count() == LIST_QUERIES


LIST_QUERIES = 8


def test_empty_list_says_no_registrants_yet_unless_a_filter_is_set(
    login, organizer, webinar
):
    client = login(organizer)

    assert "No registrants yet." in client.get(url(webinar)).text
    french = client.get(url(webinar), HTTP_ACCEPT_LANGUAGE="fr").text
    assert "Aucun inscrit pour l’instant." in french
    filtered = client.get(url(webinar) + "?q=nobody").text
    assert "No registrant matches." in filtered
    assert "No registrants yet." not in filtered


def test_a_button_drawn_as_a_link_lines_up_as_the_links_do():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    rule = css[css.index("button.link {") :]
    assert "text-align:start;" in rule[: rule.index("}")]
