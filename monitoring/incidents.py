"""Recording incidents: the one way every app creates or extends one, so proctors hear of it.

Apps above this one react to incident changes through :func:`incidents_changed_hook_register`
(the analysis app re-scores the session's risk): after the transaction commits, once per
session however many incidents it created or extended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction

from proctoring_site.realtime import proctor_feed_publish

from .models import Incident

SessionHook = Callable[[Any], None]
_changed_hooks: list[SessionHook] = []
_PENDING_ATTR = "_incident_sessions_changed"


def incidents_changed_hook_register(hook: SessionHook) -> None:
    """Call ``hook(session_id)`` after each commit that changed that session's incidents."""
    if hook not in _changed_hooks:
        _changed_hooks.append(hook)


def _changed_flush(connection: Any) -> None:
    pending = getattr(connection, _PENDING_ATTR, None)
    if not pending:
        return
    setattr(connection, _PENDING_ATTR, set())
    for session_id in sorted(pending, key=str):
        for hook in _changed_hooks:
            hook(session_id)


def incidents_changed(*, session_id: Any) -> None:
    """Schedule the hooks for ``session_id`` when the current transaction commits.

    Sessions are collected per database connection (so per thread); the first commit callback
    runs the hooks once for every collected session and the others find nothing left. A
    rolled-back transaction's sessions run with the next commit: a hook recomputes from the
    stored rows, so an extra run changes nothing.
    """
    connection = transaction.get_connection()
    pending = getattr(connection, _PENDING_ATTR, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING_ATTR, pending)
    pending.add(session_id)
    # robust: the incidents are stored; a failing hook is logged, never the caller's error.
    transaction.on_commit(lambda: _changed_flush(connection), robust=True)


def incident_event_data(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "session_id": str(incident.session_id),
        "kind": incident.kind,
        "severity": incident.severity,
        "source": incident.source,
        "started_at": incident.started_at,
        "ended_at": incident.ended_at,
        "duration_s": incident.duration_s,
        "confidence": incident.confidence,
        "details": incident.details,
        "review_status": incident.review_status,
    }


def _publish(incident: Incident, event: str) -> None:
    exam_id = incident.session.exam_id if incident.session_id else None
    proctor_feed_publish(event=event, data=incident_event_data(incident), exam_id=exam_id)


@transaction.atomic
def incident_create(
    *,
    session: Any,
    kind: str,
    source: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    severity: str = Incident.Severity.MEDIUM,
    confidence: float = 1.0,
    details: dict[str, Any] | None = None,
    evidence: list[Any] | None = None,
) -> Incident:
    """Store an incident and tell the proctor feed (after commit)."""
    incident = Incident.objects.create(
        session=session,
        kind=kind,
        source=source,
        started_at=started_at,
        ended_at=ended_at,
        severity=severity,
        confidence=confidence,
        details=details or {},
        evidence=evidence or [],
    )
    _publish(incident, "incident.created")
    incidents_changed(session_id=incident.session_id)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    ended_at: datetime | None = None,
    confidence: float | None = None,
    details: dict[str, Any] | None = None,
    add_evidence: list[Any] | None = None,
    severity: str | None = None,
) -> Incident:
    """Extend or close an incident (merge details, append evidence) and tell the feed."""
    fields = ["updated_at"]
    if severity is not None and severity != incident.severity:
        incident.severity = severity
        fields.append("severity")
    if ended_at is not None:
        incident.ended_at = ended_at
        fields.append("ended_at")
    if confidence is not None:
        incident.confidence = confidence
        fields.append("confidence")
    if details:
        incident.details = {**incident.details, **details}
        fields.append("details")
    if add_evidence:
        incident.evidence = [*incident.evidence, *add_evidence]
        fields.append("evidence")
    incident.save(update_fields=fields)
    _publish(incident, "incident.updated")
    incidents_changed(session_id=incident.session_id)
    return incident


@transaction.atomic
def incident_review_status_set(*, incident: Incident, review_status: str) -> Incident:
    """Mirror a reviewer's latest verdict on the incident (the review app keeps the history)."""
    incident.review_status = review_status
    incident.save(update_fields=["review_status", "updated_at"])
    _publish(incident, "incident.updated")
    incidents_changed(session_id=incident.session_id)
    return incident
