"""Writes for monitoring: event ingest (idempotent, hash-chained), liveness, and incidents
reported by hand. Rate limits are in ``rate_limit``, the scheduled pass in ``sweep``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from exams.models import ExamSession
from exams.selectors import session_require_active
from exams.services import session_expire_if_due
from proctoring_site.exceptions import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)

from .chain import chain_hash, log_content
from .derivation import (
    derive_pending,
)
from .events import ParsedEvent, Rejection, event_parse
from .incidents import incident_create, incident_update
from .models import Incident, MonitoringLog, SessionMonitor
from .rate_limit import ingest_rate_limit_count

logger = logging.getLogger(__name__)

_MONITOR_INGEST_FIELDS = [
    "chain_length",
    "head_hash",
    "contiguous_seq",
    "max_seq",
    "derived_seq",
    "derive_state",
    "last_event_at",
    "offline_incident_id",
    "settled",
    "updated_at",
]

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


def monitor_lock(session: ExamSession) -> SessionMonitor:
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
                severity=offline_severity(silent, timeout),
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
            severity=offline_severity(silent, timeout),
            details={"silent_s": round(silent, 3), "timeout_s": timeout},
        )
    monitor.last_event_at = now


def offline_severity(silent_s: float, timeout_s: float) -> str:
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
    The caller has checked that the session belongs to the candidate; a session that is no
    longer active (or whose time just ran out) raises ConflictError.
    """
    outcome = events_ingest_many(batches=[(session, raw_events)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass
class _ParsedBatch:
    """One request's events, checked and parsed; the store step starts from these each time."""

    session: ExamSession
    by_seq: dict[int, ParsedEvent]
    by_seq_index: dict[int, int]
    rejected: list[Rejection]
    duplicates: list[int]

    def result(self) -> IngestResult:
        return IngestResult(
            session_id=str(self.session.pk),
            rejected=list(self.rejected),
            duplicates=list(self.duplicates),
        )


def _batch_check(raw_events: Any) -> None:
    if not isinstance(raw_events, list):
        raise InvalidInputError("events must be a list.", code="invalid_batch")
    if len(raw_events) > settings.MONITORING_BATCH_MAX_EVENTS:
        raise PayloadTooLargeError(
            f"A batch holds at most {settings.MONITORING_BATCH_MAX_EVENTS} events.",
            code="batch_too_large",
            details={"limit": settings.MONITORING_BATCH_MAX_EVENTS, "size": len(raw_events)},
        )


def _batch_parse(session: ExamSession, raw_events: list[Any], now: datetime) -> _ParsedBatch:
    batch = _ParsedBatch(session, {}, {}, [], [])
    for index, raw in enumerate(raw_events):
        parsed = event_parse(raw, index=index, now=now)
        if isinstance(parsed, Rejection):
            batch.rejected.append(parsed)
        elif parsed.seq in batch.by_seq:
            batch.duplicates.append(parsed.seq)
        else:
            batch.by_seq[parsed.seq] = parsed
            batch.by_seq_index[parsed.seq] = index
    return batch


def _result_finish(result: IngestResult, monitor: SessionMonitor | None) -> IngestResult:
    if monitor is not None:
        result.highest_contiguous_seq = monitor.contiguous_seq
        result.max_seq = monitor.max_seq
        result.missing_seqs = _missing_seqs(monitor)
    result.duplicates.sort()
    result.rejected.sort(key=lambda rejection: rejection.index)
    return result


def events_ingest_many(
    *, batches: Sequence[tuple[ExamSession, Any]]
) -> list[IngestResult | Exception]:
    """``events_ingest`` for several requests (of different sessions) in one transaction.

    This is the group commit of the ingest writer: one rate-limit round trip, one lock query,
    one insert and one monitor update serve every request, instead of a transaction each.
    Each request gets its own outcome, a result or the error it alone caused (too large, rate
    limited, session not active). Should the shared transaction fail, each request is stored
    again on its own, so one session's failure never costs another its events; what a request
    then raises on its own becomes its outcome.
    """
    now = timezone.now()
    outcomes: list[IngestResult | Exception | None] = [None] * len(batches)
    checked: list[int] = []
    for position, (_session, raw_events) in enumerate(batches):
        try:
            _batch_check(raw_events)
        except ApplicationError as exc:
            outcomes[position] = exc
        else:
            checked.append(position)
    limits = ingest_rate_limit_count(
        [(batches[position][0].pk, len(batches[position][1])) for position in checked]
    )
    parsed: dict[int, _ParsedBatch] = {}
    for position, limited in zip(checked, limits, strict=True):
        if limited is not None:
            outcomes[position] = limited
            continue
        session, raw_events = batches[position]
        batch = _batch_parse(session, raw_events, now)
        if batch.by_seq:
            parsed[position] = batch
            continue
        try:
            _session_require_active_now(session)
        except ApplicationError as exc:
            outcomes[position] = exc
        else:
            monitor = SessionMonitor.objects.filter(session_id=session.pk).first()
            outcomes[position] = _result_finish(batch.result(), monitor)
    # One request per session in the shared transaction; a second one of a session goes alone.
    grouped: dict[Any, int] = {}
    for position, batch in parsed.items():
        grouped.setdefault(batch.session.pk, position)
    alone = [position for position in parsed if position not in grouped.values()]
    if len(grouped) > 1:
        try:
            stored = _batches_store([parsed[position] for position in grouped.values()], now)
        except Exception:
            logger.warning(
                "group commit of %d ingest requests failed; storing each alone",
                len(grouped),
                exc_info=True,
            )
            alone = list(parsed)
        else:
            for position, outcome in zip(grouped.values(), stored, strict=True):
                outcomes[position] = outcome
    else:
        alone = list(parsed)
    for position in sorted(alone):
        try:
            outcomes[position] = _batches_store([parsed[position]], now)[0]
        except Exception as exc:  # noqa: BLE001 - this request's own failure, for its caller
            outcomes[position] = exc
    done: list[IngestResult | Exception] = []
    for position, outcome in enumerate(outcomes):
        assert outcome is not None, "every request gets an outcome"
        if isinstance(outcome, _DeadlinePassed):
            try:
                outcome = _batch_after_deadline(parsed[position])
            except Exception as exc:  # noqa: BLE001 - as above
                outcome = exc
        done.append(outcome)
    return done


class _DeadlinePassed(ConflictError):
    """The session's time ran out before its events were stored: expired after the commit."""

    code = "session_not_active"


def _session_require_active_now(session: ExamSession) -> None:
    """ConflictError unless the session (read again now) still accepts events."""
    row = ExamSession.objects.filter(pk=session.pk).values_list("status", "ends_at").first()
    if row is None:
        raise NotFoundError("No such session.")
    session.status, session.ends_at = row
    session_expire_if_due(session)
    session_require_active(session)


def _batch_after_deadline(batch: _ParsedBatch) -> IngestResult | ApplicationError:
    try:
        _session_require_active_now(batch.session)
    except ApplicationError as exc:
        return exc
    # The deadline moved (an extension) between the look and the expiry: store after all.
    return _batches_store([batch], timezone.now())[0]


def _monitors_lock(sessions: list[ExamSession]) -> dict[Any, SessionMonitor]:
    """Lock the sessions' monitor rows (creating missing ones), in one order everywhere.

    Each comes with the session's current status and deadline (``session_status``,
    ``session_ends_at``): the ingest decides on those, not on what the caller loaded earlier.
    Rows are locked in session id order, so two groups sharing sessions cannot deadlock.
    """
    ids = sorted({session.pk for session in sessions}, key=str)
    found = _monitors_select(ids)
    missing = [session_id for session_id in ids if session_id not in found]
    if missing:
        # Only for sessions that exist: a foreign key is checked at commit on PostgreSQL,
        # where a deleted session would fail everybody's group.
        existing = ExamSession.objects.filter(pk__in=missing).values_list("pk", flat=True)
        SessionMonitor.objects.bulk_create(
            [SessionMonitor(session_id=session_id) for session_id in existing],
            ignore_conflicts=True,
        )
        found.update(_monitors_select(missing))
    return found


def _monitors_select(ids: list[Any]) -> dict[Any, SessionMonitor]:
    query = (
        SessionMonitor.objects.filter(session_id__in=ids)
        .annotate(session_status=F("session__status"), session_ends_at=F("session__ends_at"))
        .order_by("session_id")
    )
    if connection.vendor != "sqlite":  # SQLite's writer already holds the database lock
        query = query.select_for_update(of=("self",))
    return {monitor.session_id: monitor for monitor in query}


def _batches_store(
    batches: list[_ParsedBatch], now: datetime
) -> list[IngestResult | ApplicationError]:
    """Append the batches' new events to their sessions' chains in one transaction."""
    outcomes: list[IngestResult | ApplicationError | None] = [None] * len(batches)
    with transaction.atomic():
        monitors = _monitors_lock([batch.session for batch in batches])
        appended: list[tuple[int, IngestResult, SessionMonitor, list[MonitoringLog], int]] = []
        for position, batch in enumerate(batches):
            monitor = monitors.get(batch.session.pk)
            if monitor is None:
                outcomes[position] = NotFoundError("No such session.")
                continue
            session = batch.session
            session.status, session.ends_at = monitor.session_status, monitor.session_ends_at
            if session.is_active and session.ends_at is not None and session.ends_at <= now:
                outcomes[position] = _DeadlinePassed("The session's time ran out.")
                continue
            try:
                session_require_active(session)
            except ApplicationError as exc:
                outcomes[position] = exc
                continue
            monitor.session = session
            result = batch.result()
            previous_max = monitor.max_seq
            _liveness_on_arrival(monitor, now)
            rows = _rows_append(batch, monitor, result, now)
            appended.append((position, result, monitor, rows, previous_max))
        MonitoringLog.objects.bulk_create(
            [row for _position, _result, _monitor, rows, _previous in appended for row in rows]
        )
        for position, result, monitor, rows, previous_max in appended:
            if rows:
                _advance_contiguous(monitor, set(result.accepted), previous_max)
                # When everything stored before was derived, the new rows are all that is
                # pending.
                derive_pending(
                    monitor,
                    now=now,
                    pending=rows if previous_max <= monitor.derived_seq else None,
                )
            monitor.settled = False
            monitor.updated_at = now
            outcomes[position] = _result_finish(result, monitor)
        _monitors_save([monitor for _position, _result, monitor, _rows, _previous in appended])
    done: list[IngestResult | ApplicationError] = []
    for outcome in outcomes:
        assert outcome is not None, "every batch gets an outcome"
        done.append(outcome)
    return done


def _monitors_save(monitors: list[SessionMonitor]) -> None:
    """Write the ingest's fields of several locked monitors in one statement.

    ``bulk_update`` would do it too, but it builds a CASE expression per field and row, which
    cost more CPU than the rest of a group's work together (measured with py-spy in
    bench/ingest.py). PostgreSQL gets one UPDATE ... FROM (VALUES ...); SQLite, in process and
    holding the database lock, one prepared UPDATE per row.
    """
    if not monitors:
        return
    meta = SessionMonitor._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _MONITOR_INGEST_FIELDS]
    key = meta.get_field("session")
    rows = [
        [key.get_db_prep_value(monitor.session_id, connection)]
        + [field.get_db_prep_save(getattr(monitor, field.attname), connection) for field in fields]
        for monitor in monitors
    ]
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = ", ".join(
                f"%s::{field.db_type(connection).split('(')[0]}" for field in [key, *fields]
            )
            columns = ", ".join(quote(field.column) for field in [key, *fields])
            assignments = ", ".join(
                f"{quote(field.column)} = v.{quote(field.column)}" for field in fields
            )
            cursor.execute(
                f"UPDATE {table} AS m SET {assignments} "  # noqa: S608 - names from the model
                f"FROM (VALUES {', '.join([f'({casts})'] * len(rows))}) AS v({columns}) "
                f"WHERE m.{quote(key.column)} = v.{quote(key.column)}",
                [value for row in rows for value in row],
            )
        else:
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(key.column)} = %s",  # noqa: S608
                [row[1:] + row[:1] for row in rows],
            )


