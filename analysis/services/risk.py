"""Session risk: recomputed from the session's incidents whenever one changes.

With an active :class:`~analysis.models.RiskModel` each incident gets its probability of being
confirmed (numpy inference, see ``analysis.learned``) and the session's risk is the expected
number of confirmed violations; without one the hand-set rules of ``analysis.scoring`` give
the probabilities. Either way the session's score is ``100 E / (E + 1)`` of the same E
(``scoring.expected_score``), with the same level thresholds, so the two paths read alike.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from analysis import scoring
from analysis.learned.features import FEATURES_VERSION, feature_matrix
from analysis.learned.inference import NetworkWeights, RiskPredictor
from analysis.models import RiskModel, SessionRisk
from analysis.services.risk_signals import incident_signals
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


def _unreviewed(review_status: str) -> bool:
    # Unreviewed or waiting for a second review: a verdict would still remove doubt.
    return review_status not in (
        Incident.ReviewStatus.CONFIRMED,
        Incident.ReviewStatus.DISMISSED,
    )


_PREDICTORS: dict[int, RiskPredictor] = {}


def predictor_for(model: RiskModel) -> RiskPredictor:
    """The numpy predictor of a stored model (cached per version: rows never change)."""
    predictor = _PREDICTORS.get(model.version)
    if predictor is None:
        weights = model.weights
        predictor = RiskPredictor(
            version=model.version,
            weights=NetworkWeights.from_json(weights["network"]),
            platt_a=float(weights["platt"]["a"]),
            platt_b=float(weights["platt"]["b"]),
            ece=model.ece,
        )
        _PREDICTORS[model.version] = predictor
    return predictor


def active_predictor() -> RiskPredictor | None:
    """The active model's predictor, or None (rules) when no model is active or compatible."""
    row = (
        RiskModel.objects.filter(is_active=True)
        .values("version", "features_version")
        .order_by("-version")
        .first()
    )
    if row is None or row["features_version"] != FEATURES_VERSION:
        return None
    cached = _PREDICTORS.get(row["version"])
    if cached is not None:
        return cached
    return predictor_for(RiskModel.objects.get(version=row["version"]))


def incident_probabilities(predictor: RiskPredictor, incidents: list[Incident]) -> np.ndarray:
    """P(confirmed violation) of each incident as the model sees it (its verdict ignored)."""
    return predictor.probabilities(feature_matrix(incident_signals(incidents)))


def _rules_reason() -> str:
    latest = RiskModel.objects.order_by("-version").only("version", "status", "reason").first()
    if latest is None:
        return "No risk model has been trained yet; the hand-set rules apply."
    return (
        f"No learned model is active; the hand-set rules apply. Latest training run "
        f"(v{latest.version}, {latest.get_status_display().lower()}): {latest.reason}"
    )


def _learned_session_risk(
    incidents: list[Incident], predictor: RiskPredictor, *, medium: int, high: int
) -> tuple[int, str, dict[str, Any], float, float]:
    probabilities = incident_probabilities(predictor, incidents)
    rows = []
    expected = 0.0
    uncertainty = 0.0
    for incident, model_p in zip(incidents, probabilities, strict=True):
        p = float(model_p)
        counted = scoring.counted_violations(p, incident.review_status)
        if _unreviewed(incident.review_status):
            uncertainty += p * (1.0 - p)
        expected += counted
        rows.append(
            {
                "incident_id": incident.pk,
                "kind": incident.kind,
                "severity": incident.severity,
                "review_status": incident.review_status,
                "duration_s": None
                if incident.duration_s is None
                else round(incident.duration_s, 1),
                "confidence": round(incident.confidence, 3),
                "probability": round(p, 4),
                "contribution": round(counted, 4),
            }
        )
    rows.sort(key=lambda row: row["contribution"], reverse=True)
    score = scoring.expected_score(expected)
    level = scoring.risk_level(score, medium=medium, high=high)
    explanation = {
        "version": f"risk-model-v{predictor.version}",
        "model": {"kind": "learned", "version": predictor.version, "ece": predictor.ece},
        "formula": "expected confirmed violations E = sum of the incidents' probabilities "
        "(confirmed = 1, dismissed = 0); score = 100 x E / (E + 1)",
        "expected_violations": round(expected, 4),
        **scoring.level_thresholds(medium=medium, high=high),
        "incidents": rows,
    }
    return score, level, explanation, expected, uncertainty


@transaction.atomic
def risk_recompute(*, session_id: Any) -> SessionRisk | None:
    """Score the session from all its incidents; push ``risk.updated`` when score or level move.

    Returns None when the session no longer exists (its incidents were deleted with it).
    """
    session = ExamSession.objects.filter(pk=session_id).only("pk", "exam_id").first()
    if session is None:
        return None
    incidents = list(
        Incident.objects.filter(session_id=session_id).only(
            "pk",
            "session_id",
            "kind",
            "severity",
            "confidence",
            "started_at",
            "ended_at",
            "review_status",
            "evidence",
        )
    )
    thresholds = {"medium": settings.ANALYSIS_RISK_MEDIUM, "high": settings.ANALYSIS_RISK_HIGH}
    predictor = active_predictor()
    if predictor is not None:
        score, level, explanation, expected, uncertainty = _learned_session_risk(
            incidents, predictor, **thresholds
        )
        model_version = f"v{predictor.version}"
    else:
        score, level, explanation = scoring.session_risk(
            (_facts(incident) for incident in incidents), **thresholds
        )
        explanation["model"] = {"kind": "rules", "reason": _rules_reason()}
        expected = float(explanation["expected_violations"])
        uncertainty = sum(
            row["probability"] * (1 - row["probability"])
            for row in explanation["incidents"]
            if _unreviewed(row["review_status"])
        )
        model_version = ""
    values = {
        "score": score,
        "level": level,
        "explanation": explanation,
        "expected_violations": expected,
        "uncertainty": uncertainty,
        "model_version": model_version,
    }
    risk, created = SessionRisk.objects.select_for_update().get_or_create(
        session_id=session_id, defaults=values
    )
    previous = (None, None, None) if created else (risk.score, risk.level, risk.expected_violations)
    if not created:
        for name, value in values.items():
            setattr(risk, name, value)
        risk.save(update_fields=[*values, "updated_at"])
    if previous != (score, level, expected):
        proctor_feed_publish(
            event="risk.updated",
            data={
                "session_id": str(session_id),
                "score": score,
                "level": level,
                "previous_score": previous[0],
                "previous_level": previous[1],
                "expected_violations": round(expected, 4),
                "explanation": explanation,
            },
            exam_id=session.exam_id,
        )
    return risk


def risk_session_hook(session_id: Any) -> None:
    """monitoring's incidents-changed hook: re-score once the incidents are committed."""
    risk_recompute(session_id=session_id)
