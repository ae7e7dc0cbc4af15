"""The API under /api/v1/, its schema and docs; the console's token pages."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import (
    console,
    errors,
    registrants,
    reports,
    waitlist,
    webhooks,
    webinars,
)

app_name = "api"

WEBINAR = "api/v1/webinars/<int:webinar_id>/"
REGISTRANT = WEBINAR + "registrants/<int:registrant_id>/"

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/v1/docs/",
        # The split view serves its start-up script as a file of its own, so
        # the page runs under `script-src 'self'` (no inline script).
        # GET only: its OPTIONS answer has no template (a 500).
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", http_method_names=["get", "head"]
        ),
        name="docs",
    ),
    path("api/v1/webinars/", webinars.WebinarList.as_view(), name="webinars"),
    path(WEBINAR, webinars.WebinarDetail.as_view(), name="webinar"),
    path(WEBINAR + "sessions/", webinars.SessionList.as_view(), name="sessions"),
    path(WEBINAR + "price/", webinars.PriceDetail.as_view(), name="price"),
    path(
        WEBINAR + "discount-codes/",
        webinars.DiscountCodeList.as_view(),
        name="discount_codes",
    ),
    path(
        WEBINAR + "registrants/",
        registrants.RegistrantList.as_view(),
        name="registrants",
    ),
    path(REGISTRANT, registrants.RegistrantDetail.as_view(), name="registrant"),
    path(
        REGISTRANT + "approve/",
        registrants.ApproveRegistrant.as_view(),
        name="approve",
    ),
    path(REGISTRANT + "deny/", registrants.DenyRegistrant.as_view(), name="deny"),
    path(
        REGISTRANT + "refunds/",
        registrants.RefundRegistrant.as_view(),
        name="refunds",
    ),
    path(WEBINAR + "waitlist/", waitlist.WaitlistList.as_view(), name="waitlist"),
    path(WEBINAR + "report/", reports.WebinarReport.as_view(), name="webinar_report"),
    path("api/v1/account/report/", reports.AccountReport.as_view(), name="report"),
    # Last of the API: any other /api/ address is a problem 404, not HTML.
    re_path(r"^api/(?P<rest>.*)$", errors.not_found, name="not_found"),
    path("console/api-tokens/", console.token_list, name="tokens"),
    path(
        "console/api-tokens/<int:pk>/revoke/",
        console.revoke,
        name="revoke_token",
    ),
    path("console/webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("console/webhooks/<int:pk>/", webhooks.endpoint_detail, name="webhook"),
    path(
        "console/webhooks/<int:pk>/<str:action>/",
        webhooks.endpoint_action,
        name="webhook_action",
    ),
    path(
        "console/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        webhooks.resend,
        name="webhook_resend",
    ),
]
