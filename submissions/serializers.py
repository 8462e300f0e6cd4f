from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from proctoring_site.exceptions import PayloadTooLargeError

from .models import CodeSubmission

# Ids are 64-bit; larger numbers are refused as invalid instead of reaching the database.
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.Field):
    """Code as a JSON string, or a multipart file or text part. Returns str or raw bytes.

    Decoding and size checks happen in the service (``code_decode``), the same for every way
    code can arrive; an upload is refused by its declared size before it is read.
    """

    default_error_messages = {"type": "Expected the code as a string or a file."}

    def to_internal_value(self, data: Any) -> bytes | str:
        if isinstance(data, UploadedFile):
            limit = settings.SUBMISSION_CODE_MAX_BYTES
            if data.size is not None and data.size > limit:
                raise PayloadTooLargeError(
                    f"The code is {data.size} bytes; the limit is {limit} bytes.",
                    code="code_too_large",
                    details={"limit": limit, "size": data.size},
                )
            return data.read()
        if isinstance(data, str | bytes):
            return data
        self.fail("type")
        return b""  # pragma: no cover - fail() raises

    def to_representation(self, value: Any) -> Any:
        return value


class SubmitInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    problem_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    language = serializers.CharField(required=False, max_length=32)
    code = CodeField(required=False)
    code_base64 = serializers.CharField(required=False, trim_whitespace=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_code, has_b64 = "code" in attrs, "code_base64" in attrs
        if has_code == has_b64:
            raise serializers.ValidationError(
                {"code": "Send the code either as `code` or as `code_base64` (exactly one)."}
            )
        if has_b64:
            try:
                attrs["code"] = base64.b64decode(attrs.pop("code_base64"), validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError({"code_base64": "Not valid base64."}) from None
        return attrs


class FinalSubmitInputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()


class SubmissionFilterSerializer(serializers.Serializer):
    exam_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    problem_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    session_id = serializers.UUIDField(required=False)
    candidate_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    is_final = serializers.BooleanField(required=False, allow_null=True, default=None)
    latest = serializers.BooleanField(required=False, default=False)
    include_code = serializers.BooleanField(required=False, default=False)


class SimilarityMatchFilterSerializer(serializers.Serializer):
    exam_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    problem_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    session_id = serializers.UUIDField(required=False)
    min_score = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)


class SubmissionOutputSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(read_only=True)
    problem_id = serializers.IntegerField(read_only=True)
    exam_id = serializers.IntegerField(source="session.exam_id", read_only=True)
    candidate_id = serializers.IntegerField(source="session.candidate_id", read_only=True)

    class Meta:
        model = CodeSubmission
        fields = [
            "id",
            "session_id",
            "exam_id",
            "candidate_id",
            "problem_id",
            "language",
            "version",
            "sha256",
            "size",
            "is_final",
            "created_at",
        ]


class SubmissionWithCodeOutputSerializer(SubmissionOutputSerializer):
    class Meta(SubmissionOutputSerializer.Meta):
        fields = [*SubmissionOutputSerializer.Meta.fields, "code"]


class FinalSubmitOutputSerializer(serializers.Serializer):
    session_id = serializers.UUIDField(source="pk")
    status = serializers.CharField()
    ended_at = serializers.DateTimeField()
    final_submissions = serializers.SerializerMethodField()

    def get_final_submissions(self, session: Any) -> list[dict[str, Any]]:
        finals = CodeSubmission.objects.filter(session=session, is_final=True).select_related(
            "session"
        )
        return SubmissionOutputSerializer(finals.order_by("problem_id"), many=True).data


class SimilarityMatchSideSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    candidate_id = serializers.IntegerField()
    candidate = serializers.CharField()
    submission_id = serializers.IntegerField()
    version = serializers.IntegerField()


class SimilarityMatchOutputSerializer(serializers.Serializer):
    """Documents ``reports.similarity_match_as_dict`` plus the list's own fields."""

    match_id = serializers.IntegerField()
    score = serializers.FloatField()
    a = SimilarityMatchSideSerializer()
    b = SimilarityMatchSideSerializer()
    matches = serializers.ListField(child=serializers.DictField())
    incidents = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    exam_id = serializers.IntegerField()
    problem_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
