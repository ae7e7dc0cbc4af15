"""The admin site: every ModelAdmin, Django's own included, checks its selection.

Django's changelist action turns the posted `_selected_action` values into a
`pk__in` filter as they come: "abc" (or an id past the column's range) raises
and the admin answers 500. `TesseraAdminSite.register` gives every registered
admin (auth's User and Group too) `CheckedSelectionMixin`, which refuses such a
selection with an admin message and a redirect back to the list.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext as _

# SQLite stores 64-bit integers; Python's int has no bound.
INTEGER_IDS = range(-(2**63), 2**63)


def is_id(pk: Any, value: Any) -> bool:
    """Is `value` a possible primary key of the field `pk`?"""
    try:
        cleaned = pk.clean(value, None)
    except ValidationError:
        return False
    return not isinstance(cleaned, int) or cleaned in INTEGER_IDS


def bounded_ids(formfield: Any, pk: Any) -> None:
    """Make a multiple-choice form field refuse values that are no ids of `pk`'s
    model (Django's own query would raise OverflowError on SQLite)."""
    clean = formfield.clean

    def checked_clean(value: Any) -> Any:
        for item in value if isinstance(value, (list, tuple)) else []:
            if not is_id(pk, item):
                raise ValidationError(
                    formfield.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:20]},
                )
        return clean(value)

    formfield.clean = checked_clean


class CheckedSelectionMixin:
    """Refuse an action whose selected ids are not ids of the model, many-to-many
    choices that are no ids, and a date drill-down (`?x__year=`) that is no date."""

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None:
            bounded_ids(formfield, db_field.related_model._meta.pk)
        return formfield

    def changelist_view(self, request: HttpRequest, extra_context: Any = None):
        field = getattr(self, "date_hierarchy", None)
        if field:
            for part in ("year", "month", "day"):
                value = request.GET.get(f"{field}__{part}")
                if value is not None and not (value.isdigit() and len(value) <= 4):
                    # Django's own answer to lookups it cannot use.
                    return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)

    def response_action(self, request: HttpRequest, queryset: Any) -> Any:
        pk = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if not is_id(pk, value):
                self.message_user(
                    request,
                    _("The selection names no item; nothing was done."),
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class TesseraAdminSite(admin.AdminSite):
    def register(
        self, model_or_iterable: Any, admin_class: Any = None, **options: Any
    ) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, CheckedSelectionMixin):
            base = type(
                base.__name__,
                (CheckedSelectionMixin, base),
                {"__module__": base.__module__, "__qualname__": base.__qualname__},
            )
        super().register(model_or_iterable, base, **options)
