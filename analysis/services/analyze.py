"""Analysis of stored media (the worker's job) and of inline payloads (/analyze)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from analysis import runner, scoring
from analysis.live import live_frame_publish
from analysis.models import (
    AnalysisResult,
    Enrollment,
    MediaItem,
    MediaKind,
    ResultLabel,
    ResultStatus,
)
from analysis.runner import ItemAnalysis
from analysis.selectors import recent_voice_windows

from .aggregate import result_aggregate, session_aggregation_reset
from .retention import media_release, session_media_finalize

logger = logging.getLogger(__name__)


@dataclass
class _Batch:
    """What the items of one session analysed in one task share: read once, then kept up to
    date in memory as each item is stored (fewer queries per item; see media_analyze_many)."""

    templates: dict[str, list[float] | None] = field(default_factory=dict)
    frames_done: int | None = None
    # The session's latest frame results, newest first (None: not read yet).
    recent_frames: list[dict[str, Any]] | None = None


def _template(session_id: Any, kind: str, batch: _Batch | None = None) -> list[float] | None:
    if batch is not None and kind in batch.templates:
        return batch.templates[kind]
    enrollment = Enrollment.objects.filter(session_id=session_id, kind=kind).first()
    template = enrollment.template if enrollment else None
    if batch is not None:
        batch.templates[kind] = template
    return template


def _identity_due(session: Any, policy: dict[str, Any], batch: _Batch | None = None) -> bool:
    every = max(1, int(policy.get("identity_check_every_n_frames", 5)))
    if batch is not None and batch.frames_done is not None:
        return batch.frames_done % every == 0
    done = AnalysisResult.objects.filter(session=session, kind=MediaKind.FRAME).count()
    if batch is not None:
        batch.frames_done = done
    return done % every == 0


# Columns an unchanged frame takes from the frame it matched (not identity_similarity: only a
# frame whose identity was checked carries a similarity).
_CARRIED_COLUMNS = ("face_count", "head_yaw", "head_pitch", "head_roll", "gaze_direction")


_REFERENCE_FIELDS = ("pk", "media_id", "captured_at", "raw", "labels", "analyzer_versions")


def _recent_frames(media: MediaItem, batch: _Batch | None) -> list[dict[str, Any]]:
    if batch is not None and batch.recent_frames is not None:
        return batch.recent_frames
    keep = max(1, settings.ANALYSIS_UNCHANGED_MAX_RUN)
    rows = list(
        AnalysisResult.objects.filter(
            session_id=media.session_id, kind=MediaKind.FRAME, status=ResultStatus.OK
        )
        .order_by("-captured_at", "-pk")
        .values(*_REFERENCE_FIELDS, *_CARRIED_COLUMNS)[:keep]
    )
    if batch is not None:
        batch.recent_frames = rows
    return rows


def _unchanged_reference(media: MediaItem, batch: _Batch | None = None) -> dict[str, Any] | None:
    """The session's last fully analysed frame, if the next frame may be matched against it:
    fewer than ANALYSIS_UNCHANGED_MAX_RUN frames reported unchanged since, and captured at most
    ANALYSIS_UNCHANGED_MAX_AGE_S before this one. None forces a full analysis."""
    max_run = settings.ANALYSIS_UNCHANGED_MAX_RUN
    if max_run <= 0:
        return None
    since = media.captured_at - timedelta(seconds=settings.ANALYSIS_UNCHANGED_MAX_AGE_S)
    earlier = [r for r in _recent_frames(media, batch) if r["captured_at"] <= media.captured_at]
    for row in earlier[:max_run]:
        if row["captured_at"] < since:
            return None
        if "unchanged" in row["raw"]:
            continue
        return row if (row["raw"].get("change") or {}).get("thumbnail") else None
    return None


def _batch_record(batch: _Batch | None, result: AnalysisResult) -> None:
    """Keep the batch's view of the session current after storing ``result``."""
    if batch is None or result.kind != MediaKind.FRAME:
        return
    if batch.frames_done is not None:
        batch.frames_done += 1
    if batch.recent_frames is not None and result.status == ResultStatus.OK:
        row = {name: getattr(result, name) for name in (*_REFERENCE_FIELDS[1:], *_CARRIED_COLUMNS)}
        row["pk"] = result.pk
        rows = sorted(
            [row, *batch.recent_frames], key=lambda r: (r["captured_at"], r["pk"]), reverse=True
        )
        batch.recent_frames = rows[: max(1, settings.ANALYSIS_UNCHANGED_MAX_RUN)]


