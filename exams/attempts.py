"""The attempt policy: how many sessions a candidate may start on one exam.

An exam allows ``max_attempts`` sessions (default 1); every session started counts, whatever
its end (submitted, terminated, expired). A proctor grants one more with
``session_attempt_grant``, which is an ``AttemptGrant`` row in the session's history (who,
when, why).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from accounts.models import User
from proctoring_site.exceptions import ConflictError, InvalidInputError

from .models import AttemptGrant, Exam, ExamSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempts:
    used: int
    allowed: int
    # A session of the exam still runs: the candidate may rejoin it whatever is left.
    active: bool = False

    @property
    def remaining(self) -> int:
        return max(0, self.allowed - self.used)


def attempts_for(*, candidate: User, exam: Exam) -> Attempts:
    used = ExamSession.objects.filter(candidate=candidate, exam=exam).count()
    grants = AttemptGrant.objects.filter(session__candidate=candidate, session__exam=exam).count()
    return Attempts(used=used, allowed=exam.max_attempts + grants)


def attempts_by_exam(*, candidate: User, exams: list[Exam]) -> dict[int, Attempts]:
    """``attempts_for`` of many exams in two queries (the candidate's exam list)."""
    ids = [exam.pk for exam in exams]
    used = dict(
        ExamSession.objects.filter(candidate=candidate, exam_id__in=ids)
        .values_list("exam_id")
        .annotate(n=Count("pk"))
    )
    grants = dict(
        AttemptGrant.objects.filter(session__candidate=candidate, session__exam_id__in=ids)
        .values_list("session__exam_id")
        .annotate(n=Count("pk"))
    )
    running = set(
        ExamSession.objects.active()
        .filter(candidate=candidate, exam_id__in=ids)
        .values_list("exam_id", flat=True)
    )
    return {
        exam.pk: Attempts(
            used=used.get(exam.pk, 0),
            allowed=exam.max_attempts + grants.get(exam.pk, 0),
            active=exam.pk in running,
        )
        for exam in exams
    }


def attempt_require_available(*, candidate: User, exam: Exam) -> None:
    """ConflictError ``attempt_limit_reached`` (409) when no attempt is left."""
    attempts = attempts_for(candidate=candidate, exam=exam)
    if attempts.remaining == 0:
        raise ConflictError(
            "You have used every attempt at this exam.",
            code="attempt_limit_reached",
            details={"used": attempts.used, "allowed": attempts.allowed},
        )


@transaction.atomic
def session_attempt_grant(*, session: ExamSession, actor: User, reason: str) -> AttemptGrant:
    """Give the candidate of the ended ``session`` one more attempt at its exam.

    Only an ended session can be the ground for a grant (409 otherwise), and a reason is
    required. The grant is a history row of that session.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("Say why another attempt is granted.", code="reason_required")
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
    if session.is_active:
        raise ConflictError(
            "This session is still running; grant an attempt once it has ended.",
            code="session_still_active",
        )
    grant = AttemptGrant.objects.create(session=session, reason=reason, actor=actor)
    logger.info("session %s: another attempt granted by user %s", session.pk, actor.pk)
    return grant
