"""Reads of the dashboard: the triage list, one session's review data, the live snapshot."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from analysis.models import AnalysisResult, ResultStatus, SessionRisk
from exams.lifecycle import ACTIVE_STATUSES
from exams.models import ExamSession
from monitoring.models import Incident
from review.models import SessionVerdict

from . import sources


def sessions_for_triage(queryset: QuerySet | None = None) -> QuerySet:
    """Sessions with what triage sorts and filters on: risk, incident counts, latest verdict."""
    queryset = queryset if queryset is not None else ExamSession.objects.all()
    latest_verdict = SessionVerdict.objects.filter(session=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    queryset = queryset.select_related("candidate__candidate_profile", "exam").annotate(
        incident_total=Count("incidents", distinct=True),
        incident_unreviewed=Count(
            "incidents",
            filter=Q(incidents__review_status=Incident.ReviewStatus.UNREVIEWED),
            distinct=True,
        ),
        incident_high=Count(
            "incidents", filter=Q(incidents__severity=Incident.Severity.HIGH), distinct=True
        ),
        latest_verdict=Subquery(latest_verdict.values("verdict")[:1]),
    )
    return sources.risk_annotate(queryset)


TRIAGE_ORDERING = [
    F("risk_expected").desc(nulls_last=True),
    F("risk_score").desc(nulls_last=True),
    "-incident_high",
    "-incident_total",
    "-created_at",
]


def incident_kind_counts(session_ids: list[Any]) -> dict[Any, dict[str, int]]:
    """{session id: {kind: count}} for a page of sessions, in one query."""
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    rows = (
        Incident.objects.filter(session_id__in=session_ids)
        .values_list("session_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for session_id, kind, n in rows:
        counts[session_id][kind] = n
    return counts


SEVERITY_ORDER = {Incident.Severity.LOW: 1, Incident.Severity.MEDIUM: 2, Incident.Severity.HIGH: 3}


def incident_kind_severity(session_ids: list[Any]) -> dict[Any, dict[str, str]]:
    """{session id: {kind: the highest severity among that kind's incidents}}, one query."""
    worst: dict[Any, dict[str, str]] = defaultdict(dict)
    rows = (
        Incident.objects.filter(session_id__in=session_ids)
        .values_list("session_id", "kind", "severity")
        .distinct()
        .order_by()
    )
    for session_id, kind, severity in rows:
        known = worst[session_id].get(kind)
        if known is None or SEVERITY_ORDER.get(severity, 0) > SEVERITY_ORDER.get(known, 0):
            worst[session_id][kind] = severity
    return worst


def sessions_analysed(session_ids: list[Any]) -> set[Any]:
    """The sessions the engine has scored or analysed something of (frames, audio, events)."""
    analysed = set(
        AnalysisResult.objects.filter(session_id__in=session_ids, status=ResultStatus.OK)
        .values_list("session_id", flat=True)
        .distinct()
    )
    analysed |= set(
        SessionRisk.objects.filter(session_id__in=session_ids).values_list("session_id", flat=True)
    )
    return analysed


def session_incidents(session: ExamSession) -> list[Incident]:
    """The session's incidents with their verdict history prefetched."""
    return list(
        Incident.objects.filter(session=session)
        .prefetch_related("verdicts__reviewer")
        .order_by("started_at", "pk")
    )


def session_verdicts(session: ExamSession) -> list[SessionVerdict]:
    return list(session.verdicts.select_related("reviewer").order_by("created_at", "pk"))


def review_state(latest_verdict: str | None, unreviewed: int, total: int) -> tuple[str, str]:
    """(css key, label) of a session's review state for the list."""
    if latest_verdict:
        return latest_verdict, SessionVerdict.Verdict(latest_verdict).label
    if total == 0:
        return "none", "Nothing to review"
    if unreviewed:
        return "pending", f"{unreviewed} of {total} unreviewed"
    return "incidents-reviewed", "Incidents reviewed"


def live_sessions(*, exam_id: int | None = None) -> list[dict[str, Any]]:
    """Active sessions (of one exam if given), riskiest first, as plain data."""
    active = ExamSession.objects.filter(status__in=ACTIVE_STATUSES)
    if exam_id is not None:
        active = active.filter(exam_id=exam_id)
    queryset = sessions_for_triage(active)
    rows = list(queryset.order_by(*TRIAGE_ORDERING)[:500])
    open_counts = dict(
        Incident.objects.filter(session__in=[r.pk for r in rows], ended_at__isnull=True)
        .values_list("session_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        {
            "id": str(row.pk),
            "candidate": row.candidate.display_name,
            "email": row.candidate.email,
            "exam": row.exam.title,
            "exam_id": row.exam_id,
            "status": row.status,
            "started_at": row.started_at.isoformat() if row.started_at else None,
            "ends_at": row.ends_at.isoformat() if row.ends_at else None,
            "risk_score": row.risk_score,
            "risk_level": row.risk_level or "",
            "risk_expected": None if row.risk_expected is None else round(row.risk_expected, 4),
            "incidents": row.incident_total,
            "open_incidents": open_counts.get(row.pk, 0),
            "unreviewed": row.incident_unreviewed,
        }
        for row in rows
    ]


def recent_incidents(
    *, limit: int | None = None, exam_id: int | None = None
) -> list[dict[str, Any]]:
    limit = limit or settings.REVIEW_LIVE_RECENT_INCIDENTS
    rows = Incident.objects.select_related("session__candidate__candidate_profile")
    if exam_id is not None:
        rows = rows.filter(session__exam_id=exam_id)
    # Newest first by when it happened (an incident extended later keeps its place).
    rows = rows.order_by("-started_at", "-pk")[:limit]
    return [
        {
            "id": row.pk,
            "session_id": str(row.session_id),
            "candidate": row.session.candidate.display_name,
            "kind": row.kind,
            "kind_label": row.get_kind_display(),
            "severity": row.severity,
            "source": row.source,
            "started_at": row.started_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
            "confidence": row.confidence,
            "review_status": row.review_status,
        }
        for row in rows
    ]
