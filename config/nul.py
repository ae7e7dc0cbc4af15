"""Refuse any request whose query string or form carries a NUL byte.

A NUL is never valid input (no field, code, filter or name may hold one) and
PostgreSQL refuses it in a query, so it is answered with the 400 page in the
user's language before any view or admin filter reaches the database. The body
of a CSRF-exempt view (webhooks, the Stripe sandbox, uploads with their own
handlers) is left to that view: reading it here would consume its stream.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from api.problems import PROBLEM_CONTENT_TYPE, problem_body

NUL = "\x00"


def carries_nul(data: QueryDict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values)
        for key, values in data.lists()
    )


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if carries_nul(request.GET):
            if request.path.startswith("/api/"):
                # The API answers every error as problem details.
                return JsonResponse(
                    problem_body(
                        status_code=400,
                        detail=_("A value in the query string holds a NUL byte."),
                    ),
                    status=400,
                    content_type=PROBLEM_CONTENT_TYPE,
                )
            raise BadRequest("NUL byte in the query string")
        exempt = getattr(view, "csrf_exempt", False)
        if request.method == "POST" and not exempt and carries_nul(request.POST):
            raise BadRequest("NUL byte in the form")
        return None
