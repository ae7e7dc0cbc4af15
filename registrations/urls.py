from django.urls import path

from registrations import views

app_name = "registrations"
urlpatterns = [
    path("register/<str:key>/", views.register, name="register"),
    path("register/<str:key>/resend/", views.resend, name="resend"),
    path("register/<str:key>/done/", views.done, name="done"),
    path("register/<str:key>/paid/", views.checkout_success, name="checkout_success"),
    path(
        "register/<str:key>/cancelled/",
        views.checkout_cancelled,
        name="checkout_cancelled",
    ),
    path("join/<str:token>/", views.join, name="join"),
    path("join/<str:token>/calendar.ics", views.join_calendar, name="join_calendar"),
]

# Refunds and cancellations (registrations/views_refunds.py).
from registrations import views_refunds  # noqa: E402

_console = "console/webinars/<int:pk>/"
urlpatterns += [
    path("cancel/<str:token>/", views_refunds.self_cancel, name="self_cancel"),
    path(
        _console + "registrants/<int:registrant_pk>/refund/",
        views_refunds.refund_registrant,
        name="refund_registrant",
    ),
    path(
        _console + "refunds/", views_refunds.refunds_overview, name="refunds_overview"
    ),
    path(
        _console + "refund-policy/", views_refunds.refund_policy, name="refund_policy"
    ),
    path(
        _console + "refund-requests/<int:request_pk>/",
        views_refunds.answer_refund_request,
        name="answer_refund_request",
    ),
    path(_console + "cancel/", views_refunds.cancel_webinar, name="cancel_webinar"),
    path(
        _console + "sessions/<int:session_pk>/cancel/",
        views_refunds.cancel_session,
        name="cancel_session",
    ),
    path(_console + "report/", views_refunds.report, name="report"),
    path(_console + "report.csv", views_refunds.report_csv, name="report_csv"),
]

# Emails: unsubscribe link and the console's email pages (views/emails.py).
from registrations.views import emails as views_emails  # noqa: E402

urlpatterns += [
    path(
        "emails/unsubscribe/<str:token>/",
        views_emails.unsubscribe,
        name="email_unsubscribe",
    ),
    path(_console + "emails/", views_emails.email_settings, name="email_settings"),
    path(
        _console + "emails/preview/<str:kind>/<str:language>/",
        views_emails.preview,
        name="email_preview",
    ),
    path(
        _console + "emails/resend/",
        views_emails.resend_confirmations,
        name="email_resend",
    ),
    path(
        _console + "registrants/<int:registrant_pk>/emails/",
        views_emails.history,
        name="email_history",
    ),
]

# The console's registrant list (registrations/views_console.py).
from registrations import views_console  # noqa: E402

urlpatterns += [
    path(_console + "registrants/", views_console.registrants, name="registrants"),
    path(
        _console + "registrants.csv",
        views_console.registrants_csv,
        name="registrants_csv",
    ),
    path(
        _console + "registrants/<int:registrant_pk>/<str:action>/",
        views_console.registrant_action,
        name="registrant_action",
    ),
]
