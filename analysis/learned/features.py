"""One documented function turns an incident's facts into the model's input vector."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.scoring import WEIGHTS

FEATURES_VERSION = "risk-features-1"

# Every incident kind the rules know, in a fixed order (one-hot); unknown kinds count as "other".
KINDS: tuple[str, ...] = tuple(sorted(WEIGHTS))

NUMERIC_FEATURES: tuple[str, ...] = (
    "log_duration_s",
    "is_open",
    "confidence",
    "log_evidence_items",
    "has_frame_quality",
    "brightness",
    "contrast",
    "log_sharpness",
    "has_face_size",
    "log_face_px",
    "log_frame_min_side",
    "minutes_into_exam",
    "log_co_occurring",
    "has_accommodations",
)
FEATURE_NAMES: tuple[str, ...] = tuple(f"kind={k}" for k in KINDS) + NUMERIC_FEATURES


@dataclass(frozen=True)
class IncidentSignals:
    """What is known about one incident when it is scored (nothing about its verdict).

    Capture quality is the median over the incident's frame evidence (None when it has no
    analyzed frame: browser events, audio, code); ``face_px`` is the width of the largest face.
    """

    kind: str
    duration_s: float | None
    confidence: float
    evidence_items: int
    brightness: float | None = None
    contrast: float | None = None
    sharpness: float | None = None
    face_px: float | None = None
    frame_width: int | None = None
    frame_height: int | None = None
    minutes_into_exam: float = 0.0
    co_occurring: int = 0
    accommodations: int = 0


def incident_features(signals: IncidentSignals) -> np.ndarray:
    """The feature vector of one incident, in the order of ``FEATURE_NAMES``.

    - kind: one-hot over ``KINDS`` (unknown kinds as ``other``);
    - duration: log(1 + seconds), 0 while open, plus an ``is_open`` flag;
    - analyzer confidence in [0, 1]; log(1 + number of evidence items);
    - capture quality of the evidence frames: brightness / 255, contrast / 128,
      log(1 + Laplacian variance) / 8, largest face width as log2(px) / 9 (512 px = 1), frame
      resolution as log2(shorter side) / 10; each group with a "known" flag, 0 when unknown;
    - minutes into the exam / 60 (capped at 4 h); log(1 + incidents of the session within a
      minute of this one); whether accommodations are in force.

    Standardisation (mean/std of the training split) happens in the model, not here.
    """
    one_hot = np.zeros(len(KINDS))
    kind = signals.kind if signals.kind in KINDS else "other"
    one_hot[KINDS.index(kind)] = 1.0
    duration = signals.duration_s
    has_quality = signals.brightness is not None
    has_face = signals.face_px is not None and signals.face_px > 0
    min_side = min(signals.frame_width or 0, signals.frame_height or 0)
    numeric = [
        math.log1p(max(0.0, duration)) if duration is not None else 0.0,
        1.0 if duration is None else 0.0,
        min(1.0, max(0.0, float(signals.confidence))),
        math.log1p(max(0, signals.evidence_items)),
        1.0 if has_quality else 0.0,
        (signals.brightness or 0.0) / 255.0,
        (signals.contrast or 0.0) / 128.0,
        math.log1p(max(0.0, signals.sharpness or 0.0)) / 8.0,
        1.0 if has_face else 0.0,
        math.log2(signals.face_px) / 9.0 if has_face else 0.0,
        math.log2(min_side) / 10.0 if min_side > 0 else 0.0,
        min(240.0, max(0.0, signals.minutes_into_exam)) / 60.0,
        math.log1p(max(0, signals.co_occurring)),
        1.0 if signals.accommodations else 0.0,
    ]
    return np.concatenate([one_hot, np.asarray(numeric, dtype=float)])


def feature_matrix(rows: list[IncidentSignals]) -> np.ndarray:
    if not rows:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.vstack([incident_features(row) for row in rows])
