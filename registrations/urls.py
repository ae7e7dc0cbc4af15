from django.urls import path

from registrations.views import (
    checkout_return,
    console,
    console_bulk,
    console_waitlist,
    join,
    refunds,
    registration,
    revenue,
    self_cancel,
    waitlist,
)
from registrations.views import emails as views_emails

app_name = "registrations"
urlpatterns = [
    path("register/<str:key>/", registration.register, name="register"),
    path("register/<str:key>/resend/", registration.resend, name="resend"),
    path("register/<str:key>/done/", checkout_return.done, name="done"),
    path(
        "register/<str:key>/paid/",
        checkout_return.checkout_success,
        name="checkout_success",
    ),
    path(
        "register/<str:key>/cancelled/",
        checkout_return.checkout_cancelled,
        name="checkout_cancelled",
    ),
    path("register/<str:key>/waitlist/", waitlist.join, name="waitlist_join"),
    path("waitlist/<str:token>/", waitlist.status, name="waitlist_status"),
    path("waitlist/offer/<str:token>/", waitlist.offer, name="waitlist_offer"),
    path("join/<str:token>/", join.join, name="join"),
    path("join/<str:token>/calendar.ics", join.join_calendar, name="join_calendar"),
]

# Refunds and cancellations (registrations/views/refunds.py, self_cancel.py).
_console = "console/webinars/<int:pk>/"
urlpatterns += [
    path("cancel/<str:token>/", self_cancel.self_cancel, name="self_cancel"),
    path(
        _console + "registrants/<int:registrant_pk>/refund/",
        refunds.refund_registrant,
        name="refund_registrant",
    ),
    path(
        _console + "registrants/<int:registrant_pk>/refund/status/",
        refunds.refund_status,
        name="refund_status",
    ),
    path(_console + "refunds/", refunds.refunds_overview, name="refunds_overview"),
    path(_console + "refund-policy/", refunds.refund_policy, name="refund_policy"),
    path(
        _console + "refund-requests/<int:request_pk>/",
        refunds.answer_refund_request,
        name="answer_refund_request",
    ),
    path(_console + "cancel/", refunds.cancel_webinar, name="cancel_webinar"),
    path(
        _console + "sessions/<int:session_pk>/cancel/",
        refunds.cancel_session,
        name="cancel_session",
    ),
    path(_console + "report/", refunds.report, name="report"),
    path(_console + "report.csv", refunds.report_csv, name="report_csv"),
]

# Emails: unsubscribe link and the console's email pages (views/emails.py).
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

# The console's registrant list (registrations/views/console.py).
urlpatterns += [
    path(_console + "registrants/", console.registrants, name="registrants"),
    path(
        _console + "registrants.csv",
        console.registrants_csv,
        name="registrants_csv",
    ),
    path(
        _console + "registrants/selection/",
        console_bulk.bulk,
        name="registrants_bulk",
    ),
    path(
        _console + "registrants/<int:registrant_pk>/",
        console_bulk.detail,
        name="registrant_detail",
    ),
    path(
        _console + "registrants/<int:registrant_pk>/<str:action>/",
        console.registrant_action,
        name="registrant_action",
    ),
]

# The account-wide revenue report (registrations/views/revenue.py).
urlpatterns += [
    path("console/revenue/", revenue.revenue_report, name="revenue"),
    path("console/revenue.csv", revenue.revenue_csv, name="revenue_csv"),
]

# The console's waitlist (registrations/views/console_waitlist.py).
urlpatterns += [
    path(_console + "waitlist/", console_waitlist.waitlist, name="waitlist"),
    path(_console + "waitlist.csv", console_waitlist.waitlist_csv, name="waitlist_csv"),
    path(
        _console + "waitlist/<int:entry_pk>/<str:action>/",
        console_waitlist.waitlist_action,
        name="waitlist_action",
    ),
]
