"""The objects the bad-input test fills URLs from: the demo seed plus a few more.

One of each thing a URL can name: a priced webinar with a session, tier, code,
co-organizer and question; a paid registrant with a refund request, a watch
grant and an email; a recording attached to the webinar; a pending invitation;
a Checkout Session on the mounted Stripe sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.test import Client

from api.models import WebhookDelivery, WebhookEndpoint
from organizers.models import Account, Organizer
from organizers.services import invitation_url
from payments.models import DiscountCode, Price, PriceTier, StripeConnection
from payments.price_changes import record_change
from recordings.models import PostSessionVideo, Recording, WatchGrant
from recordings.sales import set_replay_price
from recordings.tokens import sign_media
from registrations.emails.context import unsubscribe_token
from registrations.models import RefundRequest, Registrant, WaitlistEntry
from stripe_sandbox.objects import DEMO_ACCOUNT
from tests import factories
from tests.registrations.refund_support import pay_registrant
from tests.sandbox_fixtures import SANDBOX_KEY, SandboxHandle
from webinars import demo
from webinars.models import Session, Webinar, WebinarMember
from webinars.services import add_question


@dataclass
class World:
    account: Account
    admin: Organizer
    organizer: Organizer
    superuser: Any
    webinar: Webinar
    session: Session
    member: WebinarMember
    question_id: str
    tier: PriceTier
    code: DiscountCode
    registrant: Registrant
    refund_request: RefundRequest
    recording: Recording
    video: PostSessionVideo
    grant: WatchGrant
    connection: StripeConnection
    unsubscribe_token: str
    media_token: str
    invite_uid: str
    invite_token: str
    outbox_name: str
    checkout_session_id: str
    content_type_id: int
    endpoint: WebhookEndpoint
    delivery: WebhookDelivery
    waitlist_entry: WaitlistEntry


def sandbox_checkout_session(client: Client) -> str:
    """Open a Checkout Session on the sandbox mounted at /_stripe/."""
    body = urlencode(
        {
            "mode": "payment",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "5000",
            "line_items[0][price_data][product_data][name]": "Webinar",
            "line_items[0][quantity]": "1",
            "success_url": "http://testserver/paid/",
            "cancel_url": "http://testserver/cancelled/",
        }
    )
    answer = client.post(
        "/_stripe/v1/checkout/sessions",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {SANDBOX_KEY}",
    )
    assert answer.status_code == 200, answer.content
    return json.loads(answer.content)["id"]


def build_world(*, sandbox: SandboxHandle, settings: Any) -> World:
    """Seed the demo and add one of everything else a URL can name."""
    account = demo.seed_demo()
    admin = Organizer.objects.get(account=account, user__email="admin@example.com")
    organizer = Organizer.objects.get(
        account=account, user__email="organizer@example.com"
    )
    superuser = get_user_model().objects.create_superuser(
        "root@example.com", "root@example.com", "root-pass-1"
    )
    webinar = Webinar.objects.get(account=account, title=demo_title())
    session = webinar.sessions.order_by("starts_at").first()
    member = factories.WebinarMemberFactory(webinar=webinar)
    add_question(webinar=webinar, label="Company", kind="text", required=False)
    webinar.refresh_from_db()
    question_id = webinar.questions[-1]["id"]
    tier = PriceTier.objects.filter(price__webinar=webinar).first()
    code = DiscountCode.objects.filter(webinar=webinar).order_by("pk").first()
    registrant = pay_registrant(
        sandbox=sandbox,
        webinar=webinar,
        account=DEMO_ACCOUNT,
        amount=10000,
        currency="USD",
    )
    refund_request = RefundRequest.objects.create(
        registrant=registrant, message="Please"
    )
    recording = Recording.objects.filter(account=account).order_by("pk").first()
    video = PostSessionVideo.objects.create(
        webinar=webinar, session=session, recording=recording, attached_by=organizer
    )
    grant = WatchGrant.objects.create(registrant=registrant, recording=recording)
    invited = factories.OrganizerFactory(account=account)
    invited.user.set_unusable_password()
    invited.user.save()
    invite_path = urlsplit(invitation_url(organizer=invited, site_url="")).path
    _, _, uid, token, _ = invite_path.rsplit("/", 4)
    # A price history line with no author, as Stripe's deauthorization writes.
    record_change(Price.objects.get(webinar=webinar), None, "payments_off")
    Group.objects.create(name="Support")
    set_replay_price(webinar=webinar, amount=1500)
    EmailMessage("Hello", "Body", to=["someone@example.com"]).send()
    # One row for each django-axes admin (their change pages need an id).
    seen = {"ip_address": "127.0.0.1", "user_agent": "ua", "path_info": "/login/"}
    seen |= {"username": "x@example.com", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **seen, get_data="", post_data="", failures_since_start=1
    )
    AccessFailureLog.objects.create(**seen, locked_out=False)
    endpoint = WebhookEndpoint.objects.create(
        account=account, creator=admin, url="https://example.com/hook"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="evt_1", event_type="registrant.created", payload={}
    )
    outbox = sorted(settings.EMAIL_FILE_PATH.glob("*.eml"))
    return World(
        account=account,
        admin=admin,
        organizer=organizer,
        superuser=superuser,
        webinar=webinar,
        session=session,
        member=member,
        question_id=question_id,
        tier=tier,
        code=code,
        registrant=registrant,
        refund_request=refund_request,
        recording=recording,
        video=video,
        grant=grant,
        connection=StripeConnection.objects.get(account=account),
        unsubscribe_token=unsubscribe_token(registrant),
        media_token=sign_media(grant=grant, device_id="device-1"),
        invite_uid=uid,
        invite_token=token,
        outbox_name=outbox[0].stem,
        checkout_session_id=sandbox_checkout_session(Client()),
        content_type_id=ContentType.objects.get_for_model(Webinar).pk,
        endpoint=endpoint,
        delivery=delivery,
        waitlist_entry=WaitlistEntry.objects.create(
            webinar=webinar, email="waiting@example.com", first_name="W", last_name="L"
        ),
    )


def demo_title() -> str:
    return "Project management for beginners"
