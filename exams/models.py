from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .lifecycle import ACTIVE_STATUSES, SessionStatus
from .policy import effective_policy


class Exam(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=60)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Window opens.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Window closes.")
    policy = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the default monitoring policy."
    )
    is_published = models.BooleanField(default=True)
    max_attempts = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Sessions a candidate may start; a proctor can grant more, one at a time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return (self.starts_at is None or self.starts_at <= at) and (
            self.ends_at is None or at < self.ends_at
        )


class Problem(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="problems")
    title = models.CharField(max_length=200)
    statement = models.TextField()
    starter_code = models.TextField(blank=True)
    language = models.CharField(max_length=32, default="python")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exam", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class ExamSessionQuerySet(models.QuerySet):
    def active(self) -> ExamSessionQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def for_candidate(self, user: Any) -> ExamSessionQuerySet:
        return self.filter(candidate=user)

    def due_to_expire(self, at: Any = None) -> ExamSessionQuerySet:
        return self.active().filter(ends_at__lte=at or timezone.now())


class ExamSession(models.Model):
    """The seed's ``exam_sessions``: one candidate taking one exam, with its lifecycle."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_sessions"
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.CREATED
    )
    # sha256 of the session token; the token itself is shown to the candidate once.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Deadline.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    problems_opened_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the candidate reached the problems: the exam's clock starts then.",
    )
    accommodations = models.JSONField(
        default=dict, blank=True, help_text="Per-candidate policy overrides."
    )
    legal_hold = models.BooleanField(
        default=False, help_text="Keep all media of this session; purges skip it."
    )
    client_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    objects = ExamSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "exam"],
                condition=Q(status__in=[SessionStatus.CREATED, SessionStatus.IN_PROGRESS]),
                name="one_active_session_per_candidate_exam",
            )
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.candidate} / {self.exam} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def policy(self) -> dict[str, Any]:
        return effective_policy(self.exam.policy, self.accommodations)


class SessionTransition(models.Model):
    """History: one row per status change of a session (who, when, why)."""

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=SessionStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=SessionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class AttemptGrant(models.Model):
    """A proctor's grant of one more attempt at the exam of ``session`` (who, when, why).

    Part of the session's history beside its transitions; ``exams.attempts`` counts these.
    """

    session = models.ForeignKey(
        ExamSession, on_delete=models.CASCADE, related_name="attempt_grants"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [("grant_attempt", "Can grant a candidate another attempt at an exam")]

    def __str__(self) -> str:
        return f"Another attempt granted on {self.session_id}"