def _unchanged_analysis(reference: dict[str, Any], change: runner.FrameChange) -> ItemAnalysis:
    """The result of a frame that matched ``reference``: its labels, marked unchanged."""
    raw = {k: v for k, v in reference["raw"].items() if k not in ("change", "timings_ms")}
    raw.update(identity_similarity=None, identity_status="not_checked")
    raw["unchanged"] = {
        "matched_media_id": reference["media_id"],
        "matched_result_id": reference["pk"],
        "difference": change.difference,
        "threshold": change.threshold,
        "version": change.version,
    }
    return ItemAnalysis(
        ok=True,
        labels=list(reference["labels"]),
        raw=raw,
        versions={**reference["analyzer_versions"], "change": change.version},
        columns={column: reference[column] for column in _CARRIED_COLUMNS}
        | {"identity_similarity": None},
    )


def _frame_analysis(media: MediaItem, data: bytes, batch: _Batch | None) -> ItemAnalysis:
    """A full analysis, or the matched frame's result when the frame is unchanged.

    A frame due for an identity check is always analysed in full, so identity keeps its
    cadence; a fully analysed frame stores its thumbnail for the next frames to match.
    """
    started = time.perf_counter()
    session = media.session
    policy = session.policy
    template = _template(session.pk, Enrollment.Kind.FACE, batch)
    check_identity = _identity_due(session, policy, batch)
    identity_runs = check_identity and template is not None and runner.identity_on(policy)
    skip = settings.ANALYSIS_SKIP_UNCHANGED_FRAMES
    reference = _unchanged_reference(media, batch) if skip and not identity_runs else None
    thumbnail = (reference or {}).get("raw", {}).get("change", {}).get("thumbnail")
    change = runner.frame_change(data, thumbnail) if skip else None
    if change is not None and change.unchanged and reference is not None:
        analysis = _unchanged_analysis(reference, change)
        analysis.processing_ms = (time.perf_counter() - started) * 1000
        return analysis
    analysis = runner.frame_analyze(
        data, policy=policy, face_template=template, check_identity=check_identity
    )
    if analysis.ok and change is not None:
        analysis.raw["change"] = {
            "thumbnail": change.thumbnail,
            "difference": change.difference,
            "version": change.version,
        }
    return analysis


def _analysis_for(media: MediaItem, data: bytes, batch: _Batch | None = None) -> ItemAnalysis:
    session = media.session
    policy = session.policy
    if media.kind == MediaKind.FRAME:
        return _frame_analysis(media, data, batch)
    window_s = settings.ANALYSIS_VOICE_WINDOW_S
    recent = [
        runner.RecentChunk(media_id, (media.captured_at - at).total_seconds(), encoded)
        for media_id, at, encoded in recent_voice_windows(
            session_id=session.pk, before=media.captured_at, window_s=window_s
        )
    ]
    return runner.audio_analyze(
        data,
        policy=policy,
        voice_template=_template(session.pk, Enrollment.Kind.VOICE, batch),
        recent=recent,
    )


def result_record(
    *, session: Any, kind: str, captured_at: Any, analysis: ItemAnalysis, media: Any = None
) -> AnalysisResult:
    """Store one analyzed item (ok or failed) with its labels and per-item risk.

    A stored item's lease ends here. A second result for one item raises IntegrityError (the
    one-to-one ``media`` column): the database, not a prior read, makes analysis exactly-once.
    """
    labels = sorted(set(analysis.labels)) if analysis.ok else []
    result = AnalysisResult.objects.create(
        session=session,
        media=media,
        kind=kind,
        captured_at=captured_at,
        status=ResultStatus.OK if analysis.ok else ResultStatus.FAILED,
        failure_reason=analysis.failure_reason[:64],
        analyzer_versions=analysis.versions,
        raw=analysis.raw,
        processing_ms=round(analysis.processing_ms, 2),
        risk_score=scoring.item_risk(labels),
        labels=labels,
        **(analysis.columns if analysis.ok else {}),
    )
    ResultLabel.objects.bulk_create([ResultLabel(result=result, label=label) for label in labels])
    if media is not None:
        MediaItem.objects.filter(pk=media.pk).update(analysis_leased_at=None)
    return result


def media_claim(*, media_id: int) -> MediaItem | None:
    """Take one delivery of an item: count the attempt and renew its lease.

    None when the item is gone or already has a result (a repeated delivery). Two workers may
    both claim an item delivered twice at once; only one of them can store its result.
    """
    claimed = MediaItem.objects.filter(pk=media_id, analysis_leased_at__isnull=False).update(
        analysis_attempts=F("analysis_attempts") + 1, analysis_leased_at=timezone.now()
    )
    if not claimed:
        return None
    return MediaItem.objects.select_related("session__exam").filter(pk=media_id).first()


