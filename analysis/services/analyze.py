"""Analysis of stored media (the worker's job) and of inline payloads (/analyze)."""

from __future__ import annotations

import logging
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


def _template(session_id: Any, kind: str) -> list[float] | None:
    enrollment = Enrollment.objects.filter(session_id=session_id, kind=kind).first()
    return enrollment.template if enrollment else None


def _identity_due(session: Any, policy: dict[str, Any]) -> bool:
    every = max(1, int(policy.get("identity_check_every_n_frames", 5)))
    done = AnalysisResult.objects.filter(session=session, kind=MediaKind.FRAME).count()
    return done % every == 0


def _analysis_for(media: MediaItem, data: bytes) -> ItemAnalysis:
    session = media.session
    policy = session.policy
    if media.kind == MediaKind.FRAME:
        return runner.frame_analyze(
            data,
            policy=policy,
            face_template=_template(session.pk, Enrollment.Kind.FACE),
            check_identity=_identity_due(session, policy),
        )
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
        voice_template=_template(session.pk, Enrollment.Kind.VOICE),
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


def _read_and_analyze(media: MediaItem) -> tuple[ItemAnalysis, bytes | None]:
    """The item's analysis and the bytes it was made from (None when unreadable)."""
    if not media.has_file:
        return ItemAnalysis(ok=False, failure_reason="media_missing"), None
    try:
        with media.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ItemAnalysis(ok=False, failure_reason="media_missing"), None
    try:
        return _analysis_for(media, data), data
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
    if media.analysis_attempts > settings.ANALYSIS_MAX_ATTEMPTS:
        analysis, data = ItemAnalysis(ok=False, failure_reason="attempts_exhausted"), None
    else:
        analysis, data = _read_and_analyze(media)
    return _result_store(media, analysis, data)


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
