"""A webinar's waitlist: who is in line, where, and their offer."""

from rest_framework import serializers

from registrations.models import WaitlistEntry
from registrations.waitlist.line import position


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """One person in line; `position` is their place while waiting (else null)."""

    webinar = serializers.IntegerField(source="webinar_id", read_only=True)
    session = serializers.IntegerField(
        source="session_id", read_only=True, allow_null=True
    )
    registrant = serializers.IntegerField(
        source="registrant_id", read_only=True, allow_null=True
    )
    position = serializers.SerializerMethodField()
    answers = serializers.DictField(child=serializers.JSONField(), read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "webinar",
            "session",
            "email",
            "first_name",
            "last_name",
            "language",
            "answers",
            "status",
            "position",
            "joined_at",
            "offered_at",
            "offer_expires_at",
            "ended_at",
            "registrant",
        ]
        read_only_fields = fields

    def get_position(self, entry: WaitlistEntry) -> int | None:
        places = self.context.get("positions")
        if places is None:
            return position(entry)
        return places.get(entry.pk)
