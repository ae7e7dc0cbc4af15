"""The console's registrant list: roles, filters, approval, resend, devices, CSV."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import Refund
from registrations.models import EmailLog, JoinDevice, RefundRequest, Registrant
from tests import factories
from tests.factories import open_personal_link
from tests.registrations.checkout_support import (
    make_paid_webinar,
    register,
    send_refunds,
    session_id_of,
    success_path,
)

pytestmark = pytest.mark.django_db


def make(webinar, n, **kwargs):
    defaults = {
        "webinar": webinar,
        "email": f"person{n}@example.com",
        "first_name": "Per",
        "last_name": f"Son{n}",
        "status": Registrant.Status.CONFIRMED,
        "source": Registrant.Source.FREE,
    }
    defaults.update(kwargs)
    return Registrant.objects.create(**defaults)


def url(webinar, suffix="registrants/"):
    return f"/console/webinars/{webinar.pk}/{suffix}"


def test_list_shows_registrants_with_status_amount_and_code(login, organizer, webinar):
    code = factories.DiscountCodeFactory(webinar=webinar, code="EARLY")
    make(webinar, 1, amount=2500, currency="EUR", discount_code=code)
    make(webinar, 2, status=Registrant.Status.AWAITING)

    response = login(organizer).get(url(webinar))

    assert response.status_code == 200
    text = response.text
    assert "person1@example.com" in text and "person2@example.com" in text
    assert "€25.00" in text and "EARLY" in text
    assert "Approve" in text and "Deny and refund" in text


def test_filters_by_status_and_searches_by_email(login, organizer, webinar):
    make(webinar, 1)
    make(webinar, 2, status=Registrant.Status.AWAITING)
    make(webinar, 3, email="special@corp.example")
    client = login(organizer)

    awaiting = client.get(url(webinar) + "?status=awaiting_approval").text
    assert "person2@" in awaiting and "person1@" not in awaiting
    found = client.get(url(webinar) + "?q=CORP").text
    assert "special@corp.example" in found and "person1@" not in found
    bad = client.get(url(webinar) + "?status=nonsense&page=abc")
    assert bad.status_code == 200


def test_list_is_paginated(login, organizer, webinar):
    for n in range(55):
        make(webinar, n)
    client = login(organizer)

    first = client.get(url(webinar))
    second = client.get(url(webinar) + "?page=2")

    assert "Page 1 of 2" in first.text
    assert second.text.count("@example.com</span>") == 5


def test_list_query_count_does_not_grow_with_registrants(
    login, organizer, webinar, django_assert_max_num_queries
):
    client = login(organizer)
    code = factories.DiscountCodeFactory(webinar=webinar, code="X")
    for n in range(30):
        make(webinar, n, discount_code=code, session=webinar.sessions.get())
    with django_assert_max_num_queries(10):
        assert client.get(url(webinar)).status_code == 200


def test_other_tenants_get_a_404(client, webinar):
    stranger = factories.OrganizerFactory()
    registrant = make(webinar, 1, status=Registrant.Status.AWAITING)
    client.force_login(stranger.user)

    assert client.get(url(webinar)).status_code == 404
    assert client.get(url(webinar, "registrants.csv")).status_code == 404
    answer = client.post(url(webinar, f"registrants/{registrant.pk}/approve/"))
    assert answer.status_code == 404
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.AWAITING


def test_organizer_who_does_not_manage_the_webinar_gets_a_404(login, account, webinar):
    colleague = factories.OrganizerFactory(account=account, role="organizer")
    assert login(colleague).get(url(webinar)).status_code == 404


def test_anonymous_is_sent_to_login(client, webinar):
    assert client.get(url(webinar)).status_code == 302


def test_unknown_action_or_registrant_is_a_404(login, organizer, webinar):
    registrant = make(webinar, 1)
    client = login(organizer)
    assert (
        client.post(url(webinar, f"registrants/{registrant.pk}/explode/")).status_code
        == 404
    )
    assert client.post(url(webinar, "registrants/999999/approve/")).status_code == 404
    assert (
        client.get(url(webinar, f"registrants/{registrant.pk}/approve/")).status_code
        == 405
    )


def test_approve_confirms_and_sends_the_approved_email(login, organizer, webinar):
    registrant = make(webinar, 1, status=Registrant.Status.AWAITING)

    login(organizer).post(url(webinar, f"registrants/{registrant.pk}/approve/"))

    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.CONFIRMED
    assert registrant.confirmed_at is not None
    assert list(registrant.emails.values_list("kind", flat=True)) == ["approved"]


def test_approving_twice_sends_one_email(login, organizer, webinar):
    registrant = make(webinar, 1, status=Registrant.Status.AWAITING)
    client = login(organizer)
    for _ in range(2):
        client.post(url(webinar, f"registrants/{registrant.pk}/approve/"))
    assert registrant.emails.count() == 1


def test_approving_a_confirmed_or_denied_registrant_is_refused(
    login, organizer, webinar
):
    registrant = make(webinar, 1, status=Registrant.Status.DENIED)
    response = login(organizer).post(
        url(webinar, f"registrants/{registrant.pk}/approve/"), follow=True
    )
    assert "Only registrants awaiting approval" in response.text
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.DENIED


def test_deny_refunds_the_payment_in_full_and_tells_the_registrant(
    client,
    login,
    organizer,
    stripe_sandbox,
    django_capture_on_commit_callbacks,
):

    webinar = make_paid_webinar(
        owner=organizer, stripe_account=stripe_sandbox.demo_account, approval="manual"
    )
    session_id = session_id_of(register(Client(), webinar)["Location"])
    stripe_sandbox.pay(session_id)
    Client().get(success_path(webinar, session_id))
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.AWAITING

    deny = url(webinar, f"registrants/{registrant.pk}/deny/")
    # The first post only asks for a confirmation, with the consequence.
    asked = login(organizer).post(deny)
    assert asked.status_code == 200
    assert "refunded in full through Stripe: €50.00" in asked.text
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.AWAITING
    with django_capture_on_commit_callbacks(execute=True):
        login(organizer).post(deny, {"confirmed": "1"})
    send_refunds(django_capture_on_commit_callbacks)

    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.DENIED
    refund = Refund.objects.get()
    assert refund.amount == 5000
    assert refund.status == Refund.Status.SUCCEEDED
    assert stripe_sandbox.object(refund.stripe_refund_id)["amount"] == 5000
    assert "denied" in registrant.emails.values_list("kind", flat=True)
    join = reverse("registrations:join", args=[registrant.join_token])
    assert client.get(join).status_code == 403


def test_resend_confirmation_queues_a_new_copy(login, organizer, webinar):
    registrant = make(webinar, 1)
    client = login(organizer)

    client.post(url(webinar, f"registrants/{registrant.pk}/resend/"))
    client.post(url(webinar, f"registrants/{registrant.pk}/resend/"))

    assert (
        EmailLog.objects.filter(registrant=registrant, kind="confirmation").count() == 2
    )


def test_reset_devices_forgets_them(login, organizer, webinar):
    registrant = make(webinar, 1)
    for _ in range(3):
        open_personal_link(
            Client(), reverse("registrations:join", args=[registrant.join_token])
        )
    assert JoinDevice.objects.count() == 3

    response = login(organizer).post(
        url(webinar, f"registrants/{registrant.pk}/reset_devices/"), follow=True
    )

    assert not JoinDevice.objects.exists()
    assert "Devices reset: 3 devices forgotten." in response.text


def test_reset_devices_says_one_device_in_french(login, organizer, webinar):
    registrant = make(webinar, 1)
    open_personal_link(
        Client(), reverse("registrations:join", args=[registrant.join_token])
    )

    response = login(organizer).post(
        url(webinar, f"registrants/{registrant.pk}/reset_devices/"),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert "Appareils réinitialisés\u00a0: 1 appareil oublié." in response.text


@pytest.mark.parametrize(
    ("code", "viewer", "shown"),
    [
        ("fr", "en", "French"),
        ("fr", "fr", "Français"),
        ("en", "fr", "Anglais"),
        ("xx", "en", "XX"),
    ],
)
def test_detail_names_the_registrants_language(
    login, organizer, webinar, code, viewer, shown
):
    registrant = make(webinar, 1, language=code)

    page = login(organizer).get(
        url(webinar, f"registrants/{registrant.pk}/"), HTTP_ACCEPT_LANGUAGE=viewer
    )

    assert f"</dt><dd>{shown}</dd>" in page.text


def test_csv_export_is_streamed_and_filtered(login, organizer, webinar):
    make(webinar, 1, amount=2500, currency="EUR")
    make(webinar, 2, status=Registrant.Status.AWAITING)
    make(webinar, 3, first_name="=HYPERLINK(1)")

    response = login(organizer).get(url(webinar, "registrants.csv"))

    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "email", "first_name"]
    assert len(rows) == 4
    assert any(row[2] == "'=HYPERLINK(1)" for row in rows)
    awaiting = login(organizer).get(
        url(webinar, "registrants.csv") + "?status=awaiting_approval"
    )
    body = b"".join(awaiting.streaming_content).decode()
    assert body.count("\n") == 2


def test_webinar_page_links_to_the_list_with_counts(login, organizer, webinar):
    make(webinar, 1)
    make(webinar, 2, status=Registrant.Status.AWAITING)

    response = login(organizer).get(webinar.get_absolute_url())

    assert url(webinar) in response.text
    assert "2 of 100 seats taken." in response.text
    assert "1 registrant awaits your approval." in response.text


def test_registrant_actions_are_kept_apart(client, login, organizer, webinar):
    factories.RegistrantFactory(webinar=webinar)
    url = reverse("registrations:registrants", args=[webinar.pk])

    page = login(organizer).get(url).text

    assert '<td class="actions" data-label="Actions">' in page


def test_an_abandoned_checkout_paid_nothing_and_is_not_called_free(
    login, organizer, webinar
):
    from payments.models import Payment

    make(webinar, 1)  # a free registrant
    payment = Payment.objects.create(
        account=webinar.account,
        webinar=webinar,
        stripe_account_id="acct_1TesseraDemo0001",
        checkout_session_id="cs_test_abandoned",
        amount=2900,
        currency="eur",
        status=Payment.Status.EXPIRED,
    )
    make(
        webinar,
        2,
        status=Registrant.Status.EXPIRED,
        source=Registrant.Source.PAID,
        amount=2900,
        currency="eur",
        payment=payment,
    )

    page = login(organizer).get(url(webinar)).content.decode()

    rows = [row for row in page.split("<tr") if "person" in row]
    (free,) = [row for row in rows if "person1@" in row]
    (abandoned,) = [row for row in rows if "person2@" in row]
    assert '<td data-label="Net paid">Free' in free
    assert '<td data-label="Net paid">—' in abandoned


def test_an_open_refund_request_shows_on_the_row_and_the_detail(
    login, organizer, webinar, django_assert_max_num_queries
):
    asking = make(webinar, 1, amount=2500, currency="EUR")
    make(webinar, 2, amount=2500, currency="EUR")
    answered = make(webinar, 3, amount=2500, currency="EUR")
    request = RefundRequest.objects.create(registrant=asking, message="<i>Ill</i>")
    RefundRequest.objects.create(
        registrant=answered, message="", outcome=RefundRequest.Outcome.DECLINED
    )
    client = login(organizer)
    answer_url = reverse(
        "registrations:answer_refund_request", args=[webinar.pk, request.pk]
    )

    with django_assert_max_num_queries(10):
        listed = client.get(url(webinar)).text
    # Each link names its registrant for a screen reader's list of links.
    assert listed.count(">Refund requested<span") == 1
    assert (
        f'href="{answer_url}">Refund requested'
        f'<span class="visually-hidden">: {asking.full_name}</span></a>'
    ) in listed
    requested = client.get(url(webinar) + "?refund=requested").text
    assert "person1@" in requested
    assert "person2@" not in requested and "person3@" not in requested

    detail = client.get(url(webinar, f"registrants/{asking.pk}/")).text
    assert 'id="open-refund-request"' in detail
    assert "&lt;i&gt;Ill&lt;/i&gt;" in detail and "<i>Ill</i>" not in detail
    assert f'href="{answer_url}"' in detail
    other = client.get(url(webinar, f"registrants/{answered.pk}/")).text
    assert 'id="open-refund-request"' not in other


def test_refund_request_filter_speaks_french(login, organizer, webinar):
    page = login(organizer).get(url(webinar), HTTP_ACCEPT_LANGUAGE="fr").text
    assert '<option value="requested">Remboursement demandé</option>' in page


def test_a_checkout_left_then_paid_is_one_person_in_the_list(login, organizer, webinar):
    make(webinar, 1, email="ada@example.com", status=Registrant.Status.EXPIRED)
    make(webinar, 2, email="ADA@example.com")
    make(webinar, 3, email="grace@example.com", status=Registrant.Status.EXPIRED)
    client = login(organizer)

    listed = client.get(url(webinar)).text
    # Ada paid after leaving a checkout: her registration only. Grace never
    # came back: her abandoned checkout stays, for the organizer to see.
    assert listed.count("Son1<") + listed.count("Son2<") == 1
    assert "Son2<" in listed and "Son3<" in listed
    assert 'id="abandoned-folded"' in listed
    every = client.get(url(webinar) + "?status=expired").text
    assert "Son1<" in every and "Son3<" in every
    assert 'id="abandoned-folded"' not in every
    exported = client.get(url(webinar, "registrants.csv"))
    body = b"".join(exported.streaming_content).decode()
    assert "person1@" not in body and "grace@example.com" in body


def test_the_folding_note_is_absent_when_nothing_is_folded(login, organizer, webinar):
    make(webinar, 1, email="ada@example.com")
    # Grace left a checkout and never came back: her row is listed, not folded.
    make(webinar, 2, email="grace@example.com", status=Registrant.Status.EXPIRED)
    client = login(organizer)

    listed = client.get(url(webinar)).text

    assert "Son2<" in listed
    assert 'id="abandoned-folded"' not in listed


def test_the_folding_note_follows_the_filters(login, organizer, webinar):
    make(webinar, 1, email="ada@example.com", status=Registrant.Status.EXPIRED)
    make(webinar, 2, email="ada@example.com")
    make(webinar, 3, email="grace@example.com")
    client = login(organizer)

    assert 'id="abandoned-folded"' in client.get(url(webinar) + "?q=ada").text
    grace = client.get(url(webinar) + "?q=grace").text
    assert "Son3<" in grace
    assert 'id="abandoned-folded"' not in grace
    french = client.get(url(webinar) + "?q=ada", HTTP_ACCEPT_LANGUAGE="fr").text
    assert 'id="abandoned-folded"' in french


def test_the_folding_note_costs_no_query(
    login, organizer, webinar, django_assert_num_queries
):
    client = login(organizer)
    for n in range(3):
        make(webinar, n, email=f"again{n}@example.com", status="expired")
        make(webinar, n + 10, email=f"again{n}@example.com")
    client.get(url(webinar))

    # The login (session, user, organizer), the webinar, the rows counted with
    # those folded away, the status counts, the page's rows.
    with django_assert_num_queries(7):
        listed = client.get(url(webinar)).text

    assert 'id="abandoned-folded"' in listed
    assert listed.count("@example.com</span>") == 3
