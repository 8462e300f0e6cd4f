"""Privacy by default: media files are deleted as soon as they cannot become evidence."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis.aggregation import KindState
from analysis.models import AggregationState, MediaItem, MediaKind

logger = logging.getLogger(__name__)


def pending_media_ids(session: Any, exclude_kinds: Iterable[str] = ()) -> set[int]:
    """Media held by the aggregator: part of a run that may still become an incident."""
    held: set[int] = set()
    states = AggregationState.objects.filter(session=session).exclude(kind__in=list(exclude_kinds))
    for state in states.only("state"):
        held.update(ref["id"] for ref in KindState.from_json(state.state).pending_refs())
    return held


def media_release(
    *,
    session: Any,
    media_ids: Iterable[int],
    failed: bool = False,
    held: set[int] | None = None,
) -> int:
    """Delete the files of ``media_ids`` that are not evidence and not held by a pending run.

    Rows stay (``file_deleted_at`` set) so results keep their reference. Nothing is deleted for
    a session on legal hold or when retention settings keep non-evidence media. ``held`` is the
    set of media ids pending runs still hold, when the caller already knows it. Files go after
    the transaction commits, so a rollback never leaves a row pointing at a deleted file.
    """
    ids = set(media_ids)
    if not ids or getattr(session, "legal_hold", False):
        return 0
    if settings.ANALYSIS_KEEP_NON_EVIDENCE_MEDIA and not failed:
        return 0
    ids -= pending_media_ids(session) if held is None else held
    items = list(
        MediaItem.objects.filter(
            pk__in=ids, session=session, is_evidence=False, file_deleted_at__isnull=True
        )
    )
    if not items:
        return 0
    names = [item.file.name for item in items if item.file]
    MediaItem.objects.filter(pk__in=[item.pk for item in items]).update(
        file_deleted_at=timezone.now()
    )
    storage = MediaItem._meta.get_field("file").storage

    def delete_files() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("analysis: could not delete media file %s", name)

    transaction.on_commit(delete_files)
    return len(items)


def session_media_finalize(*, session: Any) -> int:
    """Once a session is over and every item is analyzed, runs can no longer resolve: release.

    Pending runs that never became incidents hold their media only while more items may come;
    after the session ends (and the queue has drained for it) those files are deleted.
    Returns the number of files released.
    """
    if session.is_active:
        return 0
    unanalyzed = MediaItem.objects.filter(session=session, result__isnull=True).exclude(
        kind=MediaKind.ENROLLMENT
    )
    if unanalyzed.exists():
        return 0  # the worker still has items of this session to analyze
    held = pending_media_ids(session)
    AggregationState.objects.filter(session=session).delete()
    # Speech chunks the voice judgement held for its window (aggregate._voice_window_media) can
    # no longer become evidence either.
    audio = MediaItem.objects.filter(
        session=session, kind=MediaKind.AUDIO, is_evidence=False, file_deleted_at__isnull=True
    ).values_list("pk", flat=True)
    return media_release(session=session, media_ids=held | set(audio))
