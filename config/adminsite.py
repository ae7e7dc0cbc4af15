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
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext as _


class CheckedSelectionMixin:
    """Refuse an action whose selected ids are not ids of the model."""

    def response_action(self, request: HttpRequest, queryset: Any) -> Any:
        pk = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.clean(value, None)
            except ValidationError:
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
