"""No analysis is lost: the scheduled sweep delivers again what a crash or the broker dropped.

django-q2's Redis broker has no delivery receipts (a task popped by a cluster that is then
killed is gone) and a worker killed mid-task leaves no trace. The database is the record
instead: every frame or chunk holds a lease (``MediaItem.analysis_leased_at``) until its result
is written. The sweep, scheduled every minute, queues again every item whose lease expired
(it can't still be running: ``ANALYSIS_LEASE_S`` exceeds ``Q_TIMEOUT``) and gives a failed
``attempts_exhausted`` result to an item that workers started ``ANALYSIS_MAX_ATTEMPTS`` times
without finishing. Deliveries are idempotent (``media_analyze`` writes at most one result per
item, enforced by the database), so a spare delivery costs a lookup, never a second result.
The sweep does not care how tasks group items: it only reads and renews leases (and leaves
alone items no delivery started while their session's task is queued: waiting, not lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from analysis.models import MediaItem, MediaKind

from .analyze import media_fail
from .queueing import sessions_with_queued_task

logger = logging.getLogger(__name__)

ANALYZE_TASK = "analysis.tasks.media_analyze"


@dataclass
class SweepReport:
    requeued: int = 0
    failed: int = 0
    deferred: int = 0  # expired leases left for a later run: the queue is backed up


def _broker_backlog() -> int | None:
    from django_q.brokers import get_broker

    try:
        return get_broker().queue_size()
    except Exception as exc:  # a broker that can't answer: deliver again all the same
        logger.warning("analysis sweep: queue size unavailable: %s", exc.__class__.__name__)
        return None


def media_sweep_unfinished() -> SweepReport:
    """Queue again the items whose lease expired; fail those out of attempts.

    Safe to run concurrently with itself and with workers: an item is queued again only by
    the run that moved its lease (a compare-and-set on the old value). While more than
    ``ANALYSIS_SWEEP_MAX_BACKLOG`` tasks wait in the broker, expired items are not queued
    again: without delivery receipts an item waiting in a long queue looks the same as a lost
    one, and copies of waiting items would only lengthen the queue. They go once it drains.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.ANALYSIS_LEASE_S)
    stale = list(
        MediaItem.objects.filter(analysis_leased_at__lt=cutoff)
        .exclude(kind=MediaKind.ENROLLMENT)
        .order_by("analysis_leased_at")
        .values_list("pk", "analysis_leased_at", "analysis_attempts", "session_id")[
            : settings.ANALYSIS_SWEEP_BATCH
        ]
    )
    report = SweepReport()
    expired: list[tuple[int, datetime]] = []
    # An item no delivery started, whose session's task is queued (its marker stands), is
    # waiting, not lost: the broker holds one task per session, so its own length says little.
    queued = sessions_with_queued_task({row[3] for row in stale if row[2] == 0})
    for media_id, leased_at, attempts, session_id in stale:
        if attempts == 0 and session_id in queued:
            report.deferred += 1
        elif attempts < settings.ANALYSIS_MAX_ATTEMPTS:
            expired.append((media_id, leased_at))
        elif media_fail(media_id=media_id, reason="attempts_exhausted") is not None:
            report.failed += 1
            logger.warning("analysis: media %s failed after %s attempts", media_id, attempts)
    backlog = _broker_backlog() if expired else None
    if backlog is not None and backlog > settings.ANALYSIS_SWEEP_MAX_BACKLOG:
        report.deferred += len(expired)
        expired = []
    # One transaction for the lease moves; each task is queued once they are committed.
    with transaction.atomic():
        for media_id, leased_at in expired:
            moved = MediaItem.objects.filter(pk=media_id, analysis_leased_at=leased_at).update(
                analysis_leased_at=now
            )
            if moved:
                transaction.on_commit(lambda media_id=media_id: async_task(ANALYZE_TASK, media_id))
            report.requeued += moved
    if report.requeued or report.failed or report.deferred:
        logger.warning(
            "analysis sweep: %d item(s) queued again, %d failed after %d attempts, "
            "%d deferred (%s tasks queued)",
            report.requeued,
            report.failed,
            settings.ANALYSIS_MAX_ATTEMPTS,
            report.deferred,
            backlog,
        )
    return report
