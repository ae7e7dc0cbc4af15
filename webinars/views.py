from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizers.permissions import organizer_required
from webinars import services
from webinars.dashboard import dashboard_rows
from webinars.forms import (
    MemberForm,
    QuestionForm,
    ScheduleForm,
    SessionForm,
    WebinarForm,
)
from webinars.hooks import (
    dashboard_facts_providers,
    dashboard_warning_providers,
    webinar_panels,
)
from webinars.models import Session, Webinar
from webinars.permissions import managed_webinar


@organizer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webinars/dashboard.html",
        {
            "rows": dashboard_rows(request.organizer),
            "warnings": dashboard_warnings(request),
        },
    )


def dashboard_warnings(request: HttpRequest) -> list[str]:
    """Return warnings the apps above register (e.g. paid webinars without Stripe)."""
    warnings: list[str] = []
    for provider in dashboard_warning_providers:
        warnings.extend(provider(request.organizer))
    return warnings


@organizer_required
@require_http_methods(["GET", "POST"])
def webinar_create(request: HttpRequest) -> HttpResponse:
    account = request.organizer.account
    data = request.POST or None
    form = WebinarForm(data, account=account)
    tz = request.POST.get("timezone", "UTC") if data else "UTC"
    schedule = ScheduleForm(data, tz=tz, prefix="schedule")
    if request.method == "POST":
        form_ok = form.is_valid()
        # On-demand webinars have no sessions.
        on_demand = form_ok and form.cleaned_data["kind"] == Webinar.Kind.ON_DEMAND
        # The schedule is read in the zone chosen, even while other fields of
        # the webinar form are refused, so that all errors show at once.
        zone = form.cleaned_data.get("timezone") if form.is_bound else None
        schedule.tz = zone or "UTC"
        schedule_ok = on_demand or schedule.is_valid()
        if form_ok and schedule_ok:
            webinar = services.create_webinar(
                owner=request.organizer,
                fields=form.cleaned_data,
                sessions=[] if on_demand else schedule.occurrences_utc(),
                broadcast_url=""
                if on_demand
                else schedule.cleaned_data["broadcast_url"],
            )
            messages.success(request, _("Webinar created."))
            return redirect(webinar)
    return webinar_form_page(request, form, schedule=schedule)


def webinar_form_page(
    request: HttpRequest, form: WebinarForm, **context: object
) -> HttpResponse:
    """Render the webinar form: editing with ``webinar=``, else creating."""
    return render(
        request,
        "webinars/webinar_form.html",
        {
            "form": form,
            "creating": "webinar" not in context,
            **context,
        },
    )


# The webinar page's sections: (name, URL name, label); each one a real URL.
SECTIONS = [
    ("overview", "webinars:detail", _lazy("Overview")),
    ("registrants", "registrations:registrants", _lazy("Registrants")),
    ("payments", "payments:pricing", _lazy("Payments and codes")),
    ("emails", "registrations:email_settings", _lazy("Emails")),
    ("recordings", "webinars:recordings", _lazy("Recordings")),
    ("settings", "webinars:settings", _lazy("Settings")),
]


def section_page(
    request: HttpRequest, pk: int, section: str, template: str
) -> HttpResponse:
    """Render one section of the webinar page with the panels that belong there.

    A panel (webinars.hooks.webinar_panels) says its section with "section";
    without one it shows on the overview.
    """
    webinar = managed_webinar(request, pk)
    panels = [panel(request, webinar) for panel in webinar_panels]
    return render(
        request,
        template,
        {
            "webinar": webinar,
            "section": section,
            "sessions": webinar.sessions.all(),
            "members": webinar.members.all(),
            "member_form": MemberForm(webinar=webinar),
            "question_form": QuestionForm(),
            "registration_url": request.build_absolute_uri(
                webinar.get_registration_url()
            ),
            "panels": [
                p for p in panels if p and p.get("section", "overview") == section
            ],
            "now": timezone.now(),
        },
    )


@organizer_required
def webinar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The webinar page's overview: status, sessions and the apps' summaries."""
    return section_page(request, pk, "overview", "webinars/webinar_detail.html")


@organizer_required
@require_GET
def webinar_recordings(request: HttpRequest, pk: int) -> HttpResponse:
    """The webinar page's Recordings section."""
    return section_page(request, pk, "recordings", "webinars/section_recordings.html")


@organizer_required
@require_GET
def webinar_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The webinar page's Settings: details, co-organizers, questions."""
    return section_page(request, pk, "settings", "webinars/section_settings.html")


