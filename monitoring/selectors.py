"""Reads for monitoring: which logs a user may see, and the proctor feed's opening picture."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from exams.models import ExamSession
from exams.selectors import session_for_user

from .models import MonitoringLog


def logs_for_user(
    *,
    user: User,
    session_id: Any = None,
    exam_id: int | None = None,
    types: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[MonitoringLog]:
    """Monitoring logs ``user`` may read, filtered; in session and chain order.

    A candidate sees only their own sessions' logs (another's session id is NotFoundError);
    proctors and admins see every session's. ``since``/``until`` bound the page's timestamps.
    """
    logs = MonitoringLog.objects.all()
    if session_id is not None:
        session = session_for_user(user=user, session_id=session_id)
        logs = logs.filter(session=session)
    if not user.is_reviewer:
        logs = logs.filter(session__candidate=user)
    if exam_id is not None:
        logs = logs.filter(session__exam_id=exam_id)
    if types:
        logs = logs.filter(type__in=types)
    if since is not None:
        logs = logs.filter(client_ts__gte=since)
    if until is not None:
        logs = logs.filter(client_ts__lt=until)
    return logs.order_by("session_id", "chain_index")


# The proctor feed's opening snapshot lists at most this many sessions.
SNAPSHOT_MAX_SESSIONS = 500


def active_sessions_snapshot(*, exam_id: int | None = None) -> list[dict[str, Any]]:
    """Running sessions (one exam's, or all) with their open incidents, for a feed that just
    connected: the live messages that follow are changes to this picture."""
    sessions = (
        ExamSession.objects.active()
        .select_related("candidate")
        .annotate(open_incidents=Count("incidents", filter=Q(incidents__ended_at__isnull=True)))
        .order_by("started_at", "pk")
    )
    if exam_id is not None:
        sessions = sessions.filter(exam_id=exam_id)
    return [
        {
            "session_id": str(session.pk),
            "exam_id": session.exam_id,
            "candidate_id": session.candidate_id,
            "candidate": session.candidate.display_name,
            "status": session.status,
            "started_at": session.started_at.isoformat() if session.started_at else None,
            "ends_at": session.ends_at.isoformat() if session.ends_at else None,
            "open_incidents": session.open_incidents,
        }
        for session in sessions[:SNAPSHOT_MAX_SESSIONS]
    ]
