"""Reads for monitoring: which logs a user may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
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
