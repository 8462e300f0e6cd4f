"""Stored media, per-item analysis results, enrollment templates, aggregation state, risk."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone


def media_upload_to(instance: MediaItem, filename: str) -> str:
    # Random names: a file path must not reveal who the candidate is or guess other frames.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"analysis/{instance.session_id}/{instance.kind}/{uuid.uuid4().hex}.{extension}"


class MediaKind(models.TextChoices):
    FRAME = "frame", "Webcam frame"
    AUDIO = "audio", "Audio chunk"
    # Kept as evidence so a reviewer can compare the enrolled face with a flagged frame.
    ENROLLMENT = "enroll", "Enrollment frame"


class MediaItem(models.Model):
    """One uploaded webcam frame or audio chunk, kept only while needed.

    The file is deleted after analysis unless the item became evidence for an incident
    (``is_evidence``), the session is on legal hold, or retention settings say to keep it. The
    row stays (with ``file_deleted_at``) so results and incidents keep their references.
    """

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="media_items"
    )
    kind = models.CharField(max_length=8, choices=MediaKind.choices)
    file = models.FileField(upload_to=media_upload_to, max_length=255, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField(help_text="When the browser captured it (start).")
    received_at = models.DateTimeField(auto_now_add=True)
    is_evidence = models.BooleanField(default=False)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # Delivery bookkeeping (analysis.services.delivery): the lease starts when the item is
    # queued or a worker takes it, and ends (NULL) when its result is written, so the sweep
    # finds unfinished items through one small index whatever the broker lost.
    analysis_leased_at = models.DateTimeField(
        null=True, blank=True, default=timezone.now, help_text="NULL once analyzed."
    )
    analysis_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started analyzing it."
    )
    # The page's own id for the upload: a resend (over the websocket or HTTP, after a lost
    # ack) is answered as a duplicate instead of stored twice. Empty for clients without ids.
    client_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["captured_at", "pk"]
        indexes = [
            models.Index(fields=["session", "kind", "captured_at"]),
            models.Index(fields=["is_evidence", "file_deleted_at"]),
            models.Index(fields=["analysis_leased_at"], name="media_pending_lease"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=~models.Q(client_id=""),
                name="media_client_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.session_id})"

    @property
    def has_file(self) -> bool:
        return bool(self.file) and self.file_deleted_at is None


class ResultStatus(models.TextChoices):
    OK = "ok", "Analyzed"
    FAILED = "failed", "Failed"


class AnalysisResult(models.Model):
    """The seed's ``ai_monitoring_results``: one row per analyzed frame or audio chunk.

    ``raw`` holds the analyzers' full output; the key numbers are copied into columns so
    filters and statistics do not parse JSON.
    """

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="analysis_results"
    )
    media = models.OneToOneField(
        MediaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="result"
    )
    kind = models.CharField(max_length=8, choices=MediaKind.choices)
    captured_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=ResultStatus.choices, default=ResultStatus.OK)
    failure_reason = models.CharField(max_length=64, blank=True)
    analyzer_versions = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    face_count = models.PositiveSmallIntegerField(null=True, blank=True)
    head_yaw = models.FloatField(null=True, blank=True)
    head_pitch = models.FloatField(null=True, blank=True)
    head_roll = models.FloatField(null=True, blank=True)
    gaze_direction = models.CharField(max_length=16, blank=True)
    identity_similarity = models.FloatField(null=True, blank=True)
    speech_prob = models.FloatField(null=True, blank=True)
    speaker_count = models.PositiveSmallIntegerField(null=True, blank=True)
    loudness_dbfs = models.FloatField(null=True, blank=True)
    processing_ms = models.FloatField(default=0.0)
    risk_score = models.FloatField(default=0.0, help_text="0-100, this item alone.")
    labels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_monitoring_results"
        ordering = ["captured_at", "pk"]
        indexes = [
            models.Index(fields=["session", "captured_at"]),
            models.Index(fields=["captured_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} result #{self.pk} ({self.status})"


class ResultLabel(models.Model):
    """One row per label of a result, so label filters and counts are plain SQL on any DB."""

    result = models.ForeignKey(AnalysisResult, on_delete=models.CASCADE, related_name="label_rows")
    label = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "label"], name="one_label_per_result")
        ]
        indexes = [models.Index(fields=["label"])]

    def __str__(self) -> str:
        return self.label


class Enrollment(models.Model):
    """The candidate's identity (face) or voice template for one session.

    Biometric data, deleted with the session. The face enrollment frames themselves are kept
    as evidence media (``MediaKind.ENROLLMENT``) under the same retention as other evidence, so
    a reviewer can put them beside a frame flagged as a mismatch (ANALYSIS_KEEP_ENROLLMENT_FRAMES
    turns that off). A new enrollment of the same kind replaces the previous one.
    """

    class Kind(models.TextChoices):
        FACE = "face", "Face"
        VOICE = "voice", "Voice"

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="enrollments"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    template = models.JSONField(help_text="Normalised embedding vector.")
    model_version = models.CharField(max_length=64)
    samples_used = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_enrollment_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} enrollment ({self.session_id})"


class AggregationState(models.Model):
    """Where the per-session aggregator stands for one incident kind (pending evidence runs).

    ``state`` is the JSON of :class:`analysis.aggregation.KindState`; the row is locked while a
    result is folded in, so two workers cannot interleave updates of one session.
    """

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="aggregation_states"
    )
    kind = models.CharField(max_length=32)
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_state_per_session_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} state ({self.session_id})"


class SessionRisk(models.Model):
    """A session's 0-100 risk and level, with the incidents that contribute and how much."""

    class Level(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    session = models.OneToOneField(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="risk"
    )
    score = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.LOW)
    # The list's sort key: the expected number of confirmed violations (sum of the incidents'
    # probabilities), which keeps growing where the 0-100 score flattens out.
    expected_violations = models.FloatField(default=0.0)
    # sum of p(1 - p) over unreviewed incidents: where a human verdict removes most doubt.
    uncertainty = models.FloatField(default=0.0)
    model_version = models.CharField(max_length=32, blank=True, help_text="Empty: rules.")
    explanation = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["level", "score"]),
            models.Index(fields=["expected_violations"]),
        ]

    def __str__(self) -> str:
        return f"{self.score} ({self.level})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": str(self.session_id),
            "score": self.score,
            "level": self.level,
            "expected_violations": round(self.expected_violations, 4),
            "uncertainty": round(self.uncertainty, 4),
            "model_version": self.model_version,
            "explanation": self.explanation,
            "updated_at": self.updated_at,
        }


