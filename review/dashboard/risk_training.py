"""Training the learned incident risk on the proctors' verdicts (champion and challenger).

Reads verdicts, so it lives with the review code; everything numeric is in ``analysis.learned``
(numpy) and the Keras fit runs in a child process (``analysis.learned.keras_fit``): this module
never imports TensorFlow, whichever process calls it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max

from analysis import scoring
from analysis.learned import metrics
from analysis.learned.features import FEATURE_NAMES, FEATURES_VERSION, feature_matrix
from analysis.learned.inference import RiskPredictor
from analysis.learned.keras_fit import FitConfig, fit_in_subprocess
from analysis.models import RiskModel, SessionRisk
from analysis.services.risk import (
    incident_probabilities,
    predictor_for,
    risk_recompute,
)
from analysis.services.risk_signals import incident_signals
from monitoring.models import Incident

from ..models import IncidentVerdict

logger = logging.getLogger(__name__)

SCHEDULE_LOCK_KEY = "risk-model-training-queued"
BOOTSTRAP_RESAMPLES = 1000


@dataclass
class TrainingSet:
    """Every incident whose latest verdict is confirmed (1) or dismissed (0)."""

    incidents: list[Incident]
    labels: np.ndarray
    verdict_count: int


def training_set_build() -> TrainingSet:
    """The labelled incidents: unreviewed ones and "needs second review" are not data."""
    latest: dict[int, str] = {}
    rows = IncidentVerdict.objects.order_by("incident_id", "created_at", "pk").values_list(
        "incident_id", "verdict"
    )
    verdict_count = 0
    for incident_id, verdict in rows.iterator():
        latest[incident_id] = verdict
        verdict_count += 1
    labelled = {
        pk: 1.0 if verdict == IncidentVerdict.Verdict.CONFIRMED else 0.0
        for pk, verdict in latest.items()
        if verdict in (IncidentVerdict.Verdict.CONFIRMED, IncidentVerdict.Verdict.DISMISSED)
    }
    incidents = list(Incident.objects.filter(pk__in=labelled).order_by("pk"))
    labels = np.asarray([labelled[incident.pk] for incident in incidents])
    return TrainingSet(incidents=incidents, labels=labels, verdict_count=verdict_count)


def rule_probabilities(incidents: list[Incident]) -> np.ndarray:
    """The rules' per-incident contribution as if unreviewed: the score a model must beat."""
    values = []
    for incident in incidents:
        _, _, explanation = scoring.session_risk(
            [
                scoring.IncidentFacts(
                    incident_id=incident.pk,
                    kind=incident.kind,
                    severity=incident.severity,
                    confidence=incident.confidence,
                    duration_s=incident.duration_s,
                    review_status="unreviewed",
                )
            ],
            medium=0,
            high=0,
        )
        values.append(explanation["incidents"][0]["contribution"])
    return np.asarray(values, dtype=float)


def _split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified 60 / 20 / 20: fit, calibration, held-out evaluation."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[], [], []]
    for value in (0.0, 1.0):
        index = np.flatnonzero(labels == value)
        rng.shuffle(index)
        cut_fit, cut_cal = int(round(0.6 * len(index))), int(round(0.8 * len(index)))
        parts[0].extend(index[:cut_fit])
        parts[1].extend(index[cut_fit:cut_cal])
        parts[2].extend(index[cut_cal:])
    return tuple(np.sort(np.asarray(part, dtype=int)) for part in parts)  # type: ignore[return-value]


def _per_kind(
    incidents: list[Incident], labels: np.ndarray, scores: dict[str, np.ndarray]
) -> dict[str, dict[str, Any]]:
    kinds = np.asarray([incident.kind for incident in incidents])
    table: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(kinds)):
        mask = kinds == kind
        table[kind] = {
            "n": int(mask.sum()),
            "confirmed_rate": round(float(labels[mask].mean()), 4),
            **{name: metrics.figures(labels[mask], s[mask]) for name, s in scores.items()},
        }
    return table


def _auc_gain_interval(
    labels: np.ndarray, challenger: np.ndarray, champion: np.ndarray, seed: int
) -> tuple[float | None, float | None]:
    def gain(index: np.ndarray) -> float | None:
        a = metrics.auc(labels[index], challenger[index])
        b = metrics.auc(labels[index], champion[index])
        return None if a is None or b is None else a - b

    return metrics.bootstrap_interval(
        gain, len(labels), resamples=BOOTSTRAP_RESAMPLES, level=0.90, seed=seed
    )


