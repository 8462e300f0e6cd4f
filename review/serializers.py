"""What the administration API reads and writes (``/api/admin/...``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from exams.lifecycle import SessionStatus
from exams.models import ExamSession
from exams.serializers import TransitionOutputSerializer
from proctoring_site.validation import MAX_DB_INT


class SessionRiskOutputSerializer(serializers.Serializer):
    """The session's risk as the admin list shows it: the 0-100 score is 100 E / (E + 1) of
    the expected confirmed violations E, which the list sorts by."""

    score = serializers.IntegerField()
    level = serializers.CharField()
    expected_violations = serializers.FloatField()
    uncertainty = serializers.FloatField()
    model_version = serializers.CharField(help_text="Empty: the hand-set rules.")
    updated_at = serializers.DateTimeField()


class AdminSessionOutputSerializer(serializers.ModelSerializer):
    candidate = serializers.SerializerMethodField()
    exam_title = serializers.CharField(source="exam.title", read_only=True)
    transitions = TransitionOutputSerializer(many=True, read_only=True)
    risk = serializers.SerializerMethodField()

    class Meta:
        model = ExamSession
        fields = [
            "id",
            "status",
            "candidate",
            "exam_id",
            "exam_title",
            "created_at",
            "started_at",
            "ends_at",
            "ended_at",
            "end_reason",
            "consent_at",
            "legal_hold",
            "risk",
            "transitions",
        ]

    @extend_schema_field(SessionRiskOutputSerializer(allow_null=True))
    def get_risk(self, session: ExamSession) -> dict | None:
        # None: not scored yet (no incident so far).
        risk = getattr(session, "risk", None)
        return None if risk is None else SessionRiskOutputSerializer(risk).data

    def get_candidate(self, session: ExamSession) -> dict:
        user = session.candidate
        return {"id": user.pk, "username": user.username, "full_name": user.display_name}


class AdminSessionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    exam = serializers.IntegerField(min_value=1, max_value=MAX_DB_INT, required=False)


class TerminateInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AdminCandidateOutputSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="display_name", read_only=True)
    institution = serializers.CharField(
        source="candidate_profile.institution", default="", read_only=True
    )
    external_id = serializers.CharField(
        source="candidate_profile.external_id", default="", read_only=True
    )
    session_count = serializers.IntegerField(read_only=True)
    active_session_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "institution",
            "external_id",
            "date_joined",
            "last_login",
            "session_count",
            "active_session_count",
        ]
