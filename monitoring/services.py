"""Writes for monitoring: event ingest (idempotent, hash-chained), rate limits, liveness,
incidents reported by hand, and the periodic sweep.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from exams.lifecycle import ACTIVE_STATUSES, SessionStatus
from exams.models import ExamSession
from proctoring_site.exceptions import InvalidInputError, PayloadTooLargeError, RateLimitedError

from .chain import chain_hash, log_content
from .derivation import (
    derive_close_for_ended_session,
    derive_overdue_on_server_clock,
    derive_pending,
)
from .events import ParsedEvent, Rejection, event_parse
from .incidents import incident_create, incident_update
from .models import Incident, MonitoringLog, SessionMonitor

logger = logging.getLogger(__name__)

# How many missing seqs a response lists at most (the page resends those first).
MISSING_SEQS_LISTED = 100


@dataclass
class IngestResult:
    """What happened to a batch: the page resends what is neither accepted nor duplicate."""

    session_id: str
    accepted: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    highest_contiguous_seq: int = 0
    max_seq: int = 0
    missing_seqs: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "highest_contiguous_seq": self.highest_contiguous_seq,
            "max_seq": self.max_seq,
            "missing_seqs": self.missing_seqs,
        }


_redis_client = None


def _redis() -> Any:
    """One client (and connection pool) per process, shared by every thread.

    Django's cache handler builds a cache object, and so a Redis connection, per request
    context under ASGI; the rate limit runs on every ingest request and must not reconnect.
    """
    global _redis_client  # noqa: PLW0603 - created once per process on first use
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_client


def _count_in_window(keys_amounts: list[tuple[str, int]], window: int) -> list[int]:
    """Add to fixed-window counters; the new totals. One round trip when Redis is configured."""
    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        pipe = _redis().pipeline(transaction=False)
        for key, amount in keys_amounts:
            key = f"{prefix}:{key}" if prefix else key
            pipe.incrby(key, amount)
            pipe.expire(key, window + 1, nx=True)
        return [int(v) for v in pipe.execute()[::2]]
    totals = []
    for key, amount in keys_amounts:
        cache.add(key, 0, timeout=window + 1)
        try:
            totals.append(cache.incr(key, amount))
        except ValueError:  # expired between add and incr
            cache.set(key, amount, timeout=window + 1)
            totals.append(amount)
    return totals


def ingest_rate_limit_hit(*, session_id: Any, events: int) -> None:
    """Count one ingest request of ``events`` events for the session; 429 when over the limit.

    Fixed windows in Redis when REDIS_URL is set (shared by every worker process), in the
    local-memory cache otherwise.
    """
    window = settings.MONITORING_RATE_WINDOW_S
    now = time.time()
    bucket = int(now // window)
    base = f"monitoring:rate:{session_id}:{bucket}"
    requests, event_count = _count_in_window([(f"{base}:r", 1), (f"{base}:e", events)], window)
    if (
        requests > settings.MONITORING_RATE_MAX_REQUESTS
        or event_count > settings.MONITORING_RATE_MAX_EVENTS
    ):
        raise RateLimitedError(
            "Too many monitoring requests for this session; retry later.",
            retry_after=math.ceil((bucket + 1) * window - now),
            details={
                "window_s": window,
                "max_requests": settings.MONITORING_RATE_MAX_REQUESTS,
                "max_events": settings.MONITORING_RATE_MAX_EVENTS,
            },
        )


def _monitor_lock(session: ExamSession) -> SessionMonitor:
    """Lock (creating it if needed) the session's monitor row for this transaction.

    On PostgreSQL, SELECT ... FOR UPDATE holds the row lock until commit. On SQLite the first
    statement must be a write, so SQLite takes its write lock at once (waiting out its busy
    timeout) instead of failing a later read->write upgrade. Either way one batch of a
    session appends at a time.
    """
    if connection.vendor != "sqlite":
        monitor = SessionMonitor.objects.select_for_update().filter(session_id=session.pk).first()
        if monitor is not None:
            monitor.session = session
            return monitor
    now = timezone.now()
    if not SessionMonitor.objects.filter(session_id=session.pk).update(updated_at=now):
        try:
            with transaction.atomic():
                SessionMonitor.objects.create(session=session)
        except IntegrityError:  # a concurrent batch created it first; now wait for its lock
            SessionMonitor.objects.filter(session_id=session.pk).update(updated_at=now)
    monitor = SessionMonitor.objects.select_for_update().get(session_id=session.pk)
    monitor.session = session
    return monitor


def _liveness_on_arrival(monitor: SessionMonitor, now: datetime) -> None:
    """The page spoke: close the open offline incident, or record the silence it just ended."""
    session = monitor.session
    timeout = float(session.policy.get("heartbeat_timeout_s", 30))
    last = monitor.last_event_at or session.started_at
    if monitor.offline_incident_id:
        incident = Incident.objects.filter(pk=monitor.offline_incident_id).first()
        if incident is not None and incident.is_open:
            silent = (now - incident.started_at).total_seconds()
            incident_update(
                incident=incident,
                ended_at=now,
                details={"silent_s": round(silent, 3), "open": False},
                severity=_offline_severity(silent, timeout),
            )
        monitor.offline_incident_id = None
    elif last is not None and (now - last).total_seconds() >= timeout:
        silent = (now - last).total_seconds()
        incident_create(
            session=session,
            kind=Incident.Kind.OFFLINE,
            source=Incident.Source.BROWSER,
            started_at=last,
            ended_at=now,
            severity=_offline_severity(silent, timeout),
            details={"silent_s": round(silent, 3), "timeout_s": timeout},
        )
    monitor.last_event_at = now


def _offline_severity(silent_s: float, timeout_s: float) -> str:
    if silent_s >= max(120.0, 4 * timeout_s):
        return Incident.Severity.HIGH
    return Incident.Severity.MEDIUM


def _advance_contiguous(monitor: SessionMonitor, new_seqs: set[int], previous_max: int) -> None:
    if monitor.contiguous_seq + 1 not in new_seqs:
        return
    contiguous = monitor.contiguous_seq
    if previous_max <= contiguous:
        # Nothing was stored beyond the contiguous prefix: the new run is all there is.
        while contiguous + 1 in new_seqs:
            contiguous += 1
        monitor.contiguous_seq = contiguous
        return
    while True:
        stored = list(
            MonitoringLog.objects.filter(session_id=monitor.session_id, seq__gt=contiguous)
            .order_by("seq")
            .values_list("seq", flat=True)[:1000]
        )
        for seq in stored:
            if seq != contiguous + 1:
                monitor.contiguous_seq = contiguous
                return
            contiguous = seq
        if len(stored) < 1000:
            break
    monitor.contiguous_seq = contiguous


def _missing_seqs(monitor: SessionMonitor) -> list[int]:
    if monitor.max_seq <= monitor.contiguous_seq:
        return []
    low = monitor.contiguous_seq + 1
    high = min(monitor.max_seq, low + 10 * MISSING_SEQS_LISTED)
    stored = set(
        MonitoringLog.objects.filter(session_id=monitor.session_id, seq__gte=low, seq__lte=high)
        .order_by()
        .values_list("seq", flat=True)
    )
    return [s for s in range(low, high + 1) if s not in stored][:MISSING_SEQS_LISTED]


def events_ingest(*, session: ExamSession, raw_events: Any) -> IngestResult:
    """Store a batch of page events exactly once and derive incidents from them.

    Idempotent on (session, seq): an event already stored is reported as a duplicate and left
    unchanged (the first copy wins), so retried, reordered, overlapping and concurrent batches
    store each seq once. Bad events are rejected one by one with a reason; the good ones are
    stored. New rows extend the session's hash chain in arrival order under the monitor lock.
    The caller has checked that the session belongs to the candidate and is active.
    """
    if not isinstance(raw_events, list):
        raise InvalidInputError("events must be a list.", code="invalid_batch")
    if len(raw_events) > settings.MONITORING_BATCH_MAX_EVENTS:
        raise PayloadTooLargeError(
            f"A batch holds at most {settings.MONITORING_BATCH_MAX_EVENTS} events.",
            code="batch_too_large",
            details={"limit": settings.MONITORING_BATCH_MAX_EVENTS, "size": len(raw_events)},
        )
    ingest_rate_limit_hit(session_id=session.pk, events=len(raw_events))

    now = timezone.now()
    result = IngestResult(session_id=str(session.pk))
    by_seq: dict[int, ParsedEvent] = {}
    for index, raw in enumerate(raw_events):
        parsed = event_parse(raw, index=index, now=now)
        if isinstance(parsed, Rejection):
            result.rejected.append(parsed)
        elif parsed.seq in by_seq:
            result.duplicates.append(parsed.seq)
        else:
            by_seq[parsed.seq] = parsed

    if not by_seq:
        monitor = SessionMonitor.objects.filter(session_id=session.pk).first()
        if monitor is not None:
            result.highest_contiguous_seq = monitor.contiguous_seq
            result.max_seq = monitor.max_seq
            result.missing_seqs = _missing_seqs(monitor)
        return result

    with transaction.atomic():
        monitor = _monitor_lock(session)
        _liveness_on_arrival(monitor, now)
        previous_max = monitor.max_seq
        # Seqs above the highest stored one cannot be duplicates: look up only the others.
        maybe_stored = [seq for seq in by_seq if seq <= previous_max]
        existing = set(
            MonitoringLog.objects.filter(session_id=session.pk, seq__in=maybe_stored)
            .order_by()
            .values_list("seq", flat=True)
            if maybe_stored
            else ()
        )
        rows = []
        prev_hash = monitor.head_hash
        index = monitor.chain_length
        for seq in sorted(by_seq):
            if seq in existing:
                result.duplicates.append(seq)
                continue
            event = by_seq[seq]
            index += 1
            content = log_content(
                session_id=session.pk,
                chain_index=index,
                seq=seq,
                type=event.type,
                client_ts=event.client_ts,
                server_ts=now,
                payload=event.payload,
            )
            digest = chain_hash(prev_hash, content)
            rows.append(
                MonitoringLog(
                    session_id=session.pk,
                    seq=seq,
                    type=event.type,
                    client_ts=event.client_ts,
                    server_ts=now,
                    payload=event.payload,
                    chain_index=index,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
            result.accepted.append(seq)
        if rows:
            MonitoringLog.objects.bulk_create(rows)
            monitor.chain_length = index
            monitor.head_hash = prev_hash
            monitor.max_seq = max(monitor.max_seq, rows[-1].seq)
            _advance_contiguous(monitor, set(result.accepted), previous_max)
            # When everything stored before was derived, the new rows are all that is pending.
            derive_pending(
                monitor, now=now, pending=rows if previous_max <= monitor.derived_seq else None
            )
        monitor.settled = False
        monitor.save()
        result.highest_contiguous_seq = monitor.contiguous_seq
        result.max_seq = monitor.max_seq
        result.missing_seqs = _missing_seqs(monitor)
    result.duplicates.sort()
    return result


def incident_report(
    *,
    session: ExamSession,
    reporter: User,
    kind: str,
    severity: str,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    confidence: float = 1.0,
    details: dict[str, Any] | None = None,
    evidence: list[Any] | None = None,
    note: str = "",
) -> Incident:
    """Record an incident someone reported: a proctor by hand, or the exam page's detectors.

    The source is decided here from who reports (proctor or candidate page), never taken from
    the request. The caller checked that the reporter may report on this session.
    """
    source = Incident.Source.PROCTOR if reporter.is_reviewer else Incident.Source.CANDIDATE
    now = timezone.now()
    started_at = started_at or now
    if ended_at is not None and ended_at < started_at:
        raise InvalidInputError("ended_at is before started_at.", code="invalid_time_range")
    incident_details = {**(details or {}), "reported_by": reporter.pk}
    if note:
        incident_details["note"] = note
    return incident_create(
        session=session,
        kind=kind,
        source=source,
        started_at=started_at,
        ended_at=ended_at if ended_at is not None else started_at,
        severity=severity,
        confidence=confidence,
        details=incident_details,
        evidence=evidence or [],
    )


def _sweep_needed(session: ExamSession, now: datetime) -> bool:
    """A cheap look without the lock: is there anything for ``_sweep_active`` to do?"""
    monitor = getattr(session, "monitor", None)  # None when the page never sent anything
    timeout = float(session.policy.get("heartbeat_timeout_s", 30))
    last = (monitor.last_event_at if monitor else None) or session.started_at
    silent = last is not None and (now - last).total_seconds() >= timeout
    if silent and (monitor is None or monitor.offline_incident_id is None):
        return True
    if monitor is None:
        return False
    if monitor.derived_seq < monitor.max_seq:
        return True
    open_states = (monitor.derive_state or {}).get("open", {})
    return any(not state.get("incident_id") for state in open_states.values())


def _sweep_active(session: ExamSession, now: datetime) -> bool:
    with transaction.atomic():
        monitor = _monitor_lock(session)
        timeout = float(session.policy.get("heartbeat_timeout_s", 30))
        last = monitor.last_event_at or session.started_at
        changed = False
        if (
            monitor.offline_incident_id is None
            and last is not None
            and (now - last).total_seconds() >= timeout
        ):
            incident = incident_create(
                session=session,
                kind=Incident.Kind.OFFLINE,
                source=Incident.Source.BROWSER,
                started_at=last,
                severity=Incident.Severity.MEDIUM,
                details={"timeout_s": timeout, "open": True},
            )
            monitor.offline_incident_id = incident.pk
            changed = True
        if monitor.derived_seq < monitor.max_seq:
            changed = derive_pending(monitor, now=now) > 0 or changed
        derive_overdue_on_server_clock(monitor, now=now)
        monitor.save()
        return changed


def _sweep_ended(monitor: SessionMonitor, now: datetime) -> None:
    with transaction.atomic():
        monitor = _monitor_lock(monitor.session)
        session = monitor.session
        ended_at = session.ended_at or now
        # Events still waiting behind a gap will not be completed any more: derive them all.
        if monitor.derived_seq < monitor.max_seq:
            derive_pending(monitor, now=now, skip_gaps=True)
        derive_close_for_ended_session(monitor, at=ended_at)
        if monitor.offline_incident_id:
            incident = Incident.objects.filter(pk=monitor.offline_incident_id).first()
            if incident is not None and incident.is_open:
                incident_update(
                    incident=incident,
                    ended_at=max(ended_at, incident.started_at),
                    details={"open": False, "closed_by": "session_ended"},
                )
            monitor.offline_incident_id = None
        monitor.settled = True
        monitor.save()


def monitoring_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled pass: what no batch will trigger because the page went quiet.

    For running sessions: open an ``offline`` incident when nothing arrived for longer than the
    policy's ``heartbeat_timeout_s`` (closed by the page's next batch), derive events a gap has
    held back past the grace time, and open incidents for states (tab hidden, camera off...)
    that lasted their threshold by the server's clock. For ended sessions: close what is open.
    """
    now = now or timezone.now()
    touched = 0
    running = ExamSession.objects.filter(status=SessionStatus.IN_PROGRESS).select_related(
        "exam", "monitor"
    )
    for session in running:
        if not _sweep_needed(session, now):
            continue
        try:
            _sweep_active(session, now)
            touched += 1
        except Exception:  # one broken session must not stop the sweep of the others
            logger.exception("monitoring sweep failed for session %s", session.pk)
    ended = 0
    finished = (
        SessionMonitor.objects.filter(settled=False)
        .exclude(session__status__in=ACTIVE_STATUSES)
        .select_related("session", "session__exam")
    )
    for monitor in finished:
        try:
            _sweep_ended(monitor, now)
            ended += 1
        except Exception:
            logger.exception("monitoring sweep failed for session %s", monitor.session_id)
    return {"running": touched, "ended": ended}
