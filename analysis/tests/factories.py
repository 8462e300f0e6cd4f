"""Builders for synthetic analysis results (what the analyzers would have said), for tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile

from analysis.models import AnalysisResult, MediaItem
from analysis.runner import ItemAnalysis
from analysis.services.aggregate import result_aggregate
from analysis.services.analyze import result_record

QUALITY_LABELS = {"camera_obstructed", "low_quality"}


def t0(session: Any) -> datetime:
    return session.started_at or session.created_at


def media_item(session: Any, kind: str, at: datetime, **fields: Any) -> MediaItem:
    media = MediaItem(session=session, kind=kind, captured_at=at, size_bytes=4, **fields)
    extension = "jpg" if kind == "frame" else "wav"
    media.file.save(f"test.{extension}", ContentFile(b"test"), save=False)
    media.save()
    return media


def frame_result(
    session: Any,
    seconds: float,
    *,
    labels: Iterable[str] = (),
    faces: int | None = None,
    attention: str | None = None,
    similarity: float | None = None,
    gaze: str = "",
    aggregate: bool = True,
) -> AnalysisResult:
    """A frame result at ``seconds`` after the session start, folded into the aggregator."""
    labels = sorted(labels)
    if faces is None:
        faces = 0 if ("no_face" in labels or QUALITY_LABELS & set(labels)) else 1
        faces = 2 if "multiple_faces" in labels else faces
    if attention is None:
        attention = "away" if "looking_away" in labels or faces == 0 else "screen"
    at = t0(session) + timedelta(seconds=seconds)
    analysis = ItemAnalysis(
        ok=True,
        labels=list(labels),
        raw={"labels": list(labels), "attention": attention, "face_count": faces},
        columns={
            "face_count": faces,
            "gaze_direction": gaze,
            "identity_similarity": similarity,
        },
    )
    media = media_item(session, "frame", at)
    result = result_record(
        session=session, kind="frame", captured_at=at, analysis=analysis, media=media
    )
    if aggregate:
        result_aggregate(result=result)
    return result


def audio_result(
    session: Any,
    seconds: float,
    *,
    labels: Iterable[str] = (),
    duration_s: float = 5.0,
    speech_s: float = 0.0,
    speakers: int = 0,
) -> AnalysisResult:
    at = t0(session) + timedelta(seconds=seconds)
    segments = [[0.0, speech_s]] if speech_s else []
    analysis = ItemAnalysis(
        ok=True,
        labels=sorted(labels),
        raw={"duration_s": duration_s, "speech_segments": segments, "labels": sorted(labels)},
        columns={"speaker_count": speakers, "speech_prob": 1.0 if speech_s else 0.0},
    )
    media = media_item(session, "audio", at, duration_s=duration_s)
    result = result_record(
        session=session, kind="audio", captured_at=at, analysis=analysis, media=media
    )
    result_aggregate(result=result)
    return result
