"""Risk arithmetic (pure Python): per-item scores from labels and session scores from incidents.

Every label and incident kind has a weight in [0, 1]: how strongly it alone suggests cheating.
Independent signals combine as ``1 - prod(1 - w)``, so the score rises with each signal but
never passes 100, and one weak signal cannot outweigh one strong one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

RISK_VERSION = "risk-1"

WEIGHTS: dict[str, float] = {
    "identity_mismatch": 0.9,
    "code_similarity": 0.8,
    "manual": 0.8,
    "multiple_faces": 0.7,
    "multiple_voices": 0.6,
    "camera_off": 0.6,
    "background_voice": 0.5,
    "no_face": 0.5,
    "camera_obstructed": 0.5,
    "large_paste": 0.5,
    "displays_changed": 0.5,
    "tab_hidden": 0.4,
    "mic_off": 0.4,
    "looking_away": 0.3,
    "fullscreen_exit": 0.3,
    "window_blur": 0.2,
    "offline": 0.2,
    "other": 0.2,
    "low_quality": 0.1,
}

SEVERITY_FACTOR = {"low": 0.6, "medium": 1.0, "high": 1.3}
# An instant counts half; an incident lasting this long (or longer) counts fully.
FULL_DURATION_S = 60.0
MAX_CONTRIBUTION = 0.95

# Browser event names of the seed's clients, mapped onto incident kinds.
EVENT_ALIASES = {
    "tab_switch": "tab_hidden",
    "tab_hidden": "tab_hidden",
    "visibility_hidden": "tab_hidden",
    "focus_lost": "window_blur",
    "window_blur": "window_blur",
    "blur": "window_blur",
    "fullscreen_exit": "fullscreen_exit",
    "copy_paste": "large_paste",
    "paste": "large_paste",
    "large_paste": "large_paste",
    "camera_off": "camera_off",
    "mic_off": "mic_off",
    "offline": "offline",
    "displays_changed": "displays_changed",
}


def combine(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - min(max(weight, 0.0), 1.0)
    return 1.0 - remaining


def item_risk(labels: Iterable[str]) -> float:
    """0-100 risk of one analyzed item (or one /analyze call) from its labels."""
    return round(100.0 * combine(WEIGHTS.get(label, 0.0) for label in set(labels)), 1)


@dataclass
class IncidentFacts:
    incident_id: int
    kind: str
    severity: str
    confidence: float
    duration_s: float | None
    review_status: str


def duration_factor(duration_s: float | None) -> float:
    return 0.5 + 0.5 * min(1.0, max(0.0, duration_s or 0.0) / FULL_DURATION_S)


def session_risk(
    incidents: Iterable[IncidentFacts], *, medium: int, high: int
) -> tuple[int, str, dict[str, Any]]:
    """Score (0-100), level and explanation of a session from its incidents.

    contribution = weight(kind) x severity factor x confidence x duration factor (capped at
    0.95); dismissed incidents contribute nothing, confirmed ones count with confidence 1.
    """
    rows = []
    contributions = []
    for facts in incidents:
        weight = WEIGHTS.get(facts.kind, WEIGHTS["other"])
        confidence = 1.0 if facts.review_status == "confirmed" else facts.confidence
        contribution = 0.0
        if facts.review_status != "dismissed":
            contribution = min(
                MAX_CONTRIBUTION,
                weight
                * SEVERITY_FACTOR.get(facts.severity, 1.0)
                * max(0.0, min(1.0, confidence))
                * duration_factor(facts.duration_s),
            )
            contributions.append(contribution)
        rows.append(
            {
                "incident_id": facts.incident_id,
                "kind": facts.kind,
                "severity": facts.severity,
                "review_status": facts.review_status,
                "weight": weight,
                "duration_s": None if facts.duration_s is None else round(facts.duration_s, 1),
                "confidence": round(confidence, 3),
                "contribution": round(contribution, 4),
            }
        )
    score = int(round(100.0 * combine(contributions)))
    level = "high" if score >= high else "medium" if score >= medium else "low"
    rows.sort(key=lambda row: row["contribution"], reverse=True)
    explanation = {
        "version": RISK_VERSION,
        "formula": "score = 100 x (1 - prod(1 - contribution)); contribution = weight x "
        "severity factor x confidence x duration factor, at most 0.95",
        "thresholds": {"medium": medium, "high": high},
        "severity_factors": SEVERITY_FACTOR,
        "full_duration_s": FULL_DURATION_S,
        "incidents": rows,
    }
    return score, level, explanation
