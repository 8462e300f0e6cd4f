"""Browser events -> incidents with durations.

Events are walked in the page's seq order (not arrival order), so a retried or reordered batch
derives exactly what an in-order one would. Paired events open and close a state: tab hidden
until visible, window blurred until focused, fullscreen left until entered again, camera or
microphone off until on. A state becomes an incident once it lasted the policy's threshold;
if it is still going, the incident is opened (``ended_at`` null) so proctors see it live and it
is closed when the closing event arrives. Large pastes and extra displays are instant
incidents. Missing heartbeats (the page went silent) are judged on server arrival time, in
``services`` and the scheduled task, because a page that is offline sends nothing to compare.

The state lives in ``SessionMonitor.derive_state`` and is only touched with that row locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .editor import editor_log_assess
from .incidents import incident_create, incident_update
from .models import EventType, Incident, MonitoringLog, SessionMonitor


@dataclass(frozen=True)
class PairRule:
    end_type: str
    kind: str
    threshold_key: str
    severity: str


PAIRS: dict[str, PairRule] = {
    EventType.TAB_HIDDEN: PairRule(
        EventType.TAB_VISIBLE, Incident.Kind.TAB_HIDDEN, "tab_hidden_threshold_s", "medium"
    ),
    EventType.WINDOW_BLUR: PairRule(
        EventType.WINDOW_FOCUS, Incident.Kind.WINDOW_BLUR, "window_blur_threshold_s", "low"
    ),
    EventType.FULLSCREEN_EXIT: PairRule(
        EventType.FULLSCREEN_ENTER,
        Incident.Kind.FULLSCREEN_EXIT,
        "fullscreen_exit_threshold_s",
        "low",
    ),
    EventType.CAMERA_OFF: PairRule(
        EventType.CAMERA_ON, Incident.Kind.CAMERA_OFF, "camera_off_threshold_s", "high"
    ),
    EventType.MIC_OFF: PairRule(
        EventType.MIC_ON, Incident.Kind.MIC_OFF, "mic_off_threshold_s", "medium"
    ),
}
END_TO_START = {rule.end_type: start for start, rule in PAIRS.items()}

# A state that lasts this many times its threshold (and at least a minute) is serious.
ESCALATE_FACTOR = 6
ESCALATE_MIN_S = 60
# Events derived per call at most (keeps one request's work bounded).
DERIVE_BATCH = 2000


def severity_for(base: str, duration_s: float | None, threshold_s: float) -> str:
    if duration_s is not None and duration_s >= max(ESCALATE_MIN_S, ESCALATE_FACTOR * threshold_s):
        return Incident.Severity.HIGH
    return base


def _ts(value: str) -> datetime:
    parsed = parse_datetime(value)
    assert parsed is not None
    return parsed


def _log_ref(seq: int) -> dict[str, Any]:
    return {"type": "log", "seq": seq}


class _Deriver:
    def __init__(self, monitor: SessionMonitor, policy: dict[str, Any]) -> None:
        self.monitor = monitor
        self.session = monitor.session
        self.policy = policy
        state = monitor.derive_state or {}
        self.open: dict[str, dict[str, Any]] = dict(state.get("open", {}))
        self.last_ts: datetime | None = _ts(state["last_ts"]) if state.get("last_ts") else None

    def threshold(self, rule: PairRule) -> float:
        return float(self.policy.get(rule.threshold_key, 0) or 0)

    def save_state(self) -> None:
        self.monitor.derive_state = {
            "open": self.open,
            "last_ts": self.last_ts.isoformat() if self.last_ts else None,
        }

    def feed(self, log: MonitoringLog) -> None:
        ts = log.client_ts
        if log.type in PAIRS:
            # A repeated "start" keeps the earliest one: the state began then.
            self.open.setdefault(
                log.type,
                {
                    "since": ts.isoformat(),
                    "since_server": log.server_ts.isoformat(),
                    "seq": log.seq,
                    "incident_id": None,
                },
            )
        elif log.type in END_TO_START:
            self._close(END_TO_START[log.type], log)
        elif log.type in (EventType.PASTE, EventType.EDITOR_ACTIVITY):
            # A paste is judged against the candidate's own typing before it (editor.py).
            editor_log_assess(session=self.session, log=log)
        elif log.type == EventType.DISPLAYS_CHANGED:
            self._displays(log)
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts

    def _close(self, start_type: str, log: MonitoringLog) -> None:
        state = self.open.pop(start_type, None)
        if state is None:
            return  # e.g. "visible" with no "hidden" before it: nothing was going on
        rule = PAIRS[start_type]
        since = _ts(state["since"])
        ended = max(log.client_ts, since)
        duration = (ended - since).total_seconds()
        threshold = self.threshold(rule)
        details = {"duration_s": round(duration, 3), "threshold_s": threshold}
        if state.get("incident_id"):
            incident = Incident.objects.filter(pk=state["incident_id"]).first()
            if incident is not None:
                incident_update(
                    incident=incident,
                    ended_at=ended,
                    details={**details, "open": False},
                    add_evidence=[_log_ref(log.seq)],
                    severity=severity_for(rule.severity, duration, threshold),
                )
            return
        if duration >= threshold:
            incident_create(
                session=self.session,
                kind=rule.kind,
                source=Incident.Source.BROWSER,
                started_at=since,
                ended_at=ended,
                severity=severity_for(rule.severity, duration, threshold),
                details=details,
                evidence=[_log_ref(state["seq"]), _log_ref(log.seq)],
            )

    def _displays(self, log: MonitoringLog) -> None:
        count = log.payload.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count <= 1:
            return  # back to a single display: nothing to flag
        incident_create(
            session=self.session,
            kind=Incident.Kind.DISPLAYS_CHANGED,
            source=Incident.Source.BROWSER,
            started_at=log.client_ts,
            ended_at=log.client_ts,
            severity=Incident.Severity.MEDIUM,
            details={"count": count} if count is not None else {},
            evidence=[_log_ref(log.seq)],
        )

    def open_overdue(self, *, server_now: datetime | None = None) -> None:
        """Open an incident for each state that already lasted its threshold.

        Judged on the page's clock (the latest event seen) and, when ``server_now`` is given
        (the scheduled task, for a page that fell silent), on the server's arrival times.
        """
        for start_type, state in self.open.items():
            if state.get("incident_id"):
                continue
            rule = PAIRS[start_type]
            threshold = self.threshold(rule)
            since = _ts(state["since"])
            elapsed = (self.last_ts - since).total_seconds() if self.last_ts else 0.0
            if server_now is not None:
                server_elapsed = (server_now - _ts(state["since_server"])).total_seconds()
                elapsed = max(elapsed, server_elapsed)
            if elapsed >= threshold:
                incident = incident_create(
                    session=self.session,
                    kind=rule.kind,
                    source=Incident.Source.BROWSER,
                    started_at=since,
                    severity=rule.severity,
                    details={"threshold_s": threshold, "open": True},
                    evidence=[_log_ref(state["seq"])],
                )
                state["incident_id"] = incident.pk

    def close_all(self, at: datetime, reason: str) -> None:
        """The session ended: every open state ends with it."""
        for start_type, state in list(self.open.items()):
            rule = PAIRS[start_type]
            since = _ts(state["since"])
            ended = max(at, since)
            duration = (ended - since).total_seconds()
            threshold = self.threshold(rule)
            details = {"duration_s": round(duration, 3), "threshold_s": threshold, "open": False}
            if state.get("incident_id"):
                incident = Incident.objects.filter(pk=state["incident_id"]).first()
                if incident is not None and incident.is_open:
                    incident_update(
                        incident=incident, ended_at=ended, details={**details, "closed_by": reason}
                    )
            elif duration >= threshold:
                incident_create(
                    session=self.session,
                    kind=rule.kind,
                    source=Incident.Source.BROWSER,
                    started_at=since,
                    ended_at=ended,
                    severity=severity_for(rule.severity, duration, threshold),
                    details={**details, "closed_by": reason},
                    evidence=[_log_ref(state["seq"])],
                )
        self.open = {}


def derive_pending(
    monitor: SessionMonitor,
    *,
    now: datetime | None = None,
    skip_gaps: bool = False,
    pending: list[MonitoringLog] | None = None,
) -> int:
    """Feed the not yet derived events of a (locked) monitor, in seq order; returns how many.

    A gap in seqs stops the walk until the missing event arrives, or until the event after the
    gap has waited ``MONITORING_GAP_GRACE_S`` (the missing one is then taken as lost), or at
    once with ``skip_gaps`` (the session ended: nothing more will come). ``pending`` saves the
    query when the caller knows every not yet derived row (the batch it just stored).
    """
    from django.conf import settings

    now = now or timezone.now()
    grace = timedelta(seconds=settings.MONITORING_GAP_GRACE_S)
    deriver = _Deriver(monitor, monitor.session.policy)
    if pending is None:
        # Bounded per call; the rest waits for the next batch or the sweep.
        pending = list(
            MonitoringLog.objects.filter(
                session_id=monitor.session_id, seq__gt=monitor.derived_seq
            ).order_by("seq")[:DERIVE_BATCH]
        )
    else:
        pending = sorted(pending, key=lambda log: log.seq)
    expected = monitor.derived_seq + 1
    fed = 0
    for log in pending:
        if log.seq != expected and not skip_gaps and now - log.server_ts < grace:
            break
        deriver.feed(log)
        monitor.derived_seq = log.seq
        expected = log.seq + 1
        fed += 1
    deriver.open_overdue()
    deriver.save_state()
    return fed


def derive_overdue_on_server_clock(monitor: SessionMonitor, *, now: datetime) -> None:
    """For the scheduled task: open incidents for states that lasted too long by server time."""
    deriver = _Deriver(monitor, monitor.session.policy)
    deriver.open_overdue(server_now=now)
    deriver.save_state()


def derive_close_for_ended_session(monitor: SessionMonitor, *, at: datetime) -> None:
    deriver = _Deriver(monitor, monitor.session.policy)
    deriver.close_all(at, reason="session_ended")
    deriver.save_state()
