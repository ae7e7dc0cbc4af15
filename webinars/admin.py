from django.contrib import admin

from webinars.models import Session, Webinar, WebinarMember


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


class MemberInline(admin.TabularInline):
    model = WebinarMember
    raw_id_fields = ["organizer"]
    extra = 0


@admin.register(Webinar)
class WebinarAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "kind", "registration_limit", "created_at"]
    list_filter = ["kind", "approval"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["owner"]
    readonly_fields = ["registration_key"]
    inlines = [SessionInline, MemberInline]
