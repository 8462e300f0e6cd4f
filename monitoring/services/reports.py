"""Incidents reported by hand: a proctor, or the exam page's own detectors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from exams.models import ExamSession
from proctoring_site.exceptions import InvalidInputError

from ..incidents import incident_create
from ..models import Incident

# What the exam page itself can observe. Analyzer kinds (faces, gaze, voices, identity), code
# similarity and a proctor's flag come only from the analyzers or a proctor: a candidate who
# could post them could forge findings against themselves or plant noise in the review.
CANDIDATE_REPORTABLE_KINDS = frozenset(
    {
        Incident.Kind.TAB_HIDDEN,
        Incident.Kind.WINDOW_BLUR,
        Incident.Kind.FULLSCREEN_EXIT,
        Incident.Kind.LARGE_PASTE,
        Incident.Kind.CAMERA_OFF,
        Incident.Kind.MIC_OFF,
        Incident.Kind.OFFLINE,
        Incident.Kind.DISPLAYS_CHANGED,
    }
)


def _candidate_report_check(
    session: ExamSession, kind: str, started_at: datetime, ended_at: datetime, now: datetime
) -> None:
    """A candidate-sourced report carries a page kind, inside the session's own time span."""
    if kind not in CANDIDATE_REPORTABLE_KINDS:
        raise InvalidInputError(
            f"The exam page cannot report {kind!r} incidents.", code="kind_not_allowed"
        )
    skew = timedelta(seconds=settings.MONITORING_MAX_FUTURE_SKEW_S)
    opened = session.started_at or session.created_at
    closes = min(now, session.ended_at or now) + skew
    if started_at < opened - skew or ended_at > closes:
        raise InvalidInputError(
            "An incident the page reports must lie within the session's own time.",
            code="outside_session_time",
            details={"session_started_at": opened.isoformat()},
        )


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
    if source == Incident.Source.CANDIDATE:
        _candidate_report_check(session, kind, started_at, ended_at or started_at, now)
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
