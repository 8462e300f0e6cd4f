"""Editor telemetry: a paste far larger than the candidate's own typing becomes an incident.

The exam page reports pastes (``paste`` events with their ``length``) and, every 10 s and just
before each paste, what was typed and inserted otherwise (``editor_activity`` with
``typed_chars`` and ``inserted_chars``: drops and other insertions that are not pastes). The
ingest stores them as ``monitoring.MonitoringLog`` rows; for each stored ``paste`` or
``editor_activity`` row it calls :func:`editor_log_assess`, which reads the typing logged
before it and records the incident. :func:`editor_events_assess` does the same for events
that are not stored logs.

Rule: a paste or insertion of at least the session policy's ``paste_size_threshold_chars`` is
a ``large_paste`` when it is more than LARGE_PASTE_RATIO times the characters the candidate
typed in the LARGE_PASTE_WINDOW_S seconds before it. Only typing *before* the paste counts, so
the verdict is reached the moment the paste is reported and later events never reverse it;
a candidate moving their own code around has typed plenty of it just before. A paste the page
marks ``"origin": "exam"`` (text copied in this exam's own editors) is never large; the
incident keeps the page's ``origin`` and the beginning of the pasted ``text``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.db import transaction

from exams.models import ExamSession

from .incidents import incident_create
from .models import EventType, Incident, MonitoringLog

PASTE = "paste"
INSERT = "insert"
TYPING = "typing"


@dataclass(frozen=True, slots=True)
class EditorEvent:
    """One editor report: ``chars`` pasted, inserted or typed at ``at``."""

    at: datetime
    kind: str
    chars: int
    problem_id: int | None = None
    evidence: Mapping[str, Any] | None = None
    text: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class LargePaste:
    at: datetime
    kind: str
    chars: int
    typed_before: int
    problem_id: int | None
    evidence: Mapping[str, Any] | None
    text: str = ""
    origin: str = ""


def _count(data: Mapping[str, Any], *names: str) -> int:
    for name in names:
        value = data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return int(value)
    return 0


def editor_events_parse(
    *,
    event_type: str,
    at: datetime,
    data: Mapping[str, Any],
    evidence: Mapping[str, Any] | None = None,
) -> list[EditorEvent]:
    """The editor events in one stored monitoring event (none if it is not an editor event).

    ``paste``: ``{"chars": N}`` (or ``length`` / ``size``), optional ``problem_id``.
    ``editor_activity``: ``{"typed_chars": N, "inserted_chars": M}``, optional
    ``problem_id``; a report may carry both typing and a large insertion.
    """
    problem_id = data.get("problem_id") if isinstance(data.get("problem_id"), int) else None
    events: list[EditorEvent] = []
    if event_type == EventType.PASTE:
        chars = _count(data, "chars", "length", "size")
        text = data.get("text") if isinstance(data.get("text"), str) else ""
        origin = data.get("origin") if isinstance(data.get("origin"), str) else ""
        if chars:
            events.append(EditorEvent(at, PASTE, chars, problem_id, evidence, text, origin))
    elif event_type == EventType.EDITOR_ACTIVITY:
        typed = _count(data, "typed_chars", "typed")
        inserted = _count(data, "inserted_chars", "inserted")
        if typed:
            events.append(EditorEvent(at, TYPING, typed, problem_id, evidence))
        if inserted:
            events.append(EditorEvent(at, INSERT, inserted, problem_id, evidence))
    return events


def large_pastes_find(
    events: Sequence[EditorEvent], *, min_chars: int, ratio: float, window_s: float
) -> list[LargePaste]:
    """The pastes and insertions in ``events`` that are large and far beyond recent typing."""
    typing = sorted((e.at, e.chars) for e in events if e.kind == TYPING)
    moments = [at for at, _ in typing]
    totals = [0, *accumulate(chars for _, chars in typing)]
    window = timedelta(seconds=window_s)
    found: list[LargePaste] = []
    for event in sorted(events, key=lambda e: e.at):
        if event.kind not in (PASTE, INSERT) or event.chars < min_chars:
            continue
        if event.origin == "exam":
            continue  # copied in this exam's own editor: moving one's own code around
        # Typing reported in [at - window, at]: a report at the paste's moment counts.
        first = bisect.bisect_left(moments, event.at - window)
        last = bisect.bisect_right(moments, event.at)
        typed = totals[last] - totals[first]
        if event.chars > ratio * typed:
            found.append(
                LargePaste(
                    at=event.at,
                    kind=event.kind,
                    chars=event.chars,
                    typed_before=typed,
                    problem_id=event.problem_id,
                    evidence=event.evidence,
                    text=event.text,
                    origin=event.origin,
                )
            )
    return found


@transaction.atomic
def editor_events_assess(*, session: ExamSession, events: Iterable[EditorEvent]) -> list[Incident]:
    """Record a ``large_paste`` incident for each large paste in ``events``; returns the new ones.

    Pass the session's editor events of at least the last LARGE_PASTE_WINDOW_S seconds before
    the newest paste. Safe to call again with overlapping events: a paste already recorded
    (same session and moment) is not recorded twice, also under concurrent calls (the session
    row is locked meanwhile).
    """
    events = list(events)
    policy = session.policy
    window_s = settings.LARGE_PASTE_WINDOW_S
    min_chars = int(policy.get("paste_size_threshold_chars", 200))
    ratio = settings.LARGE_PASTE_RATIO
    pastes = large_pastes_find(events, min_chars=min_chars, ratio=ratio, window_s=window_s)
    if not pastes:
        return []
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    created: list[Incident] = []
    for paste in pastes:
        already = Incident.objects.filter(
            session=session, kind=Incident.Kind.LARGE_PASTE, started_at=paste.at
        ).exists()
        if already:
            continue
        high = paste.chars >= settings.LARGE_PASTE_HIGH_SEVERITY_CHARS
        created.append(
            incident_create(
                session=session,
                kind=Incident.Kind.LARGE_PASTE,
                source=Incident.Source.BROWSER,
                started_at=paste.at,
                ended_at=paste.at,
                severity=Incident.Severity.HIGH if high else Incident.Severity.MEDIUM,
                confidence=1.0,
                details={
                    "size": paste.chars,
                    "threshold_chars": min_chars,
                    "how": paste.kind,
                    "typed_chars_before": paste.typed_before,
                    "window_s": window_s,
                    "ratio": ratio,
                    "problem_id": paste.problem_id,
                    "origin": paste.origin or "unknown",
                    "text": paste.text,
                },
                evidence=[dict(paste.evidence)] if paste.evidence else [],
            )
        )
    return created


def editor_log_assess(*, session: ExamSession, log: MonitoringLog) -> list[Incident]:
    """Judge one stored ``paste`` or ``editor_activity`` log against the typing logged before it.

    Meant for the ingest, once per new log after the batch is stored: it reads the session's
    ``editor_activity`` logs of the LARGE_PASTE_WINDOW_S seconds up to this log (page clock)
    and records a ``large_paste`` incident, with the log as evidence, if this log is one.
    Returns the incidents created (none for other event types, and none when called again).
    """
    if log.type not in (EventType.PASTE, EventType.EDITOR_ACTIVITY):
        return []
    evidence = {"type": "log", "seq": log.seq}
    own = editor_events_parse(
        event_type=log.type,
        at=log.client_ts,
        data=log.payload if isinstance(log.payload, dict) else {},
        evidence=evidence,
    )
    # This runs for every editor report on the ingest path: only a paste or insertion of at
    # least the threshold can become an incident, so most reports need no look-back query.
    min_chars = int(session.policy.get("paste_size_threshold_chars", 200))
    if not any(e.kind in (PASTE, INSERT) and e.chars >= min_chars for e in own):
        return []
    window = timedelta(seconds=settings.LARGE_PASTE_WINDOW_S)
    earlier = MonitoringLog.objects.filter(
        session=session,
        type=EventType.EDITOR_ACTIVITY,
        client_ts__gte=log.client_ts - window,
        client_ts__lte=log.client_ts,
    ).exclude(pk=log.pk)
    typed_before = [
        event
        for row in earlier
        for event in editor_events_parse(
            event_type=row.type,
            at=row.client_ts,
            data=row.payload if isinstance(row.payload, dict) else {},
            evidence={"type": "log", "seq": row.seq},
        )
        # Typing from any earlier report counts; pastes only from this log.
        if event.kind == TYPING
    ]
    return editor_events_assess(session=session, events=[*typed_before, *own])
