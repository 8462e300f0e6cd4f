from __future__ import annotations

from rest_framework import serializers

from accounts.models import User

from .lifecycle import SessionStatus
from .models import Exam, ExamSession, Problem, SessionTransition
from .policy import effective_policy


class ProblemOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Problem
        fields = ["id", "title", "statement", "starter_code", "language", "order"]


# What the candidate is told before consent: what is monitored and what counts as leaving.
RULE_KEYS = (
    "tab_hidden_threshold_s",
    "window_blur_threshold_s",
    "fullscreen_exit_threshold_s",
    "paste_size_threshold_chars",
    "face_checks",
    "gaze_checks",
    "identity_checks",
    "voice_checks",
    "violation_notices",
    "reenroll_on_rejoin",
)


class ExamOutputSerializer(serializers.ModelSerializer):
    problems = ProblemOutputSerializer(many=True, read_only=True)
    rules = serializers.SerializerMethodField()

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            "description",
            "duration_minutes",
            "starts_at",
            "ends_at",
            "problems",
            "rules",
        ]

    def get_rules(self, exam: Exam) -> dict:
        policy = effective_policy(exam.policy)
        return {key: policy[key] for key in RULE_KEYS}


class StartExamInputSerializer(serializers.Serializer):
    exam_id = serializers.IntegerField(min_value=1)
    consent = serializers.BooleanField(required=False, default=False)


class SessionOutputSerializer(serializers.ModelSerializer):
    exam = ExamOutputSerializer(read_only=True)
    policy = serializers.SerializerMethodField()

    class Meta:
        model = ExamSession
        fields = [
            "id",
            "status",
            "created_at",
            "started_at",
            "ends_at",
            "ended_at",
            "end_reason",
            "consent_at",
            "problems_opened_at",
            "exam",
            "policy",
        ]

    def get_policy(self, session: ExamSession) -> dict:
        keep = (
            "frame_interval_s",
            "audio_chunk_s",
            "heartbeat_timeout_s",
            "paste_size_threshold_chars",
            *RULE_KEYS,
        )
        return {key: session.policy[key] for key in keep}


class SessionStartedOutputSerializer(SessionOutputSerializer):
    session_token = serializers.CharField(read_only=True)

    class Meta(SessionOutputSerializer.Meta):
        fields = [*SessionOutputSerializer.Meta.fields, "session_token"]


class TransitionOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = SessionTransition
        fields = ["from_status", "to_status", "actor", "reason", "created_at"]


class AdminSessionOutputSerializer(serializers.ModelSerializer):
    candidate = serializers.SerializerMethodField()
    exam_title = serializers.CharField(source="exam.title", read_only=True)
    transitions = TransitionOutputSerializer(many=True, read_only=True)

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
            "transitions",
        ]

    def get_candidate(self, session: ExamSession) -> dict:
        user = session.candidate
        return {"id": user.pk, "username": user.username, "full_name": user.display_name}


class AdminSessionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    exam = serializers.IntegerField(min_value=1, required=False)


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
