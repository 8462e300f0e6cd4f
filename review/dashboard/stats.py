"""Numbers for proctors: the system totals of ``/api/admin/stats`` and the statistics page's
incidents over time, risk per exam, verdicts per kind."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from exams.lifecycle import ACTIVE_STATUSES, SessionStatus
from exams.models import Exam, ExamSession
from monitoring.models import Incident

from . import sources


@dataclass
class IncidentsOverTime:
    days: list[date]
    series: dict[str, list[int]]  # kind -> count per day
    labels: dict[str, str]


def _incidents(exam_id: int | None):  # noqa: ANN202
    rows = Incident.objects.all()
    return rows.filter(session__exam_id=exam_id) if exam_id is not None else rows


def incidents_over_time(*, days: int, exam_id: int | None = None) -> IncidentsOverTime:
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    axis = [first + timedelta(days=i) for i in range(days)]
    rows = (
        _incidents(exam_id)
        .filter(started_at__date__gte=first)
        .annotate(day=TruncDate("started_at"))
        .values_list("day", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    series: dict[str, list[int]] = {}
    for day, kind, n in rows:
        if day is None or day < first or day > today:
            continue
        series.setdefault(kind, [0] * days)[(day - first).days] += n
    ordered = dict(sorted(series.items(), key=lambda item: -sum(item[1])))
    return IncidentsOverTime(days=axis, series=ordered, labels=dict(Incident.Kind.choices))


RISK_BUCKETS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]


@dataclass
class ExamRisk:
    exam: str
    levels: dict[str, int]  # "high"/"medium"/"low"/"" -> sessions
    buckets: list[int]  # sessions per score bucket
    mean_score: float | None

    @property
    def unscored(self) -> int:
        return self.levels.get("", 0)


def risk_per_exam(*, exam_id: int | None = None) -> list[ExamRisk]:
    sessions = ExamSession.objects.all()
    if exam_id is not None:
        sessions = sessions.filter(exam_id=exam_id)
    rows = sources.risk_annotate(sessions).values_list("exam__title", "risk_score", "risk_level")
    by_exam: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"levels": defaultdict(int), "buckets": [0] * len(RISK_BUCKETS), "scores": []}
    )
    for title, score, level in rows:
        entry = by_exam[title]
        entry["levels"][level or ""] += 1
        if score is not None:
            entry["scores"].append(score)
            for index, (low, high) in enumerate(RISK_BUCKETS):
                if low <= score < high:
                    entry["buckets"][index] += 1
    return [
        ExamRisk(
            exam=title,
            levels=dict(entry["levels"]),
            buckets=entry["buckets"],
            mean_score=sum(entry["scores"]) / len(entry["scores"]) if entry["scores"] else None,
        )
        for title, entry in sorted(by_exam.items())
    ]


@dataclass
class KindVerdicts:
    kind: str
    label: str
    counts: dict[str, int]  # review status -> incidents

    @property
    def reviewed(self) -> int:
        return self.counts.get("confirmed", 0) + self.counts.get("dismissed", 0)

    @property
    def confirmed_share(self) -> float | None:
        return self.counts.get("confirmed", 0) / self.reviewed if self.reviewed else None


def verdicts_per_kind(*, exam_id: int | None = None) -> list[KindVerdicts]:
    """For each incident kind, how reviewers judged what the detectors raised."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        _incidents(exam_id).values_list("kind", "review_status").annotate(n=Count("pk")).order_by()
    )
    for kind, status, n in rows:
        counts[kind][status] = n
    labels = dict(Incident.Kind.choices)
    result = [
        KindVerdicts(kind=kind, label=labels.get(kind, kind), counts=values)
        for kind, values in counts.items()
    ]
    return sorted(result, key=lambda row: -sum(row.counts.values()))


def system_stats() -> dict[str, Any]:
    by_status = dict(ExamSession.objects.values_list("status").annotate(n=Count("pk")).order_by())
    incidents_by_kind = dict(
        Incident.objects.values_list("kind").annotate(n=Count("pk")).order_by()
    )
    return {
        "candidates": User.objects.filter(role=User.Role.CANDIDATE).count(),
        "exams": Exam.objects.count(),
        "sessions": {
            "total": sum(by_status.values()),
            "active": sum(by_status.get(status, 0) for status in ACTIVE_STATUSES),
            "by_status": {status.value: by_status.get(status, 0) for status in SessionStatus},
        },
        "incidents": {
            "total": sum(incidents_by_kind.values()),
            "unreviewed": Incident.objects.filter(
                review_status=Incident.ReviewStatus.UNREVIEWED
            ).count(),
            "by_kind": incidents_by_kind,
        },
    }
