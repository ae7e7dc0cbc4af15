from django.contrib import admin

from organizers.models import Account, Organizer


class OrganizerInline(admin.TabularInline):
    model = Organizer
    fk_name = "account"
    raw_id_fields = ["user", "invited_by"]
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "participant_limit", "stripe_scope", "created_at"]
    search_fields = ["name"]
    inlines = [OrganizerInline]


@admin.register(Organizer)
class OrganizerAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "account__name"]
    raw_id_fields = ["user", "invited_by"]
