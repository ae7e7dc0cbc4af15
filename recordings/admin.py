from django.contrib import admin

from recordings.models import PostSessionVideo, Recording, ReplayOffer, WatchGrant


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "size", "duration_seconds", "created_at"]
    list_filter = ["account"]
    search_fields = ["title"]
    raw_id_fields = ["account", "uploaded_by", "webinar", "session"]


@admin.register(PostSessionVideo)
class PostSessionVideoAdmin(admin.ModelAdmin):
    list_display = ["recording", "webinar", "session", "automatic", "created_at"]
    raw_id_fields = ["recording", "webinar", "session", "attached_by"]


@admin.register(WatchGrant)
class WatchGrantAdmin(admin.ModelAdmin):
    list_display = ["recording", "registrant", "created_at", "first_viewed_at"]
    raw_id_fields = ["recording", "registrant"]
    # The token is a credential: never shown in the admin.
    exclude = ["token"]


@admin.register(ReplayOffer)
class ReplayOfferAdmin(admin.ModelAdmin):
    list_display = ["webinar", "amount", "updated_at"]
    raw_id_fields = ["webinar"]
