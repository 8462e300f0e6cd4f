from __future__ import annotations

from django.db import models


class Incident(models.Model):
    """The seed's ``suspicious_activities``: something worth a proctor's look, over a time span.

    Browser events, analyzers, code similarity and proctors all record incidents here. An
    incident is open while ``ended_at`` is null.
    """

    class Kind(models.TextChoices):
        TAB_HIDDEN = "tab_hidden", "Tab hidden"
        WINDOW_BLUR = "window_blur", "Window lost focus"
        FULLSCREEN_EXIT = "fullscreen_exit", "Left fullscreen"
        LARGE_PASTE = "large_paste", "Large paste"
        CAMERA_OFF = "camera_off", "Camera off"
        MIC_OFF = "mic_off", "Microphone off"
        OFFLINE = "offline", "Went offline"
        DISPLAYS_CHANGED = "displays_changed", "Displays changed"
        NO_FACE = "no_face", "No face"
        MULTIPLE_FACES = "multiple_faces", "Several faces"
        LOOKING_AWAY = "looking_away", "Looking away"
        IDENTITY_MISMATCH = "identity_mismatch", "Identity mismatch"
        CAMERA_OBSTRUCTED = "camera_obstructed", "Camera obstructed"
        LOW_QUALITY = "low_quality", "Low image quality"
        BACKGROUND_VOICE = "background_voice", "Background voice"
        MULTIPLE_VOICES = "multiple_voices", "Several voices"
        CODE_SIMILARITY = "code_similarity", "Code similarity"
        MANUAL = "manual", "Flagged by proctor"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Source(models.TextChoices):
        BROWSER = "browser", "Browser"
        ANALYZER = "analyzer", "Analyzer"
        SIMILARITY = "similarity", "Code similarity"
        PROCTOR = "proctor", "Proctor"
        CANDIDATE = "candidate", "Candidate page"

    class ReviewStatus(models.TextChoices):
        UNREVIEWED = "unreviewed", "Unreviewed"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"
        NEEDS_SECOND_REVIEW = "needs_second_review", "Needs second review"

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    source = models.CharField(max_length=16, choices=Source.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    confidence = models.FloatField(default=1.0)
    details = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(
        default=list, blank=True, help_text="References to logs, frames, clips or code regions."
    )
    review_status = models.CharField(
        max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.UNREVIEWED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["session", "kind", "started_at"]),
            models.Index(fields=["review_status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.session_id})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())
