"""Problem details for /api/ paths that match no operation."""

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api.problems import PROBLEM_CONTENT_TYPE, problem_body


# It changes nothing, and API clients send no CSRF token: a POST gets the 404 too.
@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer 404 in the API's one error shape, not the site's HTML page."""
    body = problem_body(status_code=404, detail=_("There is no such API address."))
    return HttpResponse(json.dumps(body), status=404, content_type=PROBLEM_CONTENT_TYPE)
