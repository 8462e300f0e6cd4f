"""The fairness audit in production: flag and dismissal rates per capture condition.

Per bucket of brightness, face size and resolution (``analysis.capture_conditions``), per exam
and per accommodation: how often analyzed frames raise a flag, and how often reviewers dismiss
the incidents raised there, each with a bootstrap 95% interval. A bucket whose dismissal rate
is above the rest of its dimension with an interval of the difference that excludes zero gets
a warning: the analyzers are wrong there more often than elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from analysis.capture_conditions import (
    FLAGS,
    capture_buckets,
    difference_interval,
    proportion_interval,
)
from analysis.models import AnalysisResult, MediaKind, ResultStatus
from analysis.services.risk_signals import incident_signals
from exams.models import Exam, ExamSession
from monitoring.models import Incident

DIMENSIONS = ("brightness", "face_size", "resolution", "exam", "accommodation")
DIMENSION_LABELS = {
    "brightness": "Brightness of the frame",
    "face_size": "Face size",
    "resolution": "Frame resolution (shorter side)",
    "exam": "Exam",
    "accommodation": "Accommodation in force",
}
REVIEWED = (Incident.ReviewStatus.CONFIRMED, Incident.ReviewStatus.DISMISSED)


@dataclass
class BucketRow:
    bucket: str
    frames: int = 0
    flagged: int = 0
    reviewed: int = 0
    dismissed: int = 0
    flag_rate: float | None = None
    flag_interval: tuple[float | None, float | None] = (None, None)
    dismissal_rate: float | None = None
    dismissal_interval: tuple[float | None, float | None] = (None, None)
    excess_interval: tuple[float | None, float | None] = (None, None)
    warning: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class FairnessReport:
    exam_id: int | None
    days: int
    sections: dict[str, list[BucketRow]] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        return [row.warning for rows in self.sections.values() for row in rows if row.warning]

    def as_dict(self) -> dict[str, Any]:
        return {
            "exam_id": self.exam_id,
            "days": self.days,
            "sections": {k: [r.as_dict() for r in rows] for k, rows in self.sections.items()},
            "warnings": self.warnings,
        }


def _accommodation_names(accommodations: dict[str, Any] | None) -> list[str]:
    return sorted(accommodations) if accommodations else ["none"]


def _finish(dimension: str, rows: dict[str, BucketRow], seed: int) -> list[BucketRow]:
    ordered = sorted(rows.values(), key=lambda r: r.bucket)
    total_reviewed = sum(r.reviewed for r in ordered)
    total_dismissed = sum(r.dismissed for r in ordered)
    for index, row in enumerate(ordered):
        if row.frames:
            row.flag_rate = round(row.flagged / row.frames, 4)
            row.flag_interval = proportion_interval(row.flagged, row.frames, seed=seed + index)
        if row.reviewed:
            row.dismissal_rate = round(row.dismissed / row.reviewed, 4)
            row.dismissal_interval = proportion_interval(
                row.dismissed, row.reviewed, seed=seed + index
            )
            rest = (total_dismissed - row.dismissed, total_reviewed - row.reviewed)
            row.excess_interval = difference_interval(
                (row.dismissed, row.reviewed), rest, seed=seed + index
            )
            low = row.excess_interval[0]
            if low is not None and low > 0:
                others = rest[0] / rest[1]
                row.warning = (
                    f"{DIMENSION_LABELS[dimension]} '{row.bucket}': reviewers dismiss "
                    f"{row.dismissal_rate:.0%} of its incidents against {others:.0%} elsewhere "
                    f"(95% interval of the excess {low:+.0%} to {row.excess_interval[1]:+.0%})."
                )
    return ordered


def fairness_report(*, exam_id: int | None = None, days: int = 30, seed: int = 0) -> FairnessReport:
    """Flag rates (analyzed frames) and dismissal rates (reviewed incidents) per bucket."""
    since = timezone.now() - timedelta(days=days)
    sessions = ExamSession.objects.all()
    if exam_id is not None:
        sessions = sessions.filter(exam_id=exam_id)
    session_info = {
        pk: (exam, _accommodation_names(acc))
        for pk, exam, acc in sessions.values_list("pk", "exam_id", "accommodations")
    }
    exam_titles = dict(Exam.objects.values_list("pk", "title"))
    rows: dict[str, dict[str, BucketRow]] = {d: {} for d in DIMENSIONS}

    def bump(dimension: str, bucket: str, **counts: int) -> None:
        row = rows[dimension].setdefault(bucket, BucketRow(bucket))
        for name, value in counts.items():
            setattr(row, name, getattr(row, name) + value)

    results = AnalysisResult.objects.filter(
        session_id__in=session_info,
        kind=MediaKind.FRAME,
        status=ResultStatus.OK,
        captured_at__gte=since,
    ).values_list("session_id", "raw", "labels")
    for session_id, raw, labels in results.iterator(chunk_size=500):
        raw = raw or {}
        quality = raw.get("quality") or {}
        faces = raw.get("faces") or []
        buckets = capture_buckets(
            brightness=quality.get("brightness"),
            face_px=max((f.get("w") or 0 for f in faces), default=None),
            frame_width=raw.get("width"),
            frame_height=raw.get("height"),
        )
        exam, accommodations = session_info[session_id]
        buckets["exam"] = exam_titles.get(exam, str(exam))
        flagged = int(bool(set(labels or []) & FLAGS))
        for dimension, bucket in buckets.items():
            bump(dimension, bucket, frames=1, flagged=flagged)
        for name in accommodations:
            bump("accommodation", name, frames=1, flagged=flagged)

    incidents = list(
        Incident.objects.filter(
            session_id__in=session_info, review_status__in=REVIEWED, started_at__gte=since
        ).only(
            "pk",
            "session_id",
            "kind",
            "started_at",
            "ended_at",
            "confidence",
            "evidence",
            "review_status",
        )
    )
    for incident, signals in zip(incidents, incident_signals(incidents), strict=True):
        buckets = capture_buckets(
            brightness=signals.brightness,
            face_px=signals.face_px,
            frame_width=signals.frame_width,
            frame_height=signals.frame_height,
        )
        exam, accommodations = session_info[incident.session_id]
        buckets["exam"] = exam_titles.get(exam, str(exam))
        dismissed = int(incident.review_status == Incident.ReviewStatus.DISMISSED)
        for dimension, bucket in buckets.items():
            bump(dimension, bucket, reviewed=1, dismissed=dismissed)
        for name in accommodations:
            bump("accommodation", name, reviewed=1, dismissed=dismissed)

    report = FairnessReport(exam_id=exam_id, days=days)
    for offset, dimension in enumerate(DIMENSIONS):
        report.sections[dimension] = _finish(dimension, rows[dimension], seed + 100 * offset)
    return report
