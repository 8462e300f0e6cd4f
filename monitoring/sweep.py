"""The scheduled monitoring sweep: what no batch will trigger because the page went quiet."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from exams.lifecycle import ACTIVE_STATUSES, SessionStatus
from exams.models import ExamSession

from .derivation import (
    derive_close_for_ended_session,
    derive_overdue_on_server_clock,
    derive_pending,
)
from .incidents import incident_create, incident_update
from .models import Incident, SessionMonitor
from .services import monitor_lock

logger = logging.getLogger(__name__)


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
        monitor = monitor_lock(session)
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
        monitor = monitor_lock(monitor.session)
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
