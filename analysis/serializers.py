"""Input and output serializers of the analysis API."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from proctoring_site.validation import MAX_DB_INT

from .models import AnalysisResult, Enrollment, MediaItem
from .scoring import EVENT_ALIASES


class Base64Field(serializers.CharField):
    """Base64 bytes, optionally as a data URL (``data:image/jpeg;base64,...``)."""

    default_error_messages = {"invalid_base64": "Not valid base64 data."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> bytes:
        text = super().to_internal_value(data)
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.fail("invalid_base64")
        raise AssertionError("unreachable")  # pragma: no cover


class UploadInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    captured_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class MediaUploadInputSerializer(UploadInputSerializer):
    client_id = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        required=False,
        default="",
        help_text="The page's id for this upload: a resend with the same id is answered as a "
        "duplicate (200) and not stored again.",
    )


class FrameJsonInputSerializer(MediaUploadInputSerializer):
    image = Base64Field(allow_blank=True)


class AudioJsonInputSerializer(MediaUploadInputSerializer):
    audio = Base64Field(allow_blank=True)


class FaceEnrollJsonInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    images = serializers.ListField(child=Base64Field(allow_blank=True), allow_empty=True)


class VoiceEnrollJsonInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    audio = Base64Field(allow_blank=True)


class MediaAcceptedOutputSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="frame or audio")
    status = serializers.SerializerMethodField()
    client_id = serializers.CharField(read_only=True)
    duplicate = serializers.SerializerMethodField(
        help_text="True when this client_id was stored before: nothing new was stored."
    )

    class Meta:
        model = MediaItem
        fields = [
            "id",
            "session_id",
            "kind",
            "captured_at",
            "size_bytes",
            "status",
            "client_id",
            "duplicate",
        ]

    def get_duplicate(self, obj: MediaItem) -> bool:
        return bool(self.context.get("duplicate", False))

    def get_status(self, obj: MediaItem) -> str:
        return "queued"


class EnrollmentOutputSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="face or voice")

    class Meta:
        model = Enrollment
        # The template itself is biometric data and never leaves the server.
        fields = ["id", "session_id", "kind", "model_version", "samples_used", "updated_at"]


@extend_schema_field(OpenApiTypes.ANY)
class EventField(serializers.Field):
    """A browser event: a name or ``{"type": name, ...}``; names as in the seed's clients."""

    def to_internal_value(self, data: Any) -> str:
        name = data.get("type") if isinstance(data, dict) else data
        if not isinstance(name, str) or name not in EVENT_ALIASES:
            raise serializers.ValidationError(
                f"Unknown event {name!r}; known: {', '.join(sorted(EVENT_ALIASES))}."
            )
        return EVENT_ALIASES[name]

    def to_representation(self, value: Any) -> Any:  # pragma: no cover - input only
        return value


class AnalyzeInputSerializer(serializers.Serializer):
    image = Base64Field(required=False, allow_blank=True)
    audio = Base64Field(required=False, allow_blank=True)
    events = serializers.ListField(child=EventField(), required=False, default=list)
    session_id = serializers.UUIDField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "image" not in attrs and "audio" not in attrs and not attrs.get("events"):
            raise serializers.ValidationError("Send an image, an audio chunk or events.")
        return attrs


class AnalyzeOutputSerializer(serializers.Serializer):
    risk_score = serializers.FloatField()
    labels = serializers.ListField(child=serializers.CharField())
    details = serializers.DictField()
    analyzed_at = serializers.DateTimeField()


class ResultFilterSerializer(serializers.Serializer):
    session = serializers.UUIDField(required=False)
    label = serializers.CharField(required=False, max_length=32)
    kind = serializers.ChoiceField(choices=["frame", "audio"], required=False)
    status = serializers.ChoiceField(choices=["ok", "failed"], required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class StatsFilterSerializer(serializers.Serializer):
    exam = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_INT)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ResultOutputSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="frame or audio")
    status = serializers.CharField(read_only=True, help_text="ok or failed")

    class Meta:
        model = AnalysisResult
        fields = [
            "id",
            "session_id",
            "media_id",
            "kind",
            "captured_at",
            "status",
            "failure_reason",
            "labels",
            "risk_score",
            "face_count",
            "head_yaw",
            "head_pitch",
            "head_roll",
            "gaze_direction",
            "identity_similarity",
            "speech_prob",
            "speaker_count",
            "loudness_dbfs",
            "processing_ms",
            "analyzer_versions",
            "raw",
            "created_at",
        ]


class EnrollmentStatusInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()


class EnrollmentStatusOutputSerializer(serializers.Serializer):
    face = serializers.BooleanField()
    voice = serializers.BooleanField()
    complete = serializers.BooleanField(help_text="Every template the policy needs is there.")
    reenroll_on_rejoin = serializers.BooleanField()
