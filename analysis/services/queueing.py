"""How uploads reach the workers: one task per session's waiting items, not one per item.

Each upload, once committed, asks for its session's items to be analysed. A marker in the
cache (Redis when configured, so every server process sees it) says a task for the session is
already queued: while it stands, further uploads queue nothing, and the task, when a worker
runs it, takes every waiting item of the session (up to ``ANALYSIS_BATCH_MAX_ITEMS``, in
capture order). The task clears the marker before it looks, so an item committed after the
look queues a new task; one committed before is in the look. A marker whose task was lost
(a cluster killed with the task in hand) expires after ``ANALYSIS_BATCH_MARKER_S``; the
sweep delivers its items again in any case, one task per item, as it always has.

With the marker, batching needs no coordination beyond the claim: two tasks of one session
(an expired marker) claim disjoint items, since a batch only claims items no delivery has
started (``media_claim_fresh``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.tasks import async_task

from .analyze import media_analyze_pending, media_fail

logger = logging.getLogger(__name__)

ANALYZE_TASK = "analysis.tasks.media_analyze"
SESSION_TASK = "analysis.tasks.session_media_analyze"


_redis_brokers: dict[int, Broker] = {}


def analysis_broker() -> Broker | None:
    """One Redis broker per process for queuing analyses, or None (django-q's default).

    ``async_task`` without a broker calls ``get_broker()``, which builds a new Redis client,
    so every upload opened (and dropped) a TCP connection to Redis with its handshake: the
    largest single cost of storing a frame after the database (cProfile of
    ``media_from_socket``). A redis-py client is thread-safe, so the ingest pool's threads share
    one; keyed by pid so a forked process builds its own. Other brokers are left as they are.
    """
    if not Conf.REDIS or Conf.ORM:
        return None
    pid = os.getpid()
    broker = _redis_brokers.get(pid)
    if broker is None:
        broker = _redis_brokers[pid] = get_broker()
    return broker


def _queue(task: str, *args: Any) -> None:
    broker = analysis_broker()
    if broker is None:
        async_task(task, *args)
    else:
        async_task(task, *args, broker=broker)


def _marker(session_id: Any) -> str:
    return f"analysis-batch:{session_id}"


def media_analysis_enqueue(*, session_id: Any, media_id: int) -> None:
    """Queue the analysis of a committed upload: its session's task, unless one is queued."""
    if settings.ANALYSIS_BATCH_MAX_ITEMS <= 1:
        _queue(ANALYZE_TASK, media_id)
        return
    try:
        fresh = cache.add(_marker(session_id), media_id, timeout=settings.ANALYSIS_BATCH_MARKER_S)
    except Exception as exc:  # no cache: one task per item, as without batching
        logger.warning("analysis: batch marker unavailable: %s", exc.__class__.__name__)
        _queue(ANALYZE_TASK, media_id)
        return
    if fresh:
        _queue(SESSION_TASK, str(session_id))


def sessions_with_queued_task(session_ids: set[Any]) -> set[Any]:
    """Those of ``session_ids`` whose task is queued (their marker stands). Without a cache,
    none: the sweep then treats their items as it always did."""
    if not session_ids or settings.ANALYSIS_BATCH_MAX_ITEMS <= 1:
        return set()
    keys = {_marker(session_id): session_id for session_id in session_ids}
    try:
        found = cache.get_many(list(keys))
    except Exception as exc:
        logger.warning("analysis: batch markers unavailable: %s", exc.__class__.__name__)
        return set()
    return {keys[key] for key in found}


def session_media_analyze_waiting(*, session_id: Any) -> list[int]:
    """Analyze the session's waiting items (up to ANALYSIS_BATCH_MAX_ITEMS); queue the next
    task when more wait. Returns the media ids that got a result from this task."""
    try:
        cache.delete(_marker(session_id))
    except Exception as exc:  # the marker then expires on its own
        logger.warning("analysis: batch marker unavailable: %s", exc.__class__.__name__)
    done, more = media_analyze_pending(
        session_id=session_id,
        limit=settings.ANALYSIS_BATCH_MAX_ITEMS,
        on_error=lambda media_id: media_fail(media_id=media_id, reason="internal_error"),
    )
    if more:
        media_analysis_enqueue(session_id=session_id, media_id=done[-1] if done else 0)
    return done
