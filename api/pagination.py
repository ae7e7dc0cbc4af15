"""Cursor pagination: stable pages while registrations keep arriving."""

from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
