"""Webinars, their sessions, price and discount codes."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import NewestFirst
from api.serializers.webinars import (
    DiscountCodeSerializer,
    PriceSerializer,
    SessionSerializer,
    WebinarSerializer,
)
from api.views.base import ApiView
from payments import codes
from payments.models import DiscountCode
from webinars.models import Webinar
from webinars.permissions import managed_webinar


class WebinarList(ListModelMixin, ApiView):
    serializer_class = WebinarSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return Webinar.objects.visible_to(self.request.organizer).prefetch_related(
            "sessions"
        )

    @extend_schema(operation_id="webinars_list", tags=["webinars"])
    def get(self, request: Request) -> Response:
        """List the webinars the token's organizer manages, newest first."""
        return self.list(request)


class WebinarDetail(ApiView):
    serializer_class = WebinarSerializer

    @extend_schema(operation_id="webinars_retrieve", tags=["webinars"])
    def get(self, request: Request, webinar_id: int) -> Response:
        """One webinar: kind, schedule, limit, approval, questions, sessions."""
        return Response(self.get_serializer(self.webinar()).data)


class SessionList(ApiView):
    serializer_class = SessionSerializer

    @extend_schema(
        operation_id="webinars_sessions_list",
        tags=["webinars"],
        responses=SessionSerializer(many=True),
    )
    def get(self, request: Request, webinar_id: int) -> Response:
        """The webinar's sessions, in time order (cancelled ones included)."""
        sessions = self.webinar().sessions.order_by("starts_at", "pk")
        return Response(self.get_serializer(sessions, many=True).data)


class PriceDetail(ApiView):
    serializer_class = PriceSerializer

    @extend_schema(operation_id="webinars_price_retrieve", tags=["prices"])
    def get(self, request: Request, webinar_id: int) -> Response:
        """The regular price, early-bird tiers and what a registration costs now."""
        data = PriceSerializer.for_webinar(self.webinar())
        return Response(PriceSerializer(data).data)


class DiscountCodeList(ApiView):
    serializer_class = DiscountCodeSerializer

    @extend_schema(
        operation_id="webinars_discount_codes_list",
        tags=["prices"],
        responses=DiscountCodeSerializer(many=True),
    )
    def get(self, request: Request, webinar_id: int) -> Response:
        """The webinar's discount codes, with their uses."""
        found = DiscountCode.objects.filter(webinar=self.webinar()).order_by("code")
        return Response(self.get_serializer(found, many=True).data)

    @extend_schema(
        operation_id="webinars_discount_codes_create",
        tags=["prices"],
        responses={201: DiscountCodeSerializer},
    )
    def post(self, request: Request, webinar_id: int) -> Response:
        """Create a discount code (the same rules as the console's)."""
        webinar = managed_webinar(request, webinar_id)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = codes.create_code(
            webinar=webinar,
            code=data["code"],
            amount=data["amount"],
            max_uses=data.get("max_uses"),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            active=data.get("active", True),
            user=request.user,
        )
        return Response(
            self.get_serializer(created).data, status=status.HTTP_201_CREATED
        )
