"""Risk arithmetic (pure Python): per-item scores from labels and session scores from incidents.

Every label and incident kind has a weight in [0, 1]: how strongly it alone suggests cheating.

- One analyzed item (a frame, a chunk, an ``/analyze`` call): its labels combine as
  ``1 - prod(1 - w)`` (a 0-100 "how alarming is this one frame").
- A session: each incident gets a probability of being a confirmed violation (here from the
  hand-set weights; with an active learned model, from the model), and the session's risk is
  the expected number of confirmed violations E, shown as ``100 E / (E + 1)``. A noisy-OR over
  a session's incidents saturated (several incidents all read 98-99, and a dismissal moved the
  score by a point); E keeps growing with every incident and loses exactly a dismissed
  incident's probability.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

RISK_VERSION = "risk-2"

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


def expected_score(expected: float) -> int:
    """The 0-100 score of E expected confirmed violations: ``100 E / (E + 1)``.

    Never saturates: E = 1 reads 50, E = 3 reads 75, E = 9 reads 90, and every change in E
    moves it. Both the rules and the learned model show their E through this one function.
    """
    expected = max(0.0, expected)
    return int(round(100.0 * expected / (expected + 1.0)))


def expected_for_score(score: float) -> float:
    """The E a score threshold stands for (the inverse of :func:`expected_score`)."""
    return round(score / (100.0 - score), 4) if score < 100 else float("inf")


def risk_level(score: int, *, medium: int, high: int) -> str:
    return "high" if score >= high else "medium" if score >= medium else "low"


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


def incident_probability(facts: IncidentFacts) -> float:
    """The rules' probability that an incident is a confirmed violation, ignoring its verdict:
    weight(kind) x severity factor x confidence x duration factor, at most 0.95."""
    weight = WEIGHTS.get(facts.kind, WEIGHTS["other"])
    return min(
        MAX_CONTRIBUTION,
        weight
        * SEVERITY_FACTOR.get(facts.severity, 1.0)
        * max(0.0, min(1.0, facts.confidence))
        * duration_factor(facts.duration_s),
    )


def counted_violations(probability: float, review_status: str) -> float:
    """What an incident adds to E: 1 once confirmed, 0 once dismissed, else its probability."""
    if review_status == "confirmed":
        return 1.0
    if review_status == "dismissed":
        return 0.0
    return probability


def session_risk(
    incidents: Iterable[IncidentFacts], *, medium: int, high: int
) -> tuple[int, str, dict[str, Any]]:
    """Score (0-100), level and explanation of a session from its incidents (the rules).

    Each incident's probability is :func:`incident_probability`; E (expected confirmed
    violations) sums them with confirmed incidents counting 1 and dismissed ones 0, and the
    score is :func:`expected_score` of E. ``explanation["expected_violations"]`` is E.
    """
    rows = []
    expected = 0.0
    for facts in incidents:
        probability = incident_probability(facts)
        counted = counted_violations(probability, facts.review_status)
        expected += counted
        rows.append(
            {
                "incident_id": facts.incident_id,
                "kind": facts.kind,
                "severity": facts.severity,
                "review_status": facts.review_status,
                "weight": WEIGHTS.get(facts.kind, WEIGHTS["other"]),
                "duration_s": None if facts.duration_s is None else round(facts.duration_s, 1),
                "confidence": round(facts.confidence, 3),
                "probability": round(probability, 4),
                "contribution": round(counted, 4),
            }
        )
    score = expected_score(expected)
    rows.sort(key=lambda row: row["contribution"], reverse=True)
    explanation = {
        "version": RISK_VERSION,
        "formula": "expected confirmed violations E = sum of the incidents' probabilities "
        "(probability = weight x severity factor x confidence x duration factor, at most 0.95; "
        "confirmed = 1, dismissed = 0); score = 100 x E / (E + 1)",
        "expected_violations": round(expected, 4),
        **level_thresholds(medium=medium, high=high),
        "severity_factors": SEVERITY_FACTOR,
        "full_duration_s": FULL_DURATION_S,
        "incidents": rows,
    }
    return score, risk_level(score, medium=medium, high=high), explanation


def level_thresholds(*, medium: int, high: int) -> dict[str, dict[str, float]]:
    """The level thresholds on the score and the expected violations they stand for."""
    return {
        "thresholds": {"medium": medium, "high": high},
        "expected_thresholds": {
            "medium": expected_for_score(medium),
            "high": expected_for_score(high),
        },
    }
