"""The sandbox's own process: only the Django mount of the Stripe sandbox."""

from django.urls import include, path

urlpatterns = [path("_stripe/", include("stripe_sandbox.django_mount"))]
