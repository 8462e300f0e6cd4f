"""Analysis of stored media (the worker's job) and of inline payloads (/analyze)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis import runner, scoring
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
    """Store one analyzed item (ok or failed) with its labels and per-item risk."""
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
    return result


def media_analyze(*, media_id: int) -> AnalysisResult | None:
    """Analyze one stored frame or chunk: result row, aggregation into incidents, retention.

    Never raises for bad media or analyzer failures: the item gets a failed result with a
    reason, so a worker keeps going. Running it twice for one item does nothing the second time.
    """
    media = MediaItem.objects.select_related("session__exam").filter(pk=media_id).first()
    if media is None:
        logger.warning("analysis: media %s no longer exists", media_id)
        return None
    if AnalysisResult.objects.filter(media=media).exists():
        return None
    if not media.has_file:
        analysis = ItemAnalysis(ok=False, failure_reason="media_missing")
    else:
        try:
            with media.file.open("rb") as handle:
                data = handle.read()
        except OSError:
            analysis = ItemAnalysis(ok=False, failure_reason="media_missing")
        else:
            try:
                analysis = _analysis_for(media, data)
            except Exception as exc:  # a bug or a model failure must not kill the worker
                logger.exception("analysis: analyzer error on media %s", media.pk)
                analysis = ItemAnalysis(
                    ok=False, failure_reason="analyzer_error", failure_message=str(exc)[:200]
                )
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
        else:
            logger.info("analysis: media %s failed: %s", media.pk, analysis.failure_reason)
            if not settings.ANALYSIS_KEEP_FAILED_MEDIA:
                media_release(session=media.session, media_ids=[media.pk], failed=True)
        media.session.refresh_from_db(fields=["status"])
        session_media_finalize(session=media.session)
    return result


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