def _auc_interval(labels: np.ndarray, scores: np.ndarray, seed: int):
    return metrics.bootstrap_interval(
        lambda index: metrics.auc(labels[index], scores[index]),
        len(labels),
        resamples=BOOTSTRAP_RESAMPLES,
        seed=seed,
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _decide(figures: dict[str, Any], champion_name: str) -> tuple[bool, str]:
    """Activate only when the challenger beats the champion on both AUC and ECE, its AUC gain
    is clear of zero (one-sided 95% bootstrap bound) and its own AUC interval excludes 0.5."""
    model, champion = figures["model"], figures[champion_name]
    low_gain = figures["auc_gain_interval"][0]
    low_auc = figures["model_auc_interval"][0]
    reasons = []
    if model["auc"] is None or champion["auc"] is None:
        return False, "The held-out split lacks one of the classes; nothing can be compared."
    if low_auc is None or low_auc <= 0.5:
        reasons.append(
            f"its held-out AUC {model['auc']:.3f} is not clearly above chance "
            f"(95% interval from {_fmt(low_auc)}): the verdicts carry no signal it can learn"
        )
    if model["auc"] <= champion["auc"] or low_gain is None or low_gain <= 0:
        reasons.append(
            f"AUC {model['auc']:.3f} does not clearly beat the {champion_name} score's "
            f"{champion['auc']:.3f} (lower bound of the gain {_fmt(low_gain)})"
        )
    if model["ece"] >= champion["ece"]:
        reasons.append(
            f"ECE {model['ece']:.3f} is not below the {champion_name} score's {champion['ece']:.3f}"
        )
    if reasons:
        return False, "Not activated: " + "; ".join(reasons) + "."
    return True, (
        f"Activated: held-out AUC {model['auc']:.3f} vs {champion['auc']:.3f} and ECE "
        f"{model['ece']:.3f} vs {champion['ece']:.3f} ({champion_name})."
    )


def _next_version() -> int:
    return (RiskModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def _record(**fields: Any) -> RiskModel:
    return RiskModel.objects.create(
        version=_next_version(),
        features_version=FEATURES_VERSION,
        feature_names=list(FEATURE_NAMES),
        **fields,
    )


def risk_model_train(
    *, trigger: str = "command", seed: int = 0, fit_config: FitConfig | None = None
) -> RiskModel:
    """Train a challenger on the stored verdicts and keep it, active or not, with its figures.

    Too few labelled incidents (``RISK_MODEL_MIN_VERDICTS``, ``RISK_MODEL_MIN_PER_CLASS`` of
    each class) records an ``insufficient`` row and the rules stay. A trained model becomes
    active only when it beats the active model (or the rules) on the held-out split on both
    AUC and ECE (see ``_decide``); the sessions are then re-scored with it.
    """
    started = time.perf_counter()
    data = training_set_build()
    n = len(data.labels)
    confirmed = int(data.labels.sum())
    balance = {"confirmed": confirmed, "dismissed": n - confirmed}
    minimum, per_class = settings.RISK_MODEL_MIN_VERDICTS, settings.RISK_MODEL_MIN_PER_CLASS
    if n < minimum or min(confirmed, n - confirmed) < per_class:
        reason = (
            f"{n} labelled incidents ({confirmed} confirmed, {n - confirmed} dismissed); "
            f"training needs at least {minimum} with {per_class} of each class, so the "
            "rule-based score stays."
        )
        logger.info("risk model: %s", reason)
        return _record(
            status=RiskModel.Status.INSUFFICIENT,
            reason=reason,
            trigger=trigger,
            training_size=n,
            class_balance=balance,
            verdict_count=data.verdict_count,
        )

    features = feature_matrix(incident_signals(data.incidents))
    rules = rule_probabilities(data.incidents)
    fit_index, cal_index, test_index = _split(data.labels, seed)
    labels_fit = data.labels[fit_index]
    positives = labels_fit.sum()
    class_weight = {
        1.0: len(labels_fit) / (2 * positives),
        0.0: len(labels_fit) / (2 * (len(labels_fit) - positives)),
    }
    sample_weights = np.asarray([class_weight[v] for v in labels_fit])
    try:
        network, fit_seconds = fit_in_subprocess(
            features[fit_index],
            labels_fit,
            sample_weights,
            fit_config or FitConfig(seed=seed + 7),
            timeout_s=settings.RISK_MODEL_FIT_TIMEOUT_S,
        )
    except Exception as exc:  # a failed fit is recorded, the rules or champion keep serving
        logger.exception("risk model: the Keras fit failed")
        return _record(
            status=RiskModel.Status.FAILED,
            reason=f"The Keras fit failed: {type(exc).__name__}.",
            trigger=trigger,
            training_size=n,
            class_balance=balance,
            verdict_count=data.verdict_count,
        )
    provisional = RiskPredictor(version=0, weights=network, platt_a=1.0, platt_b=0.0, ece=None)
    a, b = metrics.platt_fit(provisional.probabilities(features[cal_index]), data.labels[cal_index])
    challenger = RiskPredictor(version=0, weights=network, platt_a=a, platt_b=b, ece=None)

    test_labels = data.labels[test_index]
    test_incidents = [data.incidents[i] for i in test_index]
    scores = {
        "model": challenger.probabilities(features[test_index]),
        "rules": rules[test_index],
    }
    active = RiskModel.objects.filter(is_active=True).first()
    champion_name = "rules"
    if active is not None and active.features_version == FEATURES_VERSION:
        scores["champion"] = incident_probabilities(predictor_for(active), test_incidents)
        champion_name = "champion"
    figures: dict[str, Any] = {name: metrics.figures(test_labels, s) for name, s in scores.items()}
    figures["model_auc_interval"] = _auc_interval(test_labels, scores["model"], seed)
    figures["rules_auc_interval"] = _auc_interval(test_labels, scores["rules"], seed)
    figures["auc_gain_interval"] = _auc_gain_interval(
        test_labels, scores["model"], scores[champion_name], seed
    )
    figures["reliability"] = {
        name: metrics.reliability(test_labels, s) for name, s in scores.items()
    }
    figures["per_kind"] = _per_kind(test_incidents, test_labels, scores)
    figures["compared_with"] = champion_name if active is None else f"v{active.version}"
    figures["split"] = {
        "fit": len(fit_index),
        "calibration": len(cal_index),
        "held_out": len(test_index),
    }
    activate, reason = _decide(figures, champion_name)
    with transaction.atomic():
        if activate:
            RiskModel.objects.filter(is_active=True).update(
                is_active=False, status=RiskModel.Status.RETIRED
            )
        row = _record(
            status=RiskModel.Status.ACTIVE if activate else RiskModel.Status.REJECTED,
            is_active=activate,
            reason=reason,
            trigger=trigger,
            training_size=len(fit_index),
            class_balance={**balance, **figures["split"]},
            verdict_count=data.verdict_count,
            weights={"network": network.to_json(), "platt": {"a": a, "b": b}},
            metrics=figures,
            auc=figures["model"]["auc"],
            brier=figures["model"]["brier"],
            ece=figures["model"]["ece"],
            rules_auc=figures["rules"]["auc"],
            rules_ece=figures["rules"]["ece"],
            training_seconds=round(time.perf_counter() - started, 2),
        )
    logger.info("risk model v%s: %s (fit %.1f s)", row.version, reason, fit_seconds)
    if activate:
        for session_id in SessionRisk.objects.values_list("session_id", flat=True).iterator():
            risk_recompute(session_id=session_id)
    return row


def risk_model_train_task(trigger: str = "verdicts") -> str:
    """django-q2 entry point: train once, report the outcome (never raises into the worker)."""
    cache.delete(SCHEDULE_LOCK_KEY)
    try:
        row = risk_model_train(trigger=trigger)
    except Exception:
        logger.exception("risk model: training task failed")
        return "error"
    return f"v{row.version}:{row.status}"


def risk_training_schedule_if_due() -> bool:
    """Queue a training task when ``RISK_MODEL_RETRAIN_EVERY`` verdicts arrived since the
    last run (called after a verdict commits); one queued task at a time."""
    every = settings.RISK_MODEL_RETRAIN_EVERY
    if every <= 0:
        return False
    last = RiskModel.objects.order_by("-version").values_list("verdict_count", flat=True).first()
    if IncidentVerdict.objects.count() - (last or 0) < every:
        return False
    if not cache.add(SCHEDULE_LOCK_KEY, True, timeout=settings.RISK_MODEL_FIT_TIMEOUT_S * 2):
        return False
    from django_q.tasks import async_task

    # Its own timeout (the fit's plus a margin); keep it under Q_RETRY so the ORM broker does
    # not hand the same run to a second worker.
    async_task(
        "review.dashboard.risk_training.risk_model_train_task",
        "verdicts",
        timeout=settings.RISK_MODEL_FIT_TIMEOUT_S + 20,
    )
    return True