def _read_and_analyze(
    media: MediaItem, batch: _Batch | None = None
) -> tuple[ItemAnalysis, bytes | None]:
    """The item's analysis and the bytes it was made from (None when unreadable)."""
    if not media.has_file:
        return ItemAnalysis(ok=False, failure_reason="media_missing"), None
    try:
        with media.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ItemAnalysis(ok=False, failure_reason="media_missing"), None
    try:
        if batch is None:
            return _analysis_for(media, data), data
        return _analysis_for(media, data, batch), data
    except Exception as exc:  # a bug or a model failure must not kill the worker
        logger.exception("analysis: analyzer error on media %s", media.pk)
        return ItemAnalysis(
            ok=False, failure_reason="analyzer_error", failure_message=str(exc)[:200]
        ), data


def _result_store(
    media: MediaItem, analysis: ItemAnalysis, data: bytes | None = None
) -> AnalysisResult | None:
    """Write the item's result, aggregate it and release files, or nothing if one exists."""
    try:
        with transaction.atomic():
            result = result_record(
                session=media.session,
                kind=media.kind,
                captured_at=media.captured_at,
                analysis=analysis,
                media=media,
            )
            if analysis.ok:
                result_aggregate(result=result)
                if data and media.kind == MediaKind.FRAME and media.session.is_active:
                    live_frame_publish(session=media.session, result=result, image=data)
            else:
                logger.info("analysis: media %s failed: %s", media.pk, analysis.failure_reason)
                if not settings.ANALYSIS_KEEP_FAILED_MEDIA:
                    media_release(session=media.session, media_ids=[media.pk], failed=True)
            media.session.refresh_from_db(fields=["status"])
            session_media_finalize(session=media.session)
    except IntegrityError:
        if not AnalysisResult.objects.filter(media_id=media.pk).exists():
            raise
        # Another delivery of the same item won the race; its result (and aggregation) stand.
        logger.info(
            "analysis: media %s already has a result; this delivery wrote nothing", media.pk
        )
        return None
    return result


def media_analyze(*, media_id: int) -> AnalysisResult | None:
    """Claim one stored frame or chunk, analyze it, write its result exactly once.

    The one entry point of a delivery, whatever groups the deliveries: claims the item
    (``media_claim``), analyzes it, and stores result, aggregation and retention in one
    transaction. Returns None, writing nothing, for an item that already has a result, also
    when a concurrent delivery stores first. Never raises for bad media or analyzer failures:
    the item gets a failed result with a reason. A delivery beyond ``ANALYSIS_MAX_ATTEMPTS``
    (earlier workers died on the item) stores a failed ``attempts_exhausted`` result instead.
    """
    media = media_claim(media_id=media_id)
    if media is None:
        if not MediaItem.objects.filter(pk=media_id).exists():
            logger.warning("analysis: media %s no longer exists", media_id)
        return None
    return _claimed_analyze(media, None)


def _claimed_analyze(media: MediaItem, batch: _Batch | None) -> AnalysisResult | None:
    if media.analysis_attempts > settings.ANALYSIS_MAX_ATTEMPTS:
        analysis, data = ItemAnalysis(ok=False, failure_reason="attempts_exhausted"), None
    else:
        analysis, data = _read_and_analyze(media, batch)
    result = _result_store(media, analysis, data)
    if result is None:  # another delivery stored first: what this batch knows may be stale
        if batch is not None:
            batch.frames_done = batch.recent_frames = None
    else:
        _batch_record(batch, result)
    return result


