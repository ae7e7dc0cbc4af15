"""A webinar's waitlist, read-only."""

from drf_spectacular.utils import extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers.waitlist import WaitlistEntrySerializer
from api.views.base import ApiView
from registrations.models import WaitlistEntry
from registrations.waitlist.line import positions


class LineOrder(CursorPagination):
    """First come first: the order of the line."""

    ordering = ("joined_at", "pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class WaitlistList(ListModelMixin, ApiView):
    serializer_class = WaitlistEntrySerializer
    pagination_class = LineOrder

    def get_queryset(self):
        return WaitlistEntry.objects.filter(webinar=self.webinar())

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if "webinar_id" in self.kwargs:
            context["positions"] = positions(self.webinar())
        return context

    @extend_schema(operation_id="webinars_waitlist_list", tags=["waitlist"])
    def get(self, request: Request, webinar_id: int) -> Response:
        """The webinar's waitlist in line order: status, position, offer."""
        return self.list(request)
