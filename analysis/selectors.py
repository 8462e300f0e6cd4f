"""Reads of the analysis app: results as a user may see them, statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet

from accounts.models import User
from exams.models import ExamSession
from exams.selectors import session_for_user

from .models import (
    AnalysisResult,
    Enrollment,
    MediaItem,
    MediaKind,
    ResultLabel,
    ResultStatus,
    SessionRisk,
)


def results_for_user(
    *,
    user: User,
    session_id: Any = None,
    label: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AnalysisResult]:
    """Results ``user`` may see (a candidate only their own sessions'), filtered, oldest first."""
    results = AnalysisResult.objects.all()
    if not user.is_reviewer:
        results = results.filter(session__candidate=user)
    if session_id is not None:
        results = results.filter(session=session_for_user(user=user, session_id=session_id))
    if label:
        results = results.filter(label_rows__label=label)
    if kind:
        results = results.filter(kind=kind)
    if status:
        results = results.filter(status=status)
    if since:
        results = results.filter(captured_at__gte=since)
    if until:
        results = results.filter(captured_at__lt=until)
    return results.order_by("captured_at", "pk")


def _summary(results: QuerySet[AnalysisResult]) -> dict[str, Any]:
    totals = results.aggregate(
        total=Count("pk"),
        failed=Count("pk", filter=Q(status=ResultStatus.FAILED)),
        mean_risk=Avg("risk_score", filter=Q(status=ResultStatus.OK)),
        max_risk=Max("risk_score"),
    )
    labels = (
        ResultLabel.objects.filter(result__in=results.values("pk"))
        .values_list("label")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "results": totals["total"],
        "failed": totals["failed"],
        "by_label": dict(sorted(labels)),
        "risk": {
            "mean": None if totals["mean_risk"] is None else round(totals["mean_risk"], 2),
            "max": totals["max_risk"],
        },
    }


def analysis_stats(
    *, exam_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Counts per label, mean and max item risk, overall and per exam; session risk levels."""
    results = AnalysisResult.objects.all()
    if exam_id is not None:
        results = results.filter(session__exam_id=exam_id)
    if since:
        results = results.filter(captured_at__gte=since)
    if until:
        results = results.filter(captured_at__lt=until)
    exams = (
        results.values_list("session__exam_id", "session__exam__title")
        .distinct()
        .order_by("session__exam_id")
    )
    per_exam = []
    for exam, title in exams:
        summary = _summary(results.filter(session__exam_id=exam))
        risks = SessionRisk.objects.filter(session__exam_id=exam)
        summary["sessions_by_risk_level"] = dict(
            risks.values_list("level").annotate(n=Count("pk")).order_by()
        )
        per_exam.append({"exam_id": exam, "title": title, **summary})
    return {"overall": _summary(results), "by_exam": per_exam}


def analysis_health() -> dict[str, Any]:
    """For ``/health/``: frames and chunks still waiting for a result, and the oldest lease."""
    pending = MediaItem.objects.filter(analysis_leased_at__isnull=False).exclude(
        kind=MediaKind.ENROLLMENT
    )
    summary = pending.aggregate(items=Count("pk"), oldest_lease=Min("analysis_leased_at"))
    return {"pending_media": summary["items"], "oldest_lease": summary["oldest_lease"]}


def recent_voice_windows(
    *, session_id: Any, before: datetime, window_s: float
) -> list[tuple[int | None, datetime, list[str]]]:
    """The session's audio chunks with speech captured in the ``window_s`` before ``before``,
    oldest first: ``(media id, captured_at, encoded window embeddings)`` for the voice judgement
    over the session's recent audio."""
    rows = (
        AnalysisResult.objects.filter(
            session_id=session_id,
            kind=MediaKind.AUDIO,
            status=ResultStatus.OK,
            speaker_count__gte=1,
            captured_at__gt=before - timedelta(seconds=window_s),
            captured_at__lt=before,
        )
        .order_by("captured_at", "pk")
        .values_list("media_id", "captured_at", "raw__window_embeddings")
    )
    return [(media_id, at, list(encoded or [])) for media_id, at, encoded in rows]


def enrollment_kinds(*, session: ExamSession) -> list[str]:
    """The kinds of identity template (face, voice) stored for ``session``."""
    return list(Enrollment.objects.filter(session=session).values_list("kind", flat=True))


def analysis_capacity_probe() -> dict[str, float | int | None]:
    """Queue depth (tasks waiting in the django-q2 broker), items waiting for a result, and the
    analysis lag of the item analyzed last (upload to result), for metrics and the health
    endpoint: three cheap reads. A task takes several waiting items of one session, so the
    broker holds one task per busy session at most: ``items_waiting`` is the backlog."""
    from django_q.brokers import get_broker

    latest = AnalysisResult.objects.select_related("media").order_by("-pk").first()
    lag = None
    if latest is not None and latest.media is not None:
        lag = round((latest.created_at - latest.media.received_at).total_seconds(), 3)
    waiting = (
        MediaItem.objects.filter(analysis_leased_at__isnull=False)
        .exclude(kind=MediaKind.ENROLLMENT)
        .count()
    )
    return {
        "queue_depth": get_broker().queue_size(),
        "items_waiting": waiting,
        "last_upload_to_result_s": lag,
    }
