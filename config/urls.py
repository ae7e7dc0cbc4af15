from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from config import views

# A database too busy to answer in time gets a 503 page, anything else the 500.
handler500 = "config.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="webinars:dashboard"), name="home"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path(
        "favicon.ico",
        # Lazy: the manifest storage resolves the hashed name at request time.
        RedirectView.as_view(url=lazy(static, str)("favicon.svg")),
        name="favicon",
    ),
    path("", include("organizers.urls")),
    path("console/", include("webinars.urls")),
    path("", include("payments.urls")),
    path("", include("registrations.urls")),
    path("", include("recordings.urls")),
    path("", include("api.urls")),  # /api/v1/ and the console's API tokens
    path("dev/outbox/", views.outbox, name="dev_outbox"),
    path("dev/outbox/<str:name>/", views.outbox_message, name="dev_outbox_message"),
]

if settings.STRIPE_SANDBOX:
    # The offline Stripe stand-in, only in the embedded default (no real key set).
    urlpatterns += [path("_stripe/", include("stripe_sandbox.django_mount"))]
