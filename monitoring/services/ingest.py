"""Event ingest: idempotent, hash-chained, stored by group commit, with liveness and
incident derivation on the way. Rate limits are in ``monitoring.rate_limit``, the writer
threads in ``monitoring.ingest_pool``, the scheduled pass in ``monitoring.sweep``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

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

from ..chain import chain_hash, log_content
from ..derivation import derive_pending
from ..events import ParsedEvent, Rejection, event_parse
from ..models import MonitoringLog, SessionMonitor
from ..rate_limit import ingest_rate_limit_count
from .monitors import (
    advance_contiguous,
    live_state_publish,
    liveness_on_arrival,
    missing_seqs,
    monitors_lock,
    monitors_save,
)

logger = logging.getLogger(__name__)


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
        result.missing_seqs = missing_seqs(monitor)
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


def _batches_store(
    batches: list[_ParsedBatch], now: datetime
) -> list[IngestResult | ApplicationError]:
    """Append the batches' new events to their sessions' chains in one transaction."""
    outcomes: list[IngestResult | ApplicationError | None] = [None] * len(batches)
    with transaction.atomic():
        monitors = monitors_lock([batch.session for batch in batches])
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
            liveness_on_arrival(monitor, now)
            rows = _rows_append(batch, monitor, result, now)
            appended.append((position, result, monitor, rows, previous_max))
        MonitoringLog.objects.bulk_create(
            [row for _position, _result, _monitor, rows, _previous in appended for row in rows]
        )
        for position, result, monitor, rows, previous_max in appended:
            if rows:
                advance_contiguous(monitor, set(result.accepted), previous_max)
                # When everything stored before was derived, the new rows are all that is
                # pending.
                derive_pending(
                    monitor,
                    now=now,
                    pending=rows if previous_max <= monitor.derived_seq else None,
                )
            monitor.settled = False
            monitor.updated_at = now
            live_state_publish(monitor, now=now)
            outcomes[position] = _result_finish(result, monitor)
        monitors_save([monitor for _position, _result, monitor, _rows, _previous in appended])
    done: list[IngestResult | ApplicationError] = []
    for outcome in outcomes:
        assert outcome is not None, "every batch gets an outcome"
        done.append(outcome)
    return done


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
