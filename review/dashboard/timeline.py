"""One session's timeline: every kind of entry on one time axis, with its evidence resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from exams.models import ExamSession
from monitoring.models import EventType, Incident
from review.models import ProctorAction

from . import sources

# Lanes of the timeline strip, top to bottom.
LANES = ("status", "proctor", "browser", "analyzer", "similarity", "submission")
LANE_LABELS = {
    "status": "Status",
    "proctor": "Proctor",
    "browser": "Browser",
    "analyzer": "Analyzers",
    "similarity": "Code similarity",
    "submission": "Submissions",
}
_INCIDENT_LANE = {
    Incident.Source.BROWSER: "browser",
    Incident.Source.CANDIDATE: "browser",
    Incident.Source.ANALYZER: "analyzer",
    Incident.Source.SIMILARITY: "similarity",
    Incident.Source.PROCTOR: "proctor",
}


@dataclass
class Entry:
    at: datetime
    lane: str
    kind: str  # "status" | "action" | "event" | "incident" | "submission"
    title: str
    anchor: str
    end: datetime | None = None
    detail: str = ""
    severity: str = ""
    incident: Incident | None = None
    frames: list[sources.MediaItem] = field(default_factory=list)
    audio: list[sources.MediaItem] = field(default_factory=list)
    matches: list[sources.SimilarityMatch] = field(default_factory=list)
    log_seqs: list[int] = field(default_factory=list)
    code: str = ""  # a submission's code, as submitted
    offset: str = ""  # time since the session started, in words ("12 min 05 s in")

    @property
    def is_raw(self) -> bool:
        """A plain browser event (heartbeats, camera on...): listed collapsed, behind the rest."""
        return self.lane == "browser" and self.kind in {"event", "heartbeats"}


@dataclass
class Timeline:
    start: datetime
    end: datetime
    entries: list[Entry]
    enrollment: list[sources.MediaItem]
    truncated_events: bool
    has_identity_mismatch: bool = False

    @property
    def raw_count(self) -> int:
        return sum(1 for entry in self.entries if entry.is_raw)

    def lanes(self) -> list[tuple[str, str]]:
        return [(lane, LANE_LABELS[lane]) for lane in LANES]


def _evidence_ids(incidents: list[Incident], kind: str) -> set[int]:
    ids = set()
    for incident in incidents:
        for item in incident.evidence or []:
            if isinstance(item, dict) and item.get("type") == kind and item.get("id") is not None:
                try:
                    ids.add(int(item["id"]))
                except (TypeError, ValueError):
                    continue
    return ids


def _refs(incident: Incident, kind: str, key: str = "id") -> list[int]:
    refs = []
    for item in incident.evidence or []:
        if isinstance(item, dict) and item.get("type") == kind and item.get(key) is not None:
            try:
                refs.append(int(item[key]))
            except (TypeError, ValueError):
                continue
    return refs


def session_timeline(session: ExamSession, incidents: list[Incident]) -> Timeline:
    """Everything that happened in ``session`` in time order, evidence attached to incidents."""
    entries: list[Entry] = []
    for transition in session.transitions.select_related("actor"):
        who = transition.actor.display_name if transition.actor else "system"
        entries.append(
            Entry(
                at=transition.created_at,
                lane="status",
                kind="status",
                title=f"Status: {transition.get_to_status_display()}",
                detail=f"{who}{': ' + transition.reason if transition.reason else ''}",
                anchor=f"status-{transition.pk}",
            )
        )
    for action in ProctorAction.objects.filter(session=session).select_related("actor"):
        who = action.actor.display_name if action.actor else "system"
        entries.append(
            Entry(
                at=action.created_at,
                lane="proctor",
                kind="action",
                title=f"{action.get_kind_display()} by {who}",
                detail=action.message,
                anchor=f"action-{action.pk}",
                severity="high" if action.kind == ProctorAction.Kind.TERMINATION else "medium",
            )
        )
    limit = settings.REVIEW_TIMELINE_MAX_ENTRIES
    events = sources.browser_events(session, limit=limit + 1)
    gap_s = float(session.policy.get("heartbeat_timeout_s", 30))
    entries += _browser_entries(events[:limit], gap_s=gap_s)
    frames = {
        item.id: item
        for item in sources.media_for_session(session, "frame", _evidence_ids(incidents, "frame"))
    }
    audio = {
        item.id: item
        for item in sources.media_for_session(session, "audio", _evidence_ids(incidents, "audio"))
    }
    for incident in incidents:
        matches = [
            match
            for match_id in _refs(incident, "similarity")
            if (match := sources.similarity_match(match_id, session)) is not None
        ]
        entries.append(
            Entry(
                at=incident.started_at,
                end=incident.ended_at,
                lane=_INCIDENT_LANE.get(incident.source, "analyzer"),
                kind="incident",
                title=incident.get_kind_display(),
                detail=_incident_detail(incident),
                anchor=f"incident-{incident.pk}",
                severity=incident.severity,
                incident=incident,
                frames=[frames[i] for i in _refs(incident, "frame") if i in frames],
                audio=[audio[i] for i in _refs(incident, "audio") if i in audio],
                matches=matches,
                log_seqs=_refs(incident, "log", key="seq"),
            )
        )
    for submission in sources.submissions(session):
        entries.append(
            Entry(
                at=submission.at,
                lane="submission",
                kind="submission",
                title=f"{'Final submission' if submission.is_final else 'Saved'}: "
                f"{submission.problem} v{submission.version}",
                detail=f"{submission.language}, {submission.size} bytes",
                anchor=f"submission-{submission.id}",
                code=submission.code,
            )
        )
    entries.sort(key=lambda entry: (entry.at, LANES.index(entry.lane)))
    start = session.started_at or session.created_at
    end = session.ended_at or min(timezone.now(), session.ends_at or timezone.now())
    if entries:
        start = min(start, entries[0].at)
        end = max(end, max((entry.end or entry.at) for entry in entries))
    for entry in entries:
        entry.offset = _offset_label((entry.at - start).total_seconds())
    has_mismatch = any(i.kind == Incident.Kind.IDENTITY_MISMATCH for i in incidents)
    enrollment = sources.enrollment_frames(session) if has_mismatch else []
    return Timeline(
        start=start,
        end=end,
        entries=entries,
        enrollment=enrollment,
        truncated_events=len(events) > limit,
        has_identity_mismatch=has_mismatch,
    )


def _browser_entries(events: list[sources.BrowserEvent], *, gap_s: float) -> list[Entry]:
    """An entry per browser event, but a run of heartbeats as one span.

    A page beats every few seconds, so listed one by one the heartbeats buried everything else
    in a long session. A run ends at any other event and at a silence longer than ``gap_s``
    (the policy's heartbeat timeout), so a gap stays visible between two spans.
    """
    entries: list[Entry] = []
    run: list[sources.BrowserEvent] = []

    def close_run() -> None:
        if len(run) == 1:
            entries.append(_event_entry(run[0]))
        elif run:
            seconds = (run[-1].at - run[0].at).total_seconds()
            entries.append(
                Entry(
                    at=run[0].at,
                    end=run[-1].at,
                    lane="browser",
                    kind="heartbeats",
                    title=f"{len(run)} heartbeats",
                    detail=f"every {seconds / (len(run) - 1):.0f} s on average "
                    f"(#{run[0].seq} to #{run[-1].seq})",
                    anchor=f"event-{run[0].seq}",
                )
            )
        run.clear()

    for event in events:
        if event.type == EventType.HEARTBEAT:
            if run and (event.at - run[-1].at).total_seconds() > gap_s:
                close_run()
            run.append(event)
            continue
        close_run()
        entries.append(_event_entry(event))
    close_run()
    return entries


def _event_entry(event: sources.BrowserEvent) -> Entry:
    return Entry(
        at=event.at,
        lane="browser",
        kind="event",
        title=event.type.replace("_", " "),
        detail=_event_detail(event.data),
        anchor=f"event-{event.seq}",
    )


def _offset_label(seconds: float) -> str:
    """Elapsed time in words ("12 min 05 s in"), never like a clock or a time zone."""
    if seconds < 0:
        return f"{elapsed_words(-seconds)} before the start"
    return f"{elapsed_words(seconds)} in"


def elapsed_words(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _event_detail(data: dict[str, Any]) -> str:
    parts = [f"{key}={value}" for key, value in sorted(data.items()) if key not in {"seq"}]
    return ", ".join(parts)[:200]


def _incident_detail(incident: Incident) -> str:
    parts = [f"{incident.get_source_display()}", f"confidence {incident.confidence:.2f}"]
    if incident.duration_s is not None:
        parts.append(f"{incident.duration_s:.0f} s")
    else:
        parts.append("still open")
    parts += incident_detail_words(incident.details or {})
    return " · ".join(parts)


def incident_detail_words(details: dict[str, Any]) -> list[str]:
    """An incident's details as a proctor would say them (not ``merged_runs: 1``)."""
    words = []
    positives, judged = details.get("positives"), details.get("judged")
    if isinstance(positives, int) and isinstance(judged, int) and judged:
        words.append(f"seen in {positives} of {judged} analysed items")
    elif isinstance(positives, int):
        words.append(f"seen in {positives} analysed item{'s' if positives != 1 else ''}")
    runs = details.get("merged_runs")
    if isinstance(runs, int) and runs > 1:
        words.append(f"{runs} nearby stretches joined into one")
    phrases = {
        "threshold_s": lambda v: f"reported once past {v:g} s",
        "silent_s": lambda v: f"nothing heard from the page for {elapsed_words(v)}",
        "size": lambda v: f"{v} characters inserted",
        "typed_chars_before": lambda v: f"{v} typed just before",
        "count": lambda v: f"{v} displays",
        "closed_by": lambda v: f"ended by {str(v).replace('_', ' ')}",
        "how": lambda v: f"by {str(v).replace('_', ' ')}",
        "best_similarity": lambda v: f"closest match to the enrolled face {v:.2f}",
    }
    for key, say in phrases.items():
        value = details.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                words.append(say(value))
            except (TypeError, ValueError):
                words.append(f"{key.replace('_', ' ')} {value}")
    return words
