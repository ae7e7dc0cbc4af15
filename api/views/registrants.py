"""Registrants: list, detail, register (the page's service), approve, deny, refund."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import NewestFirst
from api.registration_form import checked_registration
from api.serializers.registrants import (
    RefundRequestSerializer,
    RefundResultSerializer,
    RegistrantDetailSerializer,
    RegistrantSerializer,
    RegistrationRequestSerializer,
    RegistrationSerializer,
)
from api.views.base import ApiView
from registrations.approval import approve_registrant, deny_registrant
from registrations.models import Registrant
from registrations.refunds.ledger import new_refund_token
from registrations.refunds.organizer_actions import perform_action
from registrations.registration import start_registration
from registrations.series import start_series_registration


class RegistrantFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=Registrant.Status.choices, required=False)
    email = serializers.CharField(
        max_length=254, required=False, help_text="Part of the email, any case."
    )
    session = serializers.IntegerField(min_value=1, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


def _detail(registrant_id: int) -> Registrant:
    return Registrant.objects.select_related("payment", "discount_code").get(
        pk=registrant_id
    )


class RegistrantList(ListModelMixin, ApiView):
    serializer_class = RegistrantSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Registrant]:
        query = RegistrantFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        registrants = Registrant.objects.filter(webinar=self.webinar()).select_related(
            "discount_code"
        )
        if "status" in wanted:
            registrants = registrants.filter(status=wanted["status"])
        if wanted.get("email", "").strip():
            registrants = registrants.filter(email__icontains=wanted["email"].strip())
        if "session" in wanted:
            registrants = registrants.filter(session_id=wanted["session"])
        if "created_after" in wanted:
            registrants = registrants.filter(created_at__gte=wanted["created_after"])
        if "created_before" in wanted:
            registrants = registrants.filter(created_at__lt=wanted["created_before"])
        return registrants

    @extend_schema(
        operation_id="webinars_registrants_list",
        tags=["registrants"],
        parameters=[RegistrantFilter],
    )
    def get(self, request: Request, webinar_id: int) -> Response:
        """List registrants, newest first, with filters and cursor pagination."""
        return self.list(request)

    @extend_schema(
        operation_id="webinars_registrants_create",
        tags=["registrants"],
        request=RegistrationRequestSerializer,
        responses={201: RegistrationSerializer},
    )
    def post(self, request: Request, webinar_id: int) -> Response:
        """Register someone: the registration page's service and rules.

        Free: confirmed (or awaiting approval) at once. Paid: the seat is held
        and `checkout_url` is the hosted Checkout where the registrant pays,
        before `hold_expires_at`.
        """
        webinar = self.webinar()
        asked = RegistrationRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        checked = checked_registration(webinar=webinar, data=asked.validated_data)
        person = {
            "webinar": webinar,
            "first_name": checked["first_name"],
            "last_name": checked["last_name"],
            "email": checked["email"],
            "answers": checked["answers"],
            "code": checked["code"],
            "language": asked.validated_data.get("language")
            or translation.get_language()
            or "en",
            "base_url": request.build_absolute_uri("/"),
        }
        if checked["sessions"]:
            registration = start_series_registration(
                **person, sessions=checked["sessions"]
            )
        else:
            registration = start_registration(**person)
        registrant = _detail(registration.registrant.pk)
        payment = registrant.payment
        body = {
            "registrant": registrant,
            "checkout_url": registration.checkout_url,
            "hold_expires_at": payment.expires_at
            if registration.checkout_url and payment
            else None,
            "registrants": [row.pk for row in registration.registrants],
        }
        return Response(
            RegistrationSerializer(body, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class RegistrantMixin:
    def registrant(self) -> Registrant:
        webinar = self.webinar()
        return get_object_or_404(
            Registrant.objects.select_related("payment", "discount_code"),
            pk=self.kwargs["registrant_id"],
            webinar=webinar,
        )


class RegistrantDetail(RegistrantMixin, ApiView):
    serializer_class = RegistrantDetailSerializer

    @extend_schema(operation_id="webinars_registrants_retrieve", tags=["registrants"])
    def get(self, request: Request, webinar_id: int, registrant_id: int) -> Response:
        """One registrant: status, answers, payment and refunds."""
        return Response(self.get_serializer(self.registrant()).data)


class ApproveRegistrant(RegistrantMixin, ApiView):
    serializer_class = RegistrantDetailSerializer

    @extend_schema(
        operation_id="webinars_registrants_approve",
        tags=["registrants"],
        request=None,
        responses={200: RegistrantDetailSerializer},
    )
    def post(self, request: Request, webinar_id: int, registrant_id: int) -> Response:
        """Approve a registrant awaiting approval (they get their confirmation)."""
        approved = approve_registrant(registrant=self.registrant())
        return Response(self.get_serializer(_detail(approved.pk)).data)


class DenyRegistrant(RegistrantMixin, ApiView):
    serializer_class = RegistrantDetailSerializer

    @extend_schema(
        operation_id="webinars_registrants_deny",
        tags=["registrants"],
        request=None,
        responses={200: RegistrantDetailSerializer},
    )
    def post(self, request: Request, webinar_id: int, registrant_id: int) -> Response:
        """Deny a registrant awaiting approval; what they paid is refunded in full."""
        denied = deny_registrant(registrant=self.registrant(), by=request.user)
        return Response(self.get_serializer(_detail(denied.pk)).data)


class RefundRegistrant(RegistrantMixin, ApiView):
    serializer_class = RefundResultSerializer

    @extend_schema(
        operation_id="webinars_registrants_refunds_create",
        tags=["registrants"],
        request=RefundRequestSerializer,
        responses={201: RefundResultSerializer, 200: RefundResultSerializer},
    )
    def post(self, request: Request, webinar_id: int, registrant_id: int) -> Response:
        """Cancel and/or refund, in full or in part, under the console's rules.

        201 with the refund (status `requested` until Stripe answers); 200 and
        a null refund for `cancel_only`.
        """
        registrant = self.registrant()
        asked = RefundRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        refund = perform_action(
            registrant=registrant,
            action=data["action"],
            amount=data["amount"],
            # One form submission in the console; one request here (a retry
            # with the same Idempotency-Key never reaches this line).
            token=new_refund_token(),
            requested_by=request.user,
            reason=data["reason"],
        )
        body = {"registrant": _detail(registrant.pk), "refund": refund}
        return Response(
            self.get_serializer(body).data,
            status=status.HTTP_201_CREATED if refund else status.HTTP_200_OK,
        )
