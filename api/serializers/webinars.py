"""Webinars, sessions, prices and discount codes as the API shows them."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import CURRENCY_CHOICES, DiscountCode, Price, PriceTier
from payments.pricing import DEFAULT_CURRENCY, quote
from registrations.capacity import seats_taken
from webinars.models import Session, Webinar


class QuestionSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["text", "disclaimer"])
    required = serializers.BooleanField()


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "starts_at", "ends_at", "broadcast_url", "cancelled_at"]


class WebinarSerializer(serializers.ModelSerializer):
    questions = serializers.SerializerMethodField()
    sessions = SessionSerializer(many=True, read_only=True)
    registration_url = serializers.SerializerMethodField()
    seats_taken = serializers.SerializerMethodField()

    class Meta:
        model = Webinar
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "timezone",
            "registration_type",
            "registration_limit",
            "seats_taken",
            "approval",
            "questions",
            "sessions",
            "registration_url",
            "created_at",
            "cancelled_at",
        ]

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, webinar: Webinar) -> list[dict[str, Any]]:
        questions = [q for q in webinar.questions or [] if isinstance(q, dict)]
        return [
            {
                "id": str(q.get("id", "")),
                "label": str(q.get("label", "")),
                "kind": "disclaimer" if q.get("kind") == "disclaimer" else "text",
                "required": bool(q.get("required")),
            }
            for q in questions
            if q.get("id")
        ]

    def get_registration_url(self, webinar: Webinar) -> str:
        request = self.context.get("request")
        if request is None:
            # An outbound webhook has no request: the site's configured address.
            return settings.SITE_URL + webinar.get_registration_url()
        return request.build_absolute_uri(webinar.get_registration_url())

    def get_seats_taken(self, webinar: Webinar) -> int:
        """Seats held in the whole webinar (all sessions of a series)."""
        return seats_taken(webinar=webinar)


class PriceTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceTier
        fields = ["amount", "ends_at"]


class CurrentPriceSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units (cents).")
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    paid = serializers.BooleanField()
    tier_ends_at = serializers.DateTimeField(allow_null=True)


class PriceSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    amount = serializers.IntegerField(help_text="Regular price, in minor units.")
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    tiers = PriceTierSerializer(many=True)
    current = CurrentPriceSerializer()

    @staticmethod
    def for_webinar(webinar: Webinar) -> dict[str, Any]:
        price = Price.objects.filter(webinar=webinar).first()
        now_quote = quote(webinar=webinar)
        return {
            "enabled": bool(price and price.enabled),
            "amount": price.amount if price else 0,
            "currency": price.currency if price else DEFAULT_CURRENCY,
            "tiers": list(price.tiers.order_by("ends_at")) if price else [],
            "current": {
                "amount": now_quote.amount,
                "currency": now_quote.currency,
                "paid": now_quote.paid,
                "tier_ends_at": now_quote.tier_ends_at,
            },
        }


class DiscountCodeSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(
        min_value=0,
        max_value=99_999_999,
        help_text="Price with the code, in minor units (0 = free).",
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=1_000_000, allow_null=True, required=False
    )
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,40}$", max_length=40)

    class Meta:
        model = DiscountCode
        fields = [
            "id",
            "code",
            "amount",
            "max_uses",
            "uses",
            "valid_from",
            "valid_until",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "uses", "created_at"]
        extra_kwargs = {"active": {"default": True}}
