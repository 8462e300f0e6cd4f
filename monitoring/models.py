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
        TRANSCRIBED_TYPING = "transcribed_typing", "Typed at a transcription rhythm"
        UNTYPED_SUBMISSION = "untyped_submission", "Submitted code not written in the editor"
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


class EventType(models.TextChoices):
    """What the exam page may report (``POST /api/monitoring/data`` and ``ws/exam/``)."""

    HEARTBEAT = "heartbeat", "Heartbeat"
    TAB_HIDDEN = "tab_hidden", "Tab hidden"
    TAB_VISIBLE = "tab_visible", "Tab visible"
    WINDOW_BLUR = "window_blur", "Window lost focus"
    WINDOW_FOCUS = "window_focus", "Window focused"
    FULLSCREEN_EXIT = "fullscreen_exit", "Left fullscreen"
    FULLSCREEN_ENTER = "fullscreen_enter", "Entered fullscreen"
    COPY = "copy", "Copy"
    CUT = "cut", "Cut"
    PASTE = "paste", "Paste"
    CAMERA_ON = "camera_on", "Camera on"
    CAMERA_OFF = "camera_off", "Camera off"
    MIC_ON = "mic_on", "Microphone on"
    MIC_OFF = "mic_off", "Microphone off"
    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    DISPLAYS_CHANGED = "displays_changed", "Displays changed"
    EDITOR_ACTIVITY = "editor_activity", "Editor activity"
    EDITOR_CHANGES = "editor_changes", "Editor changes"
    # The page says what it is and what it records (``{"client": "exam-page",
    # "editor_recording": true}``), once per page load: authorship checks that need the
    # editor's records apply only to sessions whose page recorded them.
    CLIENT_INFO = "client_info", "Client declared"


class MonitoringLog(models.Model):
    """The seed's ``monitoring_logs``: one row per event the exam page sent, stored once.

    ``seq`` is the page's own counter (unique per session, so retries are idempotent);
    ``chain_index`` is the server's arrival order, and ``hash`` covers the previous row's hash
    and this row's canonical content, so an edited, inserted or deleted row breaks the chain
    (``manage.py verify_log_chain``).
    """

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="monitoring_logs"
    )
    seq = models.PositiveBigIntegerField(help_text="The page's sequence number (from 1).")
    type = models.CharField(max_length=24, choices=EventType.choices)
    client_ts = models.DateTimeField(help_text="When the page saw the event (its clock).")
    server_ts = models.DateTimeField(help_text="When the server stored it.")
    payload = models.JSONField(default=dict, blank=True)
    chain_index = models.PositiveBigIntegerField(help_text="Position in the session's chain.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["session_id", "chain_index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="monitoring_log_session_seq"),
            models.UniqueConstraint(
                fields=["session", "chain_index"], name="monitoring_log_session_chain_index"
            ),
        ]
        indexes = [
            models.Index(fields=["session", "type", "client_ts"]),
            models.Index(fields=["client_ts"]),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.seq} {self.type}"


class SessionMonitor(models.Model):
    """Per-session ingest state: the chain head, what was received, what was derived.

    Every append locks this row first (``SELECT ... FOR UPDATE`` on PostgreSQL, several in
    session order for a group commit; SQLite's writer holds the database lock), so concurrent
    batches of one session are serialised and the chain stays linear.
    """

    session = models.OneToOneField(
        "exams.ExamSession",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="monitor",
    )
    chain_length = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    contiguous_seq = models.PositiveBigIntegerField(
        default=0, help_text="Every seq from 1 to this one is stored."
    )
    max_seq = models.PositiveBigIntegerField(default=0)
    derived_seq = models.PositiveBigIntegerField(
        default=0, help_text="Events up to this seq were turned into incidents."
    )
    derive_state = models.JSONField(default=dict, blank=True)
    last_event_at = models.DateTimeField(
        null=True, blank=True, help_text="Server time of the last batch (liveness)."
    )
    offline_incident_id = models.BigIntegerField(null=True, blank=True)
    settled = models.BooleanField(
        default=False, help_text="Nothing left for the sweep to do (set again by each batch)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["settled"])]

    def __str__(self) -> str:
        return f"monitor {self.session_id}: {self.chain_length} rows"
