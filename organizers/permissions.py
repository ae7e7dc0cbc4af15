"""Who may see what in the console: every organizer view goes through these."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from organizers.models import Organizer


def organizer_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Require a logged-in organizer; set ``request.organizer``. Others get a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organizer = (
            Organizer.objects.select_related("account", "user")
            .filter(user=request.user)
            .first()
        )
        if organizer is None:
            raise Http404
        request.organizer = organizer
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require an account admin; anyone else gets a 404."""

    @organizer_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.organizer.is_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
