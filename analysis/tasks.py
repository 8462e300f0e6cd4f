"""django-q2 entry points of the analysis app (they take ids and call a service)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def media_analyze(media_id: int) -> str:
    """Analyze one uploaded frame or chunk. Never raises: a worker must outlive bad media."""
    from .services import media_analyze as service

    try:
        result = service(media_id=media_id)
    except Exception:
        logger.exception("analysis: task failed for media %s", media_id)
        _record_internal_error(media_id)
        return "error"
    if result is None:
        return "skipped"
    return result.status if not result.failure_reason else f"failed:{result.failure_reason}"


def session_media_analyze(session_id: str) -> str:
    """Analyze one session's waiting frames and chunks in capture order (several per task).

    Never raises: an item that fails unexpectedly gets a failed result and the rest go on.
    """
    from .services.queueing import session_media_analyze_waiting

    done = session_media_analyze_waiting(session_id=session_id)
    return "analysed " + ",".join(str(media_id) for media_id in done)


def worker_preload(sender: Any = None, proc_name: str = "", **kwargs: Any) -> None:
    """post_spawn: load the models once when a worker process starts."""
    if not settings.ANALYSIS_PRELOAD_MODELS:
        return
    from .runner import preload_models

    try:
        preload_models()
    except Exception:  # the first task will load (or fail) lazily instead
        logger.exception("analysis: could not preload models in %s", proc_name)


def sweep_unfinished_media() -> str:
    """Scheduled every minute: deliver again what a crash lost, fail what keeps crashing."""
    from .services import media_sweep_unfinished

    report = media_sweep_unfinished()
    return f"requeued {report.requeued}, failed {report.failed}, deferred {report.deferred}"


def _record_internal_error(media_id: int) -> None:
    """Leave no item without a result (it would hold its session's media): mark it failed."""
    from .services import media_fail

    try:
        media_fail(media_id=media_id, reason="internal_error")
    except Exception:  # the database itself is failing: the sweep will deliver it again
        logger.exception("analysis: could not record the failure of media %s", media_id)


def purge_expired_media() -> str:
    """Scheduled hourly: delete media past MEDIA_RETENTION_DAYS and record the run."""
    from .services.purge import media_purge_scheduled

    run = media_purge_scheduled()
    return f"deleted {run.files_deleted} file(s) captured before {run.cutoff.isoformat()}"
