"""Reads the facts the learned risk scores an incident on (never its verdict).

Batched: one query for the sessions, one for the sessions' incidents (co-occurrence), one for
the analysis results behind the frame evidence, whatever the number of incidents.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from analysis.learned.features import IncidentSignals
from analysis.models import AnalysisResult, MediaKind
from exams.models import ExamSession
from monitoring.models import Incident

# Incidents of the session that started within this window of another co-occur with it.
CO_OCCURRENCE_WINDOW = timedelta(seconds=60)


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _frame_quality(results: list[AnalysisResult]) -> dict[str, Any]:
    brightness, contrast, sharpness, face_px, widths, heights = [], [], [], [], [], []
    for result in results:
        quality = (result.raw or {}).get("quality") or {}
        if "brightness" in quality:
            brightness.append(float(quality["brightness"]))
            contrast.append(float(quality.get("contrast") or 0.0))
            sharpness.append(float(quality.get("sharpness") or 0.0))
        faces = (result.raw or {}).get("faces") or []
        if faces:
            face_px.append(max(float(face.get("w") or 0) for face in faces))
        width, height = (result.raw or {}).get("width"), (result.raw or {}).get("height")
        if width and height:
            widths.append(int(width))
            heights.append(int(height))
    return {
        "brightness": _median(brightness),
        "contrast": _median(contrast),
        "sharpness": _median(sharpness),
        "face_px": _median(face_px),
        "frame_width": int(_median(widths)) if widths else None,
        "frame_height": int(_median(heights)) if heights else None,
    }


def incident_signals(incidents: Sequence[Incident]) -> list[IncidentSignals]:
    """The :class:`IncidentSignals` of each incident, in the same order."""
    if not incidents:
        return []
    session_ids = {incident.session_id for incident in incidents}
    sessions = {
        s.pk: s
        for s in ExamSession.objects.filter(pk__in=session_ids).only(
            "pk", "started_at", "created_at", "accommodations"
        )
    }
    starts: dict[Any, list[Any]] = defaultdict(list)
    for session_id, started_at in Incident.objects.filter(session_id__in=session_ids).values_list(
        "session_id", "started_at"
    ):
        starts[session_id].append(started_at)
    media_ids = {
        ref["id"]
        for incident in incidents
        for ref in incident.evidence or []
        if isinstance(ref, dict) and ref.get("type") == MediaKind.FRAME and "id" in ref
    }
    results = {
        r.media_id: r
        for r in AnalysisResult.objects.filter(media_id__in=media_ids).only("media_id", "raw")
    }
    signals = []
    for incident in incidents:
        session = sessions.get(incident.session_id)
        frames = [
            results[ref["id"]]
            for ref in incident.evidence or []
            if isinstance(ref, dict)
            and ref.get("type") == MediaKind.FRAME
            and ref.get("id") in results
        ]
        begin = (session.started_at or session.created_at) if session else incident.started_at
        co_occurring = sum(
            1
            for at in starts.get(incident.session_id, [])
            if abs(at - incident.started_at) <= CO_OCCURRENCE_WINDOW
        )
        signals.append(
            IncidentSignals(
                kind=incident.kind,
                duration_s=incident.duration_s,
                confidence=incident.confidence,
                evidence_items=len(incident.evidence or []),
                minutes_into_exam=max(0.0, (incident.started_at - begin).total_seconds() / 60),
                co_occurring=max(0, co_occurring - 1),
                accommodations=len(session.accommodations or {}) if session else 0,
                **_frame_quality(frames),
            )
        )
    return signals
