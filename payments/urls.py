from django.urls import path

from payments.views import (
    code_check,
    codes,
    connect,
    onboarding,
    preview,
    pricing,
    restore,
    webhooks,
)

app_name = "payments"

STRIPE = "console/stripe/"
# Prices, tiers and discount codes of one webinar (issue 5).
WEBINAR = "console/webinars/<int:pk>/payments/"
CODE = WEBINAR + "codes/<int:code_pk>/"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="webhook"),
    path(STRIPE, connect.stripe_settings, name="stripe_settings"),
    path(STRIPE + "connect/", connect.connect_start, name="stripe_connect"),
    path(STRIPE + "callback/", connect.connect_callback, name="stripe_callback"),
    path(STRIPE + "create/", onboarding.create_account, name="stripe_create"),
    path(
        STRIPE + "<int:pk>/onboarding/",
        onboarding.resume_onboarding,
        name="stripe_onboarding",
    ),
    path(
        STRIPE + "<int:pk>/onboarded/",
        onboarding.onboarding_return,
        name="stripe_onboarded",
    ),
    path(STRIPE + "<int:pk>/disconnect/", connect.disconnect, name="stripe_disconnect"),
    path(STRIPE + "<int:pk>/refresh/", connect.refresh, name="stripe_refresh"),
    path(STRIPE + "restore/", restore.restore, name="stripe_restore"),
    path(WEBINAR, pricing.payment_section, name="pricing"),
    path(WEBINAR + "switch/", pricing.switch_payments, name="pricing_switch"),
    path(WEBINAR + "price/", pricing.set_price, name="pricing_price"),
    path(WEBINAR + "tiers/", pricing.add_tier, name="pricing_tier_add"),
    path(
        WEBINAR + "tiers/<int:tier_pk>/remove/",
        pricing.remove_tier,
        name="pricing_tier_remove",
    ),
    path(WEBINAR + "codes/", codes.create_code, name="pricing_code_add"),
    path(
        WEBINAR + "codes/generate/",
        codes.generate_codes,
        name="pricing_codes_generate",
    ),
    path(WEBINAR + "codes.csv", codes.export_codes, name="pricing_codes_csv"),
    path(CODE, codes.edit_code, name="pricing_code_edit"),
    path(CODE + "deactivate/", codes.deactivate_code, name="pricing_code_deactivate"),
    path(WEBINAR + "preview/", preview.preview, name="pricing_preview"),
    path("register/<str:key>/code/", code_check.code_check, name="code_check"),
]
