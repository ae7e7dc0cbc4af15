"""The console's API tokens page: list, create (secret shown once), revoke."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.tokens import TokenError, create_token, revoke_token
from organizers.permissions import organizer_required


@organizer_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The organizer's tokens (every token of the account for an admin)."""
    form = TokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = create_token(
                    creator=request.organizer,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                )
            except TokenError as error:
                form.add_error(None, error.message)
            else:
                form = TokenForm()
        if created is None:
            status = 400
    tokens = ApiToken.objects.visible_to(request.organizer).select_related(
        "creator__user"
    )
    # The secret is shown in this answer only: never stored, never redirected.
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "created": created},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@organizer_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.organizer), pk=pk)
    try:
        revoke_token(token=token, by=request.organizer)
    except TokenError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")
