"""The per-session monitor rows of the ingest: locking them (one or a group), liveness, the
contiguous prefix and the missing seqs, and writing them back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F

from exams.models import ExamSession
from proctoring_site.realtime import proctor_feed_publish

from ..incidents import incident_create, incident_update
from ..models import EventType, Incident, MonitoringLog, SessionMonitor

MONITOR_INGEST_FIELDS = [
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

# The live page's "right now" states that come from paired browser events (derive_state).
LIVE_STATES_OPEN = {"tab_hidden": EventType.TAB_HIDDEN, "camera_off": EventType.CAMERA_OFF}
# A page heard from within this many seconds is connected; quieter, it is reconnecting until
# the sweep records it offline. The feed repeats an unchanged state this often at most, so
# the live page can tell a quiet page from a connected one without asking.
LIVE_CONNECTED_S = 30.0
LIVE_REPEAT_S = 20.0
_live_published: dict[Any, tuple[tuple[Any, ...], datetime]] = {}


def monitor_lock(session: ExamSession) -> SessionMonitor:
    """Lock (creating it if needed) one session's monitor row for this transaction: the
    scheduled sweep's way in, the same lock a group commit takes (``monitors_lock``)."""
    monitor = monitors_lock([session])[session.pk]
    monitor.session = session
    return monitor


def liveness_on_arrival(monitor: SessionMonitor, now: datetime) -> None:
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


def live_connection(monitor: SessionMonitor | None, *, now: datetime) -> str:
    """connected / reconnecting / offline, from the page's last batch and the offline record."""
    if monitor is None or monitor.last_event_at is None or monitor.offline_incident_id:
        return "offline"
    if (now - monitor.last_event_at).total_seconds() <= LIVE_CONNECTED_S:
        return "connected"
    return "reconnecting"


def live_state(monitor: SessionMonitor, *, now: datetime) -> dict[str, Any]:
    open_states = (monitor.derive_state or {}).get("open", {})
    return {
        "session_id": str(monitor.session_id),
        "connection": live_connection(monitor, now=now),
        **{name: event in open_states for name, event in LIVE_STATES_OPEN.items()},
        "last_event_at": monitor.last_event_at,
    }


def live_state_publish(monitor: SessionMonitor, *, now: datetime) -> bool:
    """Tell the proctor feed the session's state now (``session.state``), if it changed.

    An unchanged state is repeated after LIVE_REPEAT_S only. What was last sent is kept per
    process (a second ingest process may repeat a state once: harmless).
    """
    state = live_state(monitor, now=now)
    key = (state["connection"], *(state[name] for name in LIVE_STATES_OPEN))
    previous = _live_published.get(monitor.session_id)
    if (
        previous is not None
        and previous[0] == key
        and (now - previous[1]).total_seconds() < LIVE_REPEAT_S
    ):
        return False
    _live_published[monitor.session_id] = (key, now)
    if len(_live_published) > 20000:  # forget sessions not heard of for a while
        cutoff = now.timestamp() - 600
        for session_id, (_key, at) in list(_live_published.items()):
            if at.timestamp() < cutoff:
                del _live_published[session_id]
    proctor_feed_publish(event="session.state", data=state, exam_id=monitor.session.exam_id)
    return True


def offline_severity(silent_s: float, timeout_s: float) -> str:
    if silent_s >= max(120.0, 4 * timeout_s):
        return Incident.Severity.HIGH
    return Incident.Severity.MEDIUM


def advance_contiguous(monitor: SessionMonitor, new_seqs: set[int], previous_max: int) -> None:
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


def missing_seqs(monitor: SessionMonitor) -> list[int]:
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


def monitors_lock(sessions: list[ExamSession]) -> dict[Any, SessionMonitor]:
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


def monitors_save(monitors: list[SessionMonitor]) -> None:
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
    fields = [meta.get_field(name) for name in MONITOR_INGEST_FIELDS]
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
