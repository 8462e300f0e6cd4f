"""The proctor's review: verdicts with history and actions on live sessions.

The tables were created by the exams app (``exams_incidentverdict`` and so on) and keep their
names: migration 0001 moved the models here in Django's state only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from exams.models import ExamSession


class VerdictRecord(models.Model):
    """What every verdict row holds: rows are never updated, each is one history entry."""

    notes = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class IncidentVerdict(VerdictRecord):
    """A reviewer's verdict on one incident.

    A second reviewer's verdict is a new row beside the first; the incident's ``review_status``
    mirrors the latest row.
    """

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"
        NEEDS_SECOND_REVIEW = "needs_second_review", "Needs second review"

    incident = models.ForeignKey(
        "monitoring.Incident", on_delete=models.CASCADE, related_name="verdicts"
    )
    verdict = models.CharField(max_length=24, choices=Verdict.choices)

    class Meta(VerdictRecord.Meta):
        db_table = "exams_incidentverdict"
        verbose_name = "incident verdict"

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.reviewer_id} on incident {self.incident_id}"


class SessionVerdict(VerdictRecord):
    """A reviewer's verdict on a whole session; append-only history like IncidentVerdict."""

    class Verdict(models.TextChoices):
        CLEAR = "clear", "Clear"
        SUSPICIOUS = "suspicious", "Suspicious"
        VIOLATION = "violation", "Violation"

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="verdicts")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)

    class Meta(VerdictRecord.Meta):
        db_table = "exams_sessionverdict"
        verbose_name = "session verdict"

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.reviewer_id} on {self.session_id}"


class ProctorAction(models.Model):
    """What a proctor did to a live session (warning, termination), for the session history.

    Also carries the dashboard's custom permissions, so the Proctors group can be granted
    "warn", "terminate" and "view evidence" without any right to edit data.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        TERMINATION = "termination", "Termination"

    session = models.ForeignKey(
        ExamSession, on_delete=models.CASCADE, related_name="proctor_actions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "exams_proctoraction"
        ordering = ["created_at", "pk"]
        permissions = [
            ("warn_session", "Can warn a candidate during a session"),
            ("terminate_session", "Can terminate a session"),
            ("view_evidence", "Can view evidence media (frames, audio, code)"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.session_id}"