@organizer_required
@require_http_methods(["GET", "POST"])
def webinar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    if webinar.cancelled_at is not None:
        return refuse_cancelled(request, webinar)
    form = WebinarForm(request.POST or None, instance=webinar, account=webinar.account)
    if request.method == "POST" and form.is_valid():
        services.update_webinar(webinar=webinar, fields=form.cleaned_data)
        messages.success(request, _("Webinar saved."))
        if "registration_limit" in form.changed_data:
            _warn_limit_below_taken(request, webinar)
        return redirect(webinar)
    return webinar_form_page(request, form, webinar=webinar)


def _warn_limit_below_taken(request: HttpRequest, webinar: Webinar) -> None:
    """Say so when the new limit is below the seats already held (a whole webinar).

    Nobody is removed: the page takes no registration until seats free up.
    A series sold by session counts each session's seats apart: not here.
    """
    if webinar.registration_type == Webinar.RegistrationType.INDIVIDUAL_SESSION:
        return
    taken = sum(
        provider([webinar]).get(webinar.pk, {}).get("sold", 0)
        for provider in dashboard_facts_providers
    )
    if taken > webinar.registration_limit:
        messages.warning(
            request,
            _(
                "%(taken)s registrants already hold seats, more than the new "
                "limit of %(limit)s. Nobody is removed: registration stays closed "
                "until fewer than %(limit)s hold seats."
            )
            % {"taken": taken, "limit": webinar.registration_limit},
        )


@organizer_required
@require_http_methods(["GET", "POST"])
def sessions_add(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    if webinar.cancelled_at is not None:
        return refuse_cancelled(request, webinar)
    form = ScheduleForm(request.POST or None, tz=webinar.timezone, prefix="schedule")
    if request.method == "POST" and form.is_valid():
        services.add_sessions(
            webinar=webinar,
            sessions=form.occurrences_utc(),
            broadcast_url=form.cleaned_data["broadcast_url"],
        )
        messages.success(request, _("Sessions added."))
        return redirect(webinar)
    return render(
        request, "webinars/sessions_add.html", {"webinar": webinar, "form": form}
    )


@organizer_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    session = get_object_or_404(Session, webinar=webinar, pk=session_pk)
    with timezone.override(webinar.tzinfo):
        form = SessionForm(request.POST or None, instance=session)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Session saved."))
            return redirect(webinar)
        return render(
            request,
            "webinars/session_form.html",
            {"webinar": webinar, "session": session, "form": form},
        )


@organizer_required
@require_POST
def session_delete(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    session = get_object_or_404(Session, webinar=webinar, pk=session_pk)
    try:
        services.delete_session(session=session)
    except services.WebinarError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Session deleted."))
    return redirect(webinar)


def refuse_cancelled(request: HttpRequest, webinar: Webinar) -> HttpResponse:
    """A cancelled webinar is not edited and gets no new session."""
    messages.error(
        request, _("This webinar is cancelled: it can no longer be changed.")
    )
    return redirect(webinar)


def form_refused(
    request: HttpRequest, template: str, webinar: Webinar, form: Form
) -> HttpResponse:
    """Show a form of the webinar page again, alone, with its errors."""
    return render(request, template, {"webinar": webinar, "form": form}, status=400)


@organizer_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = MemberForm(request.POST, webinar=webinar)
    if form.is_valid():
        try:
            services.add_member(webinar=webinar, **form.cleaned_data)
        except services.WebinarError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Invitation added."))
        return redirect("webinars:settings", webinar.pk)
    return form_refused(request, "webinars/member_form.html", webinar, form)


@organizer_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    member = get_object_or_404(webinar.members, pk=member_pk)
    services.remove_member(member=member)
    messages.success(request, _("Removed %(email)s.") % {"email": member.email})
    return redirect("webinars:settings", webinar.pk)


@organizer_required
@require_POST
def question_remove(request: HttpRequest, pk: int, question_id: str) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    try:
        services.remove_question(webinar=webinar, question_id=question_id)
    except services.WebinarError as error:
        messages.error(request, str(error))
    return redirect("webinars:settings", webinar.pk)


@organizer_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    webinar = managed_webinar(request, pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        services.add_question(webinar=webinar, **form.cleaned_data)
        messages.success(request, _("Question added."))
        return redirect("webinars:settings", webinar.pk)
    return form_refused(request, "webinars/question_form.html", webinar, form)
