"""Incidents reported by hand: a proctor, or the exam page's own detectors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from exams.models import ExamSession
from proctoring_site.exceptions import InvalidInputError

from ..incidents import incident_create
from ..models import Incident


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
