"""The learned risk's numpy side: metrics, calibration, inference agreeing with Keras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.learned import metrics
from analysis.learned.features import FEATURE_NAMES, IncidentSignals, incident_features
from analysis.learned.inference import NetworkWeights, network_output
from analysis.learned.keras_fit import keras_predict_in_subprocess

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_auc_counts_ties_half_and_needs_both_classes() -> None:
    assert metrics.auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert metrics.auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert metrics.auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_ece_is_zero_when_predictions_match_rates_and_large_when_overconfident() -> None:
    labels = np.array([1, 0] * 50)
    assert metrics.ece(labels, np.full(100, 0.5)) == pytest.approx(0.0)
    assert metrics.ece(labels, np.full(100, 0.95)) == pytest.approx(0.45)


def test_platt_calibration_turns_overconfident_scores_into_rates() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.05, 0.95, 4000)
    labels = (rng.random(4000) < truth).astype(float)
    overconfident = metrics.sigmoid(3.0 * np.log(truth / (1 - truth)))
    a, b = metrics.platt_fit(overconfident, labels)
    calibrated = metrics.platt_apply(overconfident, a, b)
    assert metrics.ece(labels, calibrated) < 0.03 < metrics.ece(labels, overconfident)


def test_features_follow_the_documented_order() -> None:
    vector = incident_features(
        IncidentSignals(
            kind="looking_away",
            duration_s=None,
            confidence=0.7,
            evidence_items=3,
            brightness=51.0,
            face_px=64.0,
            frame_width=176,
            frame_height=144,
        )
    )
    named = dict(zip(FEATURE_NAMES, vector, strict=True))
    assert named["kind=looking_away"] == 1.0 and named["kind=no_face"] == 0.0
    assert named["is_open"] == 1.0 and named["log_duration_s"] == 0.0
    assert named["brightness"] == pytest.approx(0.2)
    assert named["log_face_px"] == pytest.approx(6 / 9)
    assert named["log_frame_min_side"] == pytest.approx(np.log2(144) / 10)
    assert named["has_frame_quality"] == 1.0 and named["has_accommodations"] == 0.0
    unknown = incident_features(
        IncidentSignals(kind="new_kind", duration_s=5, confidence=1, evidence_items=0)
    )
    assert dict(zip(FEATURE_NAMES, unknown, strict=True))["kind=other"] == 1.0


def test_numpy_inference_agrees_with_keras_to_1e_5() -> None:
    rng = np.random.default_rng(3)
    inputs = len(FEATURE_NAMES)
    weights = NetworkWeights(
        mean=rng.normal(size=inputs),
        scale=rng.uniform(0.5, 2.0, inputs),
        layers=(
            (rng.normal(size=(inputs, 16)) * 0.5, rng.normal(size=16) * 0.1),
            (rng.normal(size=(16, 1)) * 0.5, rng.normal(size=1) * 0.1),
        ),
    )
    features = rng.normal(size=(300, inputs))
    keras = keras_predict_in_subprocess(weights, features)
    numpy = network_output(weights, features)
    assert keras.shape == numpy.shape == (300,)
    assert np.ptp(numpy) > 0.5  # the outputs spread, so agreement is not trivial
    np.testing.assert_allclose(numpy, keras, atol=1e-5, rtol=0)


def test_frame_analysis_never_loads_tensorflow() -> None:
    """MediaPipe would import TensorFlow for its API docs; the worker must not pay for it."""
    code = (
        "import sys, numpy as np\n"
        "from analysis.analyzers.vision.pipeline import FramePipeline\n"
        "from analysis.learned.inference import network_output\n"
        "FramePipeline().analyze(np.full((240, 320, 3), 120, np.uint8))\n"
        "print('tensorflow' in sys.modules, 'mediapipe' in sys.modules)\n"
    )
    completed = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["False", "True"]
