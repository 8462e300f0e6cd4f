"""Retention: delete evidence files past their time, except where the law says keep them."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exams.lifecycle import ACTIVE_STATUSES

from ..models import MediaItem, MediaPurgeRun

logger = logging.getLogger(__name__)


@dataclass
class PurgeReport:
    cutoff: str
    deleted: Counter = field(default_factory=Counter)  # kind -> files
    bytes_deleted: int = 0
    missing_on_disk: int = 0  # rows whose file was already gone (marked deleted all the same)
    skipped_legal_hold: int = 0
    skipped_active: int = 0
    deleted_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def media_purge(*, older_than_days: int, dry_run: bool = False) -> PurgeReport:
    """Delete the files of media captured more than ``older_than_days`` days ago.

    Sessions on legal hold and sessions still running keep everything. Rows stay, marked
    ``file_deleted_at``, so incidents and results keep their references and the dashboard
    shows "purged". A second run finds nothing left to delete.
    """
    if older_than_days < 0:
        raise ValueError("older_than_days must be >= 0")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    report = PurgeReport(cutoff=cutoff.isoformat())
    rows = MediaItem.objects.filter(file_deleted_at__isnull=True).exclude(file="")
    due = rows.filter(captured_at__lt=cutoff)
    report.skipped_legal_hold = due.filter(session__legal_hold=True).count()
    report.skipped_active = due.filter(
        session__legal_hold=False, session__status__in=ACTIVE_STATUSES
    ).count()
    due = due.filter(session__legal_hold=False).exclude(session__status__in=ACTIVE_STATUSES)
    for item in due.order_by("pk").iterator(chunk_size=500):
        report.deleted[item.kind] += 1
        report.bytes_deleted += item.size_bytes or 0
        report.deleted_ids.append(item.pk)
        if dry_run:
            continue
        storage, name = item.file.storage, item.file.name
        with transaction.atomic():
            # Row first: a crash between the two leaves a stray file, never a row that
            # points at a file that is gone without saying so.
            MediaItem.objects.filter(pk=item.pk).update(file_deleted_at=timezone.now())
            try:
                if storage.exists(name):
                    storage.delete(name)
                else:
                    report.missing_on_disk += 1
            except OSError:
                logger.exception("purge_media: could not delete %s", name)
                raise
    logger.info(
        "purge_media: %s %d files (%d bytes) captured before %s; legal hold kept %d",
        "would delete" if dry_run else "deleted",
        report.total,
        report.bytes_deleted,
        report.cutoff,
        report.skipped_legal_hold,
    )
    return report


def media_purge_recorded(*, older_than_days: int) -> tuple[MediaPurgeRun, PurgeReport]:
    """``media_purge`` with a ``MediaPurgeRun`` row saying when it ran and what it did.

    The row is written before the purge starts and completed after, so a pass that crashed
    shows as started and never finished (with the error when there was one).
    """
    started = timezone.now()
    run = MediaPurgeRun.objects.create(
        started_at=started, cutoff=started - timedelta(days=older_than_days)
    )
    try:
        report = media_purge(older_than_days=older_than_days)
    except Exception as exc:
        run.error = f"{exc.__class__.__name__}: {exc}"[:200]
        run.save(update_fields=["error"])
        raise
    run.finished_at = timezone.now()
    run.files_deleted = report.total
    run.bytes_deleted = report.bytes_deleted
    run.kept_legal_hold = report.skipped_legal_hold
    run.kept_active = report.skipped_active
    run.save()
    return run, report


def media_purge_scheduled() -> MediaPurgeRun:
    """The scheduled retention pass: purge past ``MEDIA_RETENTION_DAYS``, recorded."""
    run, _report = media_purge_recorded(older_than_days=settings.MEDIA_RETENTION_DAYS)
    return run


def retention_health() -> dict[str, object]:
    """For ``/health/``: when retention last ran and what it did."""
    last = MediaPurgeRun.objects.order_by("-started_at").first()
    return {
        "retention_days": settings.MEDIA_RETENTION_DAYS,
        "last_run": last.as_dict() if last else None,
    }
