"""Writes for exams and sessions. Every status change goes through ``session_transition``."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_tokens_revoke
from proctoring_site.exceptions import ConflictError, NotFoundError
from proctoring_site.realtime import proctor_feed_publish, session_publish

from .attempts import attempt_require_available
from .lifecycle import SessionStatus, is_transition_legal
from .models import Exam, ExamSession, SessionTransition

logger = logging.getLogger(__name__)


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session_event_data(session: ExamSession) -> dict[str, Any]:
    return {
        "session_id": str(session.pk),
        "exam_id": session.exam_id,
        "candidate_id": session.candidate_id,
        "status": session.status,
        "ends_at": session.ends_at.isoformat() if session.ends_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "end_reason": session.end_reason,
    }


@transaction.atomic
def session_transition(
    *,
    session_id: UUID | str,
    to_status: str,
    actor: User | None,
    reason: str = "",
) -> ExamSession:
    """Move a session to ``to_status`` if the lifecycle allows it, with a history row.

    The row is locked while it changes, so two concurrent moves cannot both succeed. An illegal
    move raises ConflictError and changes nothing.
    """
    session = ExamSession.objects.select_for_update().select_related("exam").get(pk=session_id)
    from_status = session.status
    if not is_transition_legal(from_status, to_status):
        raise ConflictError(
            f"A session that is {from_status} cannot become {to_status}.",
            code="illegal_transition",
            details={"status": from_status, "requested": to_status},
        )
    now = timezone.now()
    session.status = to_status
    update_fields = ["status"]
    if to_status == SessionStatus.IN_PROGRESS:
        session.started_at = now
        update_fields.append("started_at")
    else:
        session.ended_at = now
        session.end_reason = reason
        update_fields += ["ended_at", "end_reason"]
    session.save(update_fields=update_fields)
    SessionTransition.objects.create(
        session=session,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        created_at=now,
    )
    logger.info(
        "session %s: %s -> %s by %s",
        session.pk,
        from_status,
        to_status,
        actor.pk if actor else "system",
    )
    data = _session_event_data(session)
    proctor_feed_publish(event="session.status", data=data, exam_id=session.exam_id)
    session_publish(session_id=session.pk, event="session.status", data=data)
    return session


def session_start(
    *,
    candidate: User,
    exam: Exam,
    consent: bool = False,
    client_ip: str = "",
    user_agent: str = "",
) -> tuple[ExamSession, str]:
    """Open a session for ``candidate`` on ``exam`` and start its clock.

    Returns the session and its token (256 random bits); only the token's hash is stored, so
    this is the one moment the token exists in clear. One active session per candidate and
    exam: a second start answers ConflictError with the active session's id. An ended
    session stays ended: without an attempt left (``exams.attempts``) the start is
    ConflictError ``attempt_limit_reached``.
    """
    now = timezone.now()
    if not exam.is_open(now):
        raise ConflictError("This exam is not open now.", code="exam_not_open")
    active = ExamSession.objects.active().filter(candidate=candidate, exam=exam).first()
    if active is not None:
        session_expire_if_due(active)
        active.refresh_from_db()
        if active.is_active:
            raise ConflictError(
                "You already have an active session for this exam.",
                code="session_already_active",
                details={"session_id": str(active.pk)},
            )
    attempt_require_available(candidate=candidate, exam=exam)
    token = secrets.token_urlsafe(32)
    deadline = now + timedelta(minutes=exam.duration_minutes)
    if exam.ends_at is not None:
        deadline = min(deadline, exam.ends_at)
    try:
        with transaction.atomic():
            session = ExamSession.objects.create(
                candidate=candidate,
                exam=exam,
                token_hash=session_token_hash(token),
                ends_at=deadline,
                consent_at=now if consent else None,
                client_ip=client_ip[:45],
                user_agent=user_agent[:400],
            )
            SessionTransition.objects.create(
                session=session, to_status=SessionStatus.CREATED, actor=candidate
            )
            session = session_transition(
                session_id=session.pk,
                to_status=SessionStatus.IN_PROGRESS,
                actor=candidate,
                reason="Candidate started the exam.",
            )
    except IntegrityError as exc:  # a concurrent start for the same exam won
        raise ConflictError(
            "You already have an active session for this exam.", code="session_already_active"
        ) from exc
    return session, token


def session_get_by_token(*, candidate: User, token: str) -> ExamSession:
    """The candidate's own session for ``token``; anyone else's (or none) is NotFoundError."""
    session = (
        ExamSession.objects.select_related("exam")
        .filter(token_hash=session_token_hash(token), candidate=candidate)
        .first()
    )
    if session is None:
        raise NotFoundError("No such session.")
    return session


def session_end(*, session: ExamSession, actor: User) -> ExamSession:
    """The candidate finishes: in_progress -> submitted (expires instead when time ran out)."""
    if session_expire_if_due(session):
        raise ConflictError(
            "The time for this session ran out; it has expired.", code="session_expired"
        )
    return session_transition(
        session_id=session.pk,
        to_status=SessionStatus.SUBMITTED,
        actor=actor,
        reason="Candidate ended the exam.",
    )


def session_terminate(*, session: ExamSession, actor: User, reason: str) -> ExamSession:
    """A proctor or admin stops a session at once; the candidate's page is told why.

    The candidate's JWTs are revoked too: a terminated candidate signs in again to see the
    outcome, and nothing they held before keeps working.
    """
    with transaction.atomic():
        session = session_transition(
            session_id=session.pk,
            to_status=SessionStatus.TERMINATED,
            actor=actor,
            reason=reason,
        )
        user_tokens_revoke(user=session.candidate, reason="session terminated")
    session_publish(
        session_id=session.pk,
        event="session.terminated",
        data={"session_id": str(session.pk), "reason": reason},
    )
    return session


def session_consent_record(*, session: ExamSession) -> ExamSession:
    """Store when the candidate agreed to monitoring (kept from the first time)."""
    if session.consent_at is None:
        session.consent_at = timezone.now()
        session.save(update_fields=["consent_at"])
    return session


def session_problems_open(*, session: ExamSession) -> ExamSession:
    """The candidate reached the problems: the exam's clock starts now, once.

    Until then (system check, consent, identity check) the session runs on the deadline set at
    its start, so a candidate who never gets through still expires; the first call moves the
    deadline to now + the exam's duration (never past the exam's own end). Later calls (a
    reload, a second tab) change nothing.
    """
    if session.problems_opened_at is not None or not session.is_active:
        return session
    with transaction.atomic():
        locked = ExamSession.objects.select_for_update().get(pk=session.pk)
        if locked.problems_opened_at is None and locked.is_active:
            now = timezone.now()
            deadline = now + timedelta(minutes=locked.exam.duration_minutes)
            if locked.exam.ends_at is not None:
                deadline = min(deadline, locked.exam.ends_at)
            locked.problems_opened_at = now
            locked.ends_at = deadline
            locked.save(update_fields=["problems_opened_at", "ends_at"])
            logger.info("session %s: problems opened, ends at %s", locked.pk, locked.ends_at)
    return locked


def session_expire_if_due(session: ExamSession) -> bool:
    """Expire ``session`` if its deadline passed. True when it is (now) expired by time."""
    if not session.is_active or session.ends_at is None or session.ends_at > timezone.now():
        return False
    # ConflictError: someone else ended it at the same moment, which is fine.
    with contextlib.suppress(ConflictError):
        session_transition(
            session_id=session.pk,
            to_status=SessionStatus.EXPIRED,
            actor=None,
            reason="Time ran out.",
        )
    session.refresh_from_db()
    return session.status == SessionStatus.EXPIRED


def sessions_expire_due() -> int:
    """Expire every active session whose deadline passed. Returns how many were expired."""
    count = 0
    for session in ExamSession.objects.due_to_expire():
        if session_expire_if_due(session):
            count += 1
    return count