class MediaPurgeRun(models.Model):
    """One pass of the retention purge (scheduled, or ``manage.py purge_media``).

    Kept so operators (and ``/health/``) can see that retention actually runs and what it did.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField(help_text="Media captured before this was due.")
    files_deleted = models.PositiveIntegerField(default=0)
    bytes_deleted = models.PositiveBigIntegerField(default=0)
    kept_legal_hold = models.PositiveIntegerField(default=0)
    kept_active = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"purge {self.started_at:%Y-%m-%d %H:%M} ({self.files_deleted} files)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "cutoff": self.cutoff,
            "files_deleted": self.files_deleted,
            "bytes_deleted": self.bytes_deleted,
            "kept_legal_hold": self.kept_legal_hold,
            "kept_active": self.kept_active,
            "error": self.error,
        }


class RiskModelQuerySet(models.QuerySet):
    def active(self) -> RiskModel | None:
        return self.filter(is_active=True).order_by("-version").first()


class RiskModel(models.Model):
    """One training run of the learned incident risk (``train_risk_model``), kept forever.

    At most one row is active: the one serving probabilities. A run that did not beat the
    active model (or the rules) on the held-out split stays with ``status`` and ``reason``
    saying why; so does a run refused for too few verdicts (no weights then).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Replaced by a newer model"
        REJECTED = "rejected", "Not better than the champion"
        INSUFFICIENT = "insufficient", "Too few verdicts"
        FAILED = "failed", "Training failed"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    is_active = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    trigger = models.CharField(max_length=32, default="command")
    features_version = models.CharField(max_length=32)
    feature_names = models.JSONField(default=list)
    training_size = models.PositiveIntegerField(default=0)
    # confirmed / dismissed counts of all labelled incidents, and the split sizes.
    class_balance = models.JSONField(default=dict)
    verdict_count = models.PositiveIntegerField(
        default=0, help_text="Incident verdicts stored when training started."
    )
    # Network weights, standardisation and Platt calibration (empty when not trained).
    weights = models.JSONField(default=dict, blank=True)
    # Held-out figures of this model, the rules and the champion of the day: AUC, Brier, ECE,
    # per kind, the reliability bins and the bootstrap interval of the AUC gain.
    metrics = models.JSONField(default=dict, blank=True)
    auc = models.FloatField(null=True, blank=True)
    brier = models.FloatField(null=True, blank=True)
    ece = models.FloatField(null=True, blank=True)
    rules_auc = models.FloatField(null=True, blank=True)
    rules_ece = models.FloatField(null=True, blank=True)
    training_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RiskModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_risk_model",
            )
        ]

    def __str__(self) -> str:
        return f"risk model v{self.version} ({self.status})"

    @property
    def label(self) -> str:
        return f"risk-model-v{self.version}"
