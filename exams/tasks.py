"""django-q2 entry points for exams."""

from __future__ import annotations

from .services import sessions_expire_due


def expire_due_sessions() -> int:
    """Scheduled every minute: sessions whose time ran out become expired by themselves."""
    return sessions_expire_due()


def purge_expired_media() -> str:
    """Scheduled hourly: delete media past MEDIA_RETENTION_DAYS and record the run."""
    from .dashboard.retention import media_purge_scheduled

    run = media_purge_scheduled()
    return f"deleted {run.files_deleted} file(s) captured before {run.cutoff.isoformat()}"
