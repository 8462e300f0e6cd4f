"""Recording incidents: the one way every app creates or extends one, so proctors hear of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from proctoring_site.realtime import proctor_feed_publish

from .models import Incident


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
    return incident
