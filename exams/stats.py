"""System statistics for proctors and admins."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from accounts.models import User
from monitoring.models import Incident

from .lifecycle import ACTIVE_STATUSES, SessionStatus
from .models import Exam, ExamSession


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