def media_claim_fresh(*, session_id: Any, limit: int) -> list[MediaItem]:
    """Claim up to ``limit`` of a session's items that no delivery has started, in capture
    order: one UPDATE for all (each item's attempt counted, lease renewed, as media_claim
    does), one SELECT. An item another task claimed first is left to it."""
    pending = list(
        MediaItem.objects.filter(
            session_id=session_id,
            kind__in=[MediaKind.FRAME, MediaKind.AUDIO],
            analysis_leased_at__isnull=False,
            analysis_attempts=0,
        )
        .order_by("captured_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not pending:
        return []
    now = timezone.now()
    MediaItem.objects.filter(pk__in=pending, analysis_attempts=0).update(
        analysis_attempts=F("analysis_attempts") + 1, analysis_leased_at=now
    )
    return list(
        MediaItem.objects.select_related("session__exam")
        .filter(pk__in=pending, analysis_leased_at=now)
        .order_by("captured_at", "pk")
    )


def media_analyze_pending(
    *, session_id: Any, limit: int, on_error: Callable[[int], Any] | None = None
) -> tuple[list[int], bool]:
    """Analyze up to ``limit`` waiting items of one session in one go, in capture order.

    Each item keeps media_analyze's guarantees (a claim that counts the attempt and renews the
    lease, one result at most, stored in its own transaction, so a crash mid-batch loses only
    the item in hand, which the sweep delivers again); what the items share is read once: the
    session, its enrollment templates, the identity count and the last frames. Returns the ids
    analysed, and whether the limit was reached (more may wait). An unexpected error on one
    item (the database failing) is logged and handed to ``on_error`` with the item's id; the
    batch goes on with the next item.
    """
    claimed = media_claim_fresh(session_id=session_id, limit=limit)
    batch = _Batch()
    done = []
    for media in claimed:
        try:
            if _claimed_analyze(media, batch) is not None:
                done.append(media.pk)
        except Exception:
            logger.exception("analysis: batch item %s failed", media.pk)
            batch = _Batch()
            if on_error is not None:
                try:
                    on_error(media.pk)
                except Exception:  # the sweep delivers it again
                    logger.exception("analysis: could not record the failure of %s", media.pk)
    return done, len(claimed) >= limit


def media_fail(*, media_id: int, reason: str) -> AnalysisResult | None:
    """Give an item a failed result with ``reason`` unless it already has one.

    For items that cannot be analyzed at all (attempts exhausted, an engine error): the
    session's files are then released like any failed item's.
    """
    media = MediaItem.objects.select_related("session__exam").filter(pk=media_id).first()
    if media is None or media.analysis_leased_at is None:
        return None
    return _result_store(media, ItemAnalysis(ok=False, failure_reason=reason))


def payload_analyze(
    *, image: bytes | None, audio: bytes | None, events: list[str], policy: dict[str, Any]
) -> dict[str, Any]:
    """Analyze an inline image and/or audio chunk plus browser events, synchronously.

    Returns ``risk_score`` (0-100), ``labels`` and the analyzers' raw output. Bad media raises
    the same 4xx as an upload would.
    """
    from .ingest import media_error_as_api_error

    labels: set[str] = set(events)
    details: dict[str, Any] = {}
    try:
        if image is not None:
            runner.image_header_check(image)
            frame = runner.frame_analyze(
                image, policy=policy, face_template=None, check_identity=False
            )
            if not frame.ok:
                raise runner.MediaError(frame.failure_reason, frame.failure_message)
            labels.update(frame.labels)
            details["image"] = frame.raw
        if audio is not None:
            runner.wav_header_check(audio)
            chunk = runner.audio_analyze(audio, policy=policy, voice_template=None)
            if not chunk.ok:
                raise runner.MediaError(chunk.failure_reason, "The audio could not be analyzed.")
            labels.update(chunk.labels)
            details["audio"] = chunk.raw
    except runner.MediaError as exc:
        raise media_error_as_api_error(exc) from None
    return {
        "risk_score": scoring.item_risk(labels),
        "labels": sorted(labels),
        "details": details,
        "analyzed_at": timezone.now(),
    }


def session_reanalyze(*, session: Any) -> dict[str, int]:
    """Re-run the analyzers on a session's retained media and rebuild its analyzer incidents.

    Items whose file was already deleted keep their old result. Runs synchronously, in capture
    order, so the aggregator sees the items as they happened.
    """
    media = list(
        MediaItem.objects.filter(
            session=session,
            kind__in=[MediaKind.FRAME, MediaKind.AUDIO],
            file_deleted_at__isnull=True,
        )
        .exclude(file="")
        .order_by("captured_at", "pk")
    )
    incidents_deleted = session_aggregation_reset(session=session)
    AnalysisResult.objects.filter(media__in=media).delete()
    # A re-analysis is a new delivery with a fresh attempt budget.
    MediaItem.objects.filter(pk__in=[item.pk for item in media]).update(
        analysis_leased_at=timezone.now(), analysis_attempts=0
    )
    failed = 0
    for item in media:
        result = media_analyze(media_id=item.pk)
        failed += int(result is not None and result.status == ResultStatus.FAILED)
    return {
        "media": len(media),
        "failed": failed,
        "incidents_replaced": incidents_deleted,
        "incidents": session.incidents.filter(source="analyzer").count(),
    }
