"""``manage.py fairness_report [--exam ID]``: flag and dismissal rates per capture condition."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exams.models import Exam
from review.dashboard.fairness import DIMENSION_LABELS, fairness_report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _interval(pair: tuple[float | None, float | None]) -> str:
    low, high = pair
    return "" if low is None else f" [{low:.1%}, {high:.1%}]"


class Command(BaseCommand):
    help = (
        "Per capture-condition bucket (brightness, face size, resolution), per exam and per "
        "accommodation: flag rate of analyzed frames and dismissal rate of reviewed incidents, "
        "with bootstrap 95% intervals; warns where a bucket's dismissal rate is above the rest."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--exam", type=int, help="Only this exam's sessions.")
        parser.add_argument("--days", type=int, default=settings.REVIEW_STATS_DAYS)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        exam_id = options.get("exam")
        if exam_id is not None and not Exam.objects.filter(pk=exam_id).exists():
            raise CommandError(f"No exam with id {exam_id}.")
        if options["days"] <= 0:
            raise CommandError("--days must be positive.")
        report = fairness_report(exam_id=exam_id, days=options["days"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        scope = f"exam {exam_id}" if exam_id else "all exams"
        self.stdout.write(f"Fairness audit, {scope}, last {report.days} days")
        for dimension, rows in report.sections.items():
            self.stdout.write(f"\n{DIMENSION_LABELS[dimension]}")
            for row in rows:
                self.stdout.write(
                    f"  {row.bucket:<28} frames {row.frames:>6}  flagged "
                    f"{_pct(row.flag_rate)}{_interval(row.flag_interval)}  reviewed "
                    f"{row.reviewed:>5}  dismissed {_pct(row.dismissal_rate)}"
                    f"{_interval(row.dismissal_interval)}" + ("  WARNING" if row.warning else "")
                )
        warnings = report.warnings
        self.stdout.write("")
        for warning in warnings:
            self.stdout.write(self.style.WARNING(f"WARNING: {warning}"))
        if not warnings:
            self.stdout.write("No bucket's dismissal rate stands above the rest.")
