from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from organizers.forms import (
    AcceptInviteForm,
    AccountSettingsForm,
    InviteForm,
    LoginForm,
)
from organizers.hooks import account_change_consequences, account_panels
from organizers.models import Organizer
from organizers.permissions import admin_required, organizer_required
from organizers.redirects import safe_next
from organizers.services import OrganizerError, announce_joined, invite_organizer


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(
        request, request.POST.get("next") or request.GET.get("next"), default=""
    )
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        announce_joined(Organizer.objects.filter(user=form.user).first())
        # A plain redirect: the target is a checked path, never a URL name.
        return HttpResponseRedirect(next_url or reverse(settings.LOGIN_REDIRECT_URL))
    return render(request, "organizers/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@organizer_required
@require_http_methods(["GET", "POST"])
def account_view(request: HttpRequest) -> HttpResponse:
    organizer = request.organizer
    account = organizer.account
    settings_form = None
    if organizer.is_admin:
        settings_form = AccountSettingsForm(
            request.POST or None, instance=account, prefix="settings"
        )
        if request.method == "POST" and settings_form.is_valid():
            consequences = [
                item
                for receiver in account_change_consequences
                for item in receiver(account, settings_form.cleaned_data)
            ]
            if consequences and request.POST.get("confirmed") != "1":
                # Say what the change stops, and ask again (works without JS).
                return render(
                    request,
                    "organizers/account_confirm.html",
                    {
                        "account": account,
                        "consequences": consequences,
                        "fields": [
                            (name, value)
                            for name, values in request.POST.lists()
                            if name not in ("csrfmiddlewaretoken", "confirmed")
                            for value in values
                        ],
                    },
                )
            settings_form.save()
            messages.success(request, _("Account settings saved."))
            return redirect("organizers:account")
    members = account.organizers.select_related("user").order_by("user__email")
    panels = [panel(request) for panel in account_panels]
    return render(
        request,
        "organizers/account.html",
        {
            "account": account,
            "members": members,
            "settings_form": settings_form,
            "invite_form": InviteForm() if organizer.is_admin else None,
            "account_panels": [p for p in panels if p],
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invite_view(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite_organizer(
                invited_by=request.organizer,
                site_url=request.build_absolute_uri("/").rstrip("/"),
                **form.cleaned_data,
            )
        except OrganizerError as error:
            form.add_error(None, str(error))
        else:
            # The same answer whether or not the address has a login elsewhere.
            email = form.cleaned_data["email"]
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": email}
            )
            return redirect("organizers:account")
    return render(request, "organizers/invite.html", {"form": form})


@require_http_methods(["GET", "POST"])
def accept_invite(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user_model = get_user_model()
    try:
        user = user_model.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, user_model.DoesNotExist):
        raise Http404 from None
    if not default_token_generator.check_token(user, token):
        return render(request, "organizers/invite_invalid.html", status=400)
    form = AcceptInviteForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        login(request, user, backend="organizers.backends.EmailBackend")
        announce_joined(Organizer.objects.filter(user=user).first())
        messages.success(request, _("Welcome! Your password is set."))
        return redirect("webinars:dashboard")
    return render(request, "organizers/accept_invite.html", {"form": form})