def _rows_append(
    batch: _ParsedBatch, monitor: SessionMonitor, result: IngestResult, now: datetime
) -> list[MonitoringLog]:
    """The batch's new rows, chained after the monitor's head (duplicates and conflicts out)."""
    session_id = batch.session.pk
    # Seqs above the highest stored one cannot be duplicates: look up only the others.
    maybe_stored = [seq for seq in batch.by_seq if seq <= monitor.max_seq]
    existing = (
        {
            seq: (type_, client_ts)
            for seq, type_, client_ts in MonitoringLog.objects.filter(
                session_id=session_id, seq__in=maybe_stored
            )
            .order_by()
            .values_list("seq", "type", "client_ts")
        }
        if maybe_stored
        else {}
    )
    rows = []
    prev_hash = monitor.head_hash
    index = monitor.chain_length
    for seq in sorted(batch.by_seq):
        incoming = batch.by_seq[seq]
        if seq in existing:
            if existing[seq] == (incoming.type, incoming.client_ts):
                result.duplicates.append(seq)
            else:
                # The page's counter restarted (a reload without its saved seq?): the stored
                # event stays, and the page is told to continue after max_seq.
                result.rejected.append(
                    Rejection(
                        batch.by_seq_index[seq],
                        seq,
                        "seq_conflict",
                        "This seq is already used by a different event; "
                        "number new events after max_seq.",
                    )
                )
            continue
        index += 1
        content = log_content(
            session_id=session_id,
            chain_index=index,
            seq=seq,
            type=incoming.type,
            client_ts=incoming.client_ts,
            server_ts=now,
            payload=incoming.payload,
        )
        digest = chain_hash(prev_hash, content)
        rows.append(
            MonitoringLog(
                session_id=session_id,
                seq=seq,
                type=incoming.type,
                client_ts=incoming.client_ts,
                server_ts=now,
                payload=incoming.payload,
                chain_index=index,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
        result.accepted.append(seq)
    if rows:
        monitor.chain_length = index
        monitor.head_hash = prev_hash
        monitor.max_seq = max(monitor.max_seq, rows[-1].seq)
    return rows


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
