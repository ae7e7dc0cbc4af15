"""The language a payments page answers in: `?lang=` when it names one we offer."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def chosen_language(request: HttpRequest) -> str:
    """Return `?lang=` when it is one of LANGUAGES, else the request's language."""
    wanted = request.GET.get("lang", "")
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else translation.get_language() or "en"
