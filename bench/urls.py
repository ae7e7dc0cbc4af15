"""The app's URLs plus the baseline: a minimal view on the same server and DB."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from webinars.models import Webinar


def baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """Read one row and answer: the floor any page of this server stands on."""
    title = Webinar.objects.filter(pk=pk).values_list("title", flat=True).first()
    return HttpResponse(title or "", content_type="text/plain")


urlpatterns = [path("bench/baseline/<int:pk>/", baseline), *app_urlpatterns]
