"""django-q2 entry points for exams."""

from __future__ import annotations

from .services import sessions_expire_due


def expire_due_sessions() -> int:
    """Scheduled every minute: sessions whose time ran out become expired by themselves."""
    return sessions_expire_due()
