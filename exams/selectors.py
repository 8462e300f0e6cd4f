"""Reads for exams and sessions, shared by every app that acts on a candidate's session."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError

from accounts.models import User
from proctoring_site.exceptions import ConflictError, NotFoundError

from .models import Exam, ExamSession
from .services import session_expire_if_due


def session_for_user(*, user: User, session_id: UUID | str) -> ExamSession:
    """The session ``session_id`` as ``user`` may see it.

    A candidate gets only their own sessions; anybody else's is NotFoundError, exactly as a
    session that does not exist (no existence leak). Reviewers see every session. A session
    past its deadline is expired on the way (expiry does not wait for the scheduler).
    """
    try:
        session = ExamSession.objects.select_related("exam", "candidate").get(pk=session_id)
    except (ExamSession.DoesNotExist, ValidationError, ValueError):
        raise NotFoundError("No such session.") from None
    if not user.is_reviewer and session.candidate_id != user.pk:
        raise NotFoundError("No such session.")
    if session_expire_if_due(session):
        session.refresh_from_db()
    return session


def session_require_active(session: ExamSession) -> None:
    """ConflictError (409) unless the session still accepts work."""
    if not session.is_active:
        raise ConflictError(
            f"This session is {session.status}; it no longer accepts data.",
            code="session_not_active",
            details={"status": session.status},
        )


def exams_available(*, at=None):
    return Exam.objects.filter(is_published=True).prefetch_related("problems")
