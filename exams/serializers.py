from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from proctoring_site.validation import MAX_DB_INT

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


class AttemptsOutputSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    allowed = serializers.IntegerField()
    remaining = serializers.IntegerField()


class ExamListItemOutputSerializer(ExamOutputSerializer):
    """An exam as the signed-in candidate sees it: with their attempts (``finished`` when none
    is left and no session of it runs, so the page shows the exam as done rather than open)."""

    attempts = serializers.SerializerMethodField()
    finished = serializers.SerializerMethodField()

    class Meta(ExamOutputSerializer.Meta):
        fields = [*ExamOutputSerializer.Meta.fields, "attempts", "finished"]

    def _attempts(self, exam: Exam):
        return self.context["attempts"].get(exam.pk)

    @extend_schema_field(AttemptsOutputSerializer(allow_null=True))
    def get_attempts(self, exam: Exam) -> dict | None:
        attempts = self._attempts(exam)
        if attempts is None:
            return None
        return AttemptsOutputSerializer(attempts).data

    def get_finished(self, exam: Exam) -> bool:
        # A running session is not finished: the candidate rejoins it (a new tab, a reload).
        attempts = self._attempts(exam)
        return attempts is not None and attempts.remaining == 0 and not attempts.active


class StartExamInputSerializer(serializers.Serializer):
    exam_id = serializers.IntegerField(min_value=1, max_value=MAX_DB_INT)
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
