"""Session risk: recomputed from the session's incidents whenever one changes."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from analysis import scoring
from analysis.models import SessionRisk
from exams.models import ExamSession
from monitoring.models import Incident
from proctoring_site.realtime import proctor_feed_publish

logger = logging.getLogger(__name__)


def _facts(incident: Incident) -> scoring.IncidentFacts:
    return scoring.IncidentFacts(
        incident_id=incident.pk,
        kind=incident.kind,
        severity=incident.severity,
        confidence=incident.confidence,
        duration_s=incident.duration_s,
        review_status=incident.review_status,
    )


@transaction.atomic
def risk_recompute(*, session_id: Any) -> SessionRisk | None:
    """Score the session from all its incidents; push ``risk.updated`` when score or level move.

    Returns None when the session no longer exists (its incidents were deleted with it).
    """
    session = ExamSession.objects.filter(pk=session_id).only("pk", "exam_id").first()
    if session is None:
        return None
    incidents = Incident.objects.filter(session_id=session_id).only(
        "pk", "kind", "severity", "confidence", "started_at", "ended_at", "review_status"
    )
    score, level, explanation = scoring.session_risk(
        (_facts(incident) for incident in incidents),
        medium=settings.ANALYSIS_RISK_MEDIUM,
        high=settings.ANALYSIS_RISK_HIGH,
    )
    risk, created = SessionRisk.objects.select_for_update().get_or_create(
        session_id=session_id,
        defaults={"score": score, "level": level, "explanation": explanation},
    )
    previous = (None, None) if created else (risk.score, risk.level)
    if not created:
        risk.score, risk.level, risk.explanation = score, level, explanation
        risk.save(update_fields=["score", "level", "explanation", "updated_at"])
    if previous != (score, level):
        proctor_feed_publish(
            event="risk.updated",
            data={
                "session_id": str(session_id),
                "score": score,
                "level": level,
                "previous_score": previous[0],
                "previous_level": previous[1],
                "explanation": explanation,
            },
            exam_id=session.exam_id,
        )
    return risk


def risk_session_hook(session_id: Any) -> None:
    """monitoring's incidents-changed hook: re-score once the incidents are committed."""
    risk_recompute(session_id=session_id)
