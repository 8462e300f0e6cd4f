"""The per-session aggregator: analysis results in, incidents with evidence out."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis import aggregation
from analysis.aggregation import AUDIO_KINDS, FRAME_KINDS, KindState, Observation
from analysis.models import AggregationState, AnalysisResult, MediaItem, MediaKind, ResultStatus
from analysis.runner import policy_allows
from exams.models import ExamSession
from monitoring.incidents import incident_create, incident_update
from monitoring.models import Incident

from .retention import media_release, pending_media_ids

logger = logging.getLogger(__name__)


def _ref(result: AnalysisResult) -> dict[str, Any]:
    if result.media_id is not None:
        return {"type": result.kind, "id": result.media_id}
    return {"type": "result", "id": result.pk}


def observations_for(result: AnalysisResult, policy: dict[str, Any]) -> dict[str, Observation]:
    """What one result says about each incident kind (True / False / None = not judged)."""
    if result.status != ResultStatus.OK:
        return {}
    labels = set(result.labels)
    ref = _ref(result)
    values: dict[str, bool | None] = {}
    if result.kind == MediaKind.FRAME:
        raw_labels = set(result.raw.get("labels") or [])
        faces = result.face_count or 0
        bad_quality = bool(raw_labels & {"camera_obstructed", "low_quality"})
        values["no_face"] = True if "no_face" in labels else (False if faces else None)
        values["multiple_faces"] = "multiple_faces" in labels
        attention = result.raw.get("attention")
        values["looking_away"] = (
            True if "looking_away" in labels else (False if attention == "screen" else None)
        )
        values["identity_mismatch"] = (
            True
            if "identity_mismatch" in labels
            else (False if result.identity_similarity is not None else None)
        )
        if bad_quality:
            # The quality gate says the analyzers cannot be trusted on this frame: it neither
            # supports nor ends a face, attention or identity run.
            for kind in ("no_face", "multiple_faces", "looking_away", "identity_mismatch"):
                values[kind] = None
        values["camera_obstructed"] = "camera_obstructed" in labels
        values["low_quality"] = "low_quality" in labels
        return {
            kind: Observation(at=result.captured_at, value=value, ref=ref)
            for kind, value in values.items()
            if policy_allows(policy, kind)
        }
    duration = float(result.raw.get("duration_s") or 0.0)
    speech_s = sum(end - start for start, end in result.raw.get("speech_segments") or [])
    end = result.captured_at + timedelta(seconds=duration)
    earlier = (result.raw.get("session_voices") or {}).get("other_voice_media") or []
    related = [{"type": MediaKind.AUDIO, "id": media_id} for media_id in earlier]
    return {
        kind: Observation(
            at=result.captured_at,
            value=kind in labels,
            ref=ref,
            end=end,
            weight_s=speech_s or duration,
            related=related if kind in labels else [],
        )
        for kind in AUDIO_KINDS
        if policy_allows(policy, kind)
    }


def _voice_window_media(result: AnalysisResult) -> tuple[set[int], set[int]]:
    """Speech chunks of the session the voice judgement may still name as evidence (captured
    within ``ANALYSIS_VOICE_WINDOW_S`` before this chunk: held), and older ones (released)."""
    if result.kind != MediaKind.AUDIO:
        return set(), set()
    cutoff = result.captured_at - timedelta(seconds=settings.ANALYSIS_VOICE_WINDOW_S)
    speech = AnalysisResult.objects.filter(
        session_id=result.session_id,
        kind=MediaKind.AUDIO,
        speaker_count__gte=1,
        media__isnull=False,
        media__file_deleted_at__isnull=True,
        media__is_evidence=False,
        captured_at__lte=result.captured_at,
    ).exclude(pk=result.pk)
    held = set(speech.filter(captured_at__gt=cutoff).values_list("media_id", flat=True))
    old = set(speech.filter(captured_at__lte=cutoff).values_list("media_id", flat=True))
    if (result.speaker_count or 0) >= 1 and result.media_id is not None:
        held.add(result.media_id)
    return held, old


def _evidence_summary(kind: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """Facts a proctor wants at a glance, from the results behind the evidence."""
    media_ids = [ref["id"] for ref in evidence if ref.get("type") in ("frame", "audio")]
    results = AnalysisResult.objects.filter(media_id__in=media_ids)
    if kind == "looking_away":
        directions = Counter(r.gaze_direction or "unknown" for r in results)
        return {"directions": dict(directions), "direction": directions.most_common(1)[0][0]}
    if kind == "identity_mismatch":
        sims = [r.identity_similarity for r in results if r.identity_similarity is not None]
        return {"min_similarity": round(min(sims), 3)} if sims else {}
    if kind == "multiple_faces":
        return {"max_face_count": max((r.face_count or 0 for r in results), default=0)}
    if kind in AUDIO_KINDS:
        return {"max_speaker_count": max((r.speaker_count or 0 for r in results), default=0)}
    return {}


def _merge_target(session: ExamSession, action: aggregation.Opened) -> Incident | None:
    gap = timedelta(seconds=settings.ANALYSIS_MERGE_GAP_S)
    return (
        Incident.objects.filter(
            session=session,
            kind=action.kind,
            source=Incident.Source.ANALYZER,
            ended_at__gte=action.started_at - gap,
            started_at__lte=action.ended_at + gap,
        )
        .exclude(review_status=Incident.ReviewStatus.DISMISSED)
        .order_by("-ended_at")
        .first()
    )


def _mark_evidence(evidence: list[dict[str, Any]]) -> None:
    ids = [ref["id"] for ref in evidence if ref.get("type") in ("frame", "audio")]
    MediaItem.objects.filter(pk__in=ids).update(is_evidence=True)


def _open(
    session: ExamSession, state: KindState, action: aggregation.Opened, rule: aggregation.Rule
) -> Incident:
    _mark_evidence(action.evidence)
    target = _merge_target(session, action)
    if target is not None:
        positives = int(target.details.get("positives", 0)) + action.positives
        # At least one negative item separated the two runs.
        judged = int(target.details.get("judged", 0)) + action.judged + 1
        new_evidence = [ref for ref in action.evidence if ref not in target.evidence]
        evidence = [*target.evidence, *new_evidence]
        incident = incident_update(
            incident=target,
            ended_at=max(target.ended_at or action.ended_at, action.ended_at),
            confidence=round(positives / judged, 3),
            details={
                "positives": positives,
                "judged": judged,
                "merged_runs": int(target.details.get("merged_runs", 1)) + 1,
                **_evidence_summary(action.kind, evidence),
            },
            add_evidence=new_evidence,
        )
    else:
        positives, judged = action.positives, action.judged
        incident = incident_create(
            session=session,
            kind=action.kind,
            source=Incident.Source.ANALYZER,
            started_at=action.started_at,
            ended_at=action.ended_at,
            severity=aggregation.SEVERITY[action.kind],
            confidence=round(positives / judged, 3),
            details={
                "positives": positives,
                "judged": judged,
                "merged_runs": 1,
                "rule": {
                    "mode": rule.mode,
                    "min_s": rule.min_s,
                    "min_items": rule.min_items,
                    "window": rule.window,
                },
                **_evidence_summary(action.kind, action.evidence),
            },
            evidence=action.evidence,
        )
    aggregation.attach_incident(state, incident.pk, positives, judged)
    return incident


def _extend(session: ExamSession, state: KindState, action: aggregation.Extended) -> None:
    incident = Incident.objects.filter(pk=action.incident_id, session=session).first()
    if incident is None:  # deleted by an admin meanwhile: the run starts over
        state.incident_id = None
        return
    _mark_evidence(action.evidence)
    # The state's counters started from the incident's totals (attach_incident), so they are
    # the incident's totals now.
    # A chunk judged over the session's recent audio may name chunks already in the evidence.
    new_evidence = [ref for ref in action.evidence if ref not in incident.evidence]
    evidence = [*incident.evidence, *new_evidence]
    incident_update(
        incident=incident,
        ended_at=max(incident.ended_at or action.ended_at, action.ended_at),
        confidence=round(action.positives / max(action.judged, action.positives), 3),
        details={
            "positives": action.positives,
            "judged": max(action.judged, action.positives),
            **_evidence_summary(action.kind, evidence),
        },
        add_evidence=new_evidence,
    )


@transaction.atomic
def result_aggregate(*, result: AnalysisResult) -> list[Incident]:
    """Fold one result into its session's incidents; returns incidents created or extended.

    The session row is locked while folding, so results of one session are aggregated one at
    a time even with several workers. Media no longer needed as possible evidence is released.
    """
    session = (
        ExamSession.objects.select_for_update().select_related("exam").get(pk=result.session_id)
    )
    policy = session.policy
    rules = aggregation.rules_from_policy(policy)
    observations = observations_for(result, policy)
    touched: list[Incident] = []
    released: set[int] = set()
    if result.media_id is not None:
        released.add(result.media_id)
    voice_held, voice_released = _voice_window_media(result)
    released |= voice_released
    rows = {
        row.kind: row
        for row in AggregationState.objects.filter(session=session, kind__in=list(observations))
    }
    missing = [kind for kind in observations if kind not in rows]
    if missing:
        AggregationState.objects.bulk_create(
            [AggregationState(session=session, kind=kind) for kind in missing]
        )
        rows.update(
            (row.kind, row)
            for row in AggregationState.objects.filter(session=session, kind__in=missing)
        )
    changed: list[AggregationState] = []
    held: set[int] = set()
    for kind, observation in observations.items():
        row = rows[kind]
        state = KindState.from_json(row.state)
        step = aggregation.fold(kind, state, rules[kind], observation)
        released.update(ref["id"] for ref in step.released if ref.get("type") != "result")
        if isinstance(step.action, aggregation.Opened):
            touched.append(_open(session, state, step.action, rules[kind]))
        elif isinstance(step.action, aggregation.Extended):
            _extend(session, state, step.action)
        held.update(ref["id"] for ref in state.pending_refs())
        new_state = state.to_json()
        if new_state != row.state:
            row.state = new_state
            row.updated_at = timezone.now()
            changed.append(row)
    if changed:
        # One UPDATE for every kind that moved, rather than one per kind and frame.
        AggregationState.objects.bulk_update(changed, ["state", "updated_at"])
    # Kinds this item did not touch may still hold media of this session's pending runs.
    held |= pending_media_ids(session, exclude_kinds=list(observations))
    held |= voice_held
    media_release(session=session, media_ids=released, held=held)
    return touched


def session_aggregation_reset(*, session: ExamSession) -> int:
    """Forget a session's aggregation before re-analysis; returns incidents deleted.

    Unreviewed analyzer incidents go (re-analysis rebuilds them); incidents a proctor has
    reviewed stay, and rebuilt runs overlapping them are merged into them, not duplicated.
    """
    with transaction.atomic():
        deleted, _ = Incident.objects.filter(
            session=session,
            source=Incident.Source.ANALYZER,
            kind__in=[*FRAME_KINDS, *AUDIO_KINDS],
            review_status=Incident.ReviewStatus.UNREVIEWED,
        ).delete()
        AggregationState.objects.filter(session=session).delete()
    return deleted
