from django.urls import path

from payments import views, views_connect, views_pricing

app_name = "payments"
urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="webhook"),
    path("console/stripe/", views_connect.stripe_settings, name="stripe_settings"),
    path("console/stripe/connect/", views_connect.connect_start, name="stripe_connect"),
    path(
        "console/stripe/callback/",
        views_connect.connect_callback,
        name="stripe_callback",
    ),
    path(
        "console/stripe/<int:pk>/disconnect/",
        views_connect.disconnect,
        name="stripe_disconnect",
    ),
    path(
        "console/stripe/<int:pk>/refresh/",
        views_connect.refresh,
        name="stripe_refresh",
    ),
    # Prices, tiers and discount codes (issue 5).
    path(
        "console/webinars/<int:pk>/payments/",
        views_pricing.payment_section,
        name="pricing",
    ),
    path(
        "console/webinars/<int:pk>/payments/switch/",
        views_pricing.switch_payments,
        name="pricing_switch",
    ),
    path(
        "console/webinars/<int:pk>/payments/price/",
        views_pricing.set_price,
        name="pricing_price",
    ),
    path(
        "console/webinars/<int:pk>/payments/tiers/",
        views_pricing.add_tier,
        name="pricing_tier_add",
    ),
    path(
        "console/webinars/<int:pk>/payments/tiers/<int:tier_pk>/remove/",
        views_pricing.remove_tier,
        name="pricing_tier_remove",
    ),
    path(
        "console/webinars/<int:pk>/payments/codes/",
        views_pricing.create_code,
        name="pricing_code_add",
    ),
    path(
        "console/webinars/<int:pk>/payments/codes/generate/",
        views_pricing.generate_codes,
        name="pricing_codes_generate",
    ),
    path(
        "console/webinars/<int:pk>/payments/codes.csv",
        views_pricing.export_codes,
        name="pricing_codes_csv",
    ),
    path(
        "console/webinars/<int:pk>/payments/codes/<int:code_pk>/",
        views_pricing.edit_code,
        name="pricing_code_edit",
    ),
    path(
        "console/webinars/<int:pk>/payments/codes/<int:code_pk>/deactivate/",
        views_pricing.deactivate_code,
        name="pricing_code_deactivate",
    ),
    path(
        "console/webinars/<int:pk>/payments/preview/",
        views_pricing.preview,
        name="pricing_preview",
    ),
    path("register/<str:key>/code/", views_pricing.code_check, name="code_check"),
]
