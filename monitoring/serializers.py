"""Input and output serializers of the monitoring API."""

from __future__ import annotations

from rest_framework import serializers

from proctoring_site.validation import MAX_DB_INT, reject_nul

from .models import EventType, Incident, MonitoringLog


class EventBatchInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    # Each event is checked one by one by the service (per-item errors, good ones stored).
    events = serializers.ListField(child=serializers.JSONField(), allow_empty=True)


class EventInputSerializer(serializers.Serializer):
    """One event: ``session_id`` plus the event's own fields, checked by the service."""

    session_id = serializers.UUIDField()


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    seq = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    accepted = serializers.ListField(child=serializers.IntegerField())
    duplicates = serializers.ListField(child=serializers.IntegerField())
    rejected = RejectionSerializer(many=True)
    highest_contiguous_seq = serializers.IntegerField()
    max_seq = serializers.IntegerField()
    missing_seqs = serializers.ListField(child=serializers.IntegerField())


class LogFilterInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField(required=False)
    exam_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_INT)
    type = serializers.CharField(required=False, help_text="One type or several, comma-separated.")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate_type(self, value: str) -> list[str]:
        types = [t.strip() for t in value.split(",") if t.strip()]
        unknown = sorted(set(types) - set(EventType.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown event types: {', '.join(unknown)}.")
        return types

    def validate(self, attrs: dict) -> dict:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until <= since:
            raise serializers.ValidationError({"until": "until must be after since."})
        return attrs


class LogOutputSerializer(serializers.ModelSerializer):
    ts = serializers.DateTimeField(source="client_ts")
    received_at = serializers.DateTimeField(source="server_ts")

    class Meta:
        model = MonitoringLog
        fields = [
            "id",
            "session_id",
            "seq",
            "type",
            "ts",
            "received_at",
            "payload",
            "chain_index",
            "hash",
        ]


class SuspiciousActivityInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Incident.Kind.choices, default=Incident.Kind.MANUAL)
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices, default=Incident.Severity.MEDIUM
    )
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)
    confidence = serializers.FloatField(default=1.0, min_value=0.0, max_value=1.0)
    details = serializers.DictField(required=False, default=dict, validators=[reject_nul])
    evidence = serializers.ListField(
        child=serializers.DictField(), required=False, default=list, validators=[reject_nul]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class IncidentOutputSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField()
    duration_s = serializers.FloatField(allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "session_id",
            "kind",
            "severity",
            "source",
            "started_at",
            "ended_at",
            "duration_s",
            "confidence",
            "details",
            "evidence",
            "review_status",
            "created_at",
        ]
