"""Registrants, their payment and refunds; a registration and a refund asked."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import CURRENCY_CHOICES, MAXIMUM_AMOUNT, Payment, Refund
from registrations.models import Registrant
from registrations.refunds.organizer_actions import Action


class PaymentSerializer(serializers.ModelSerializer):
    checkout_url = serializers.SerializerMethodField()
    disputed = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "status",
            "amount",
            "currency",
            "amount_refunded",
            "application_fee",
            "stripe_fee",
            "stripe_fee_currency",
            "paid_at",
            "expires_at",
            "checkout_url",
            "disputed",
        ]

    def get_checkout_url(self, payment: Payment) -> str | None:
        """The hosted Checkout, only while it can still be paid."""
        if payment.status == Payment.Status.OPEN and payment.checkout_url:
            return payment.checkout_url
        return None

    def get_disputed(self, payment: Payment) -> bool:
        return payment.disputed_at is not None and payment.dispute_closed_at is None


class RefundSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="payment.currency")
    # Worded in the request's language; `reason_kind` is the stable code.
    reason = serializers.CharField(source="reason_text", read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "amount",
            "currency",
            "status",
            "reason_kind",
            "reason",
            "failure_reason",
            "external",
            "created_at",
        ]


class RegistrantSerializer(serializers.ModelSerializer):
    discount_code = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Registrant
        fields = [
            "id",
            "webinar",
            "session",
            "email",
            "first_name",
            "last_name",
            "status",
            "source",
            "amount",
            "currency",
            "discount_code",
            "language",
            "created_at",
            "confirmed_at",
            "cancelled_at",
        ]


class RegistrantDetailSerializer(RegistrantSerializer):
    payment = PaymentSerializer(read_only=True, allow_null=True)
    refunds = serializers.SerializerMethodField()
    answers = serializers.DictField(child=serializers.JSONField(), read_only=True)

    class Meta(RegistrantSerializer.Meta):
        fields = [*RegistrantSerializer.Meta.fields, "answers", "payment", "refunds"]

    @extend_schema_field(RefundSerializer(many=True))
    def get_refunds(self, registrant: Registrant) -> list[dict[str, Any]]:
        if registrant.payment is None:
            return []
        refunds = registrant.payment.refunds.select_related("payment").order_by("pk")
        return RefundSerializer(refunds, many=True).data


class RegistrationRequestSerializer(serializers.Serializer):
    """A registration, with the same fields and rules as the registration page."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    discount_code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    session = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="For a series with individual sessions: the session chosen.",
    )
    sessions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text=(
            "For a series with individual sessions: several sessions, registered "
            "and paid in one checkout (one registrant per session; the response "
            "shows the first). With `session`, both are taken."
        ),
    )
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Answers keyed by question id: text, or true for a disclaimer.",
    )
    language = serializers.ChoiceField(
        choices=["en", "fr"],
        required=False,
        help_text="The registrant's language for emails (default: Accept-Language).",
    )


class RegistrationSerializer(serializers.Serializer):
    registrant = RegistrantDetailSerializer()
    checkout_url = serializers.URLField(
        allow_null=True,
        help_text="Where the registrant pays (paid registrations); null when free.",
    )
    hold_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Until when the seat is held for payment; null when free.",
    )
    registrants = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of the registrants made: one per session chosen.",
    )


class RefundRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.choices)
    amount = serializers.IntegerField(
        min_value=1,
        max_value=MAXIMUM_AMOUNT,
        required=False,
        allow_null=True,
        default=None,
        help_text="Minor units; for cancel_partial and refund_partial.",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class RefundResultSerializer(serializers.Serializer):
    registrant = RegistrantDetailSerializer()
    refund = RefundSerializer(allow_null=True)


class CurrencyTotalsSerializer(serializers.Serializer):
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    payments = serializers.IntegerField()
    gross = serializers.IntegerField()
    refunded = serializers.IntegerField()
    stripe_fees = serializers.IntegerField()
    application_fees = serializers.IntegerField()
    net = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    registrants = serializers.DictField(
        child=serializers.IntegerField(), help_text="Registrants per status."
    )
    totals = CurrencyTotalsSerializer(
        many=True, help_text="Money per settlement currency, in its minor units."
    )
