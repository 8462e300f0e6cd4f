"""The trained network in numpy: standardise, dense layers, sigmoid, Platt calibration.

The weights come from :mod:`analysis.learned.keras_fit` as plain lists, so serving needs no
TensorFlow; ``test_learned`` checks that this forward pass and Keras agree to 1e-5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import platt_apply, sigmoid


@dataclass(frozen=True)
class NetworkWeights:
    """Dense layers (ReLU between them, sigmoid at the end) plus the input standardisation."""

    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "layers": [{"kernel": k.tolist(), "bias": b.tolist()} for k, b in self.layers],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkWeights:
        return cls(
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            layers=tuple(
                (np.asarray(layer["kernel"], dtype=float), np.asarray(layer["bias"], dtype=float))
                for layer in data["layers"]
            ),
        )


def standardise(features: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (np.asarray(features, dtype=float) - mean) / scale


def network_output(weights: NetworkWeights, features: np.ndarray) -> np.ndarray:
    """The uncalibrated sigmoid output for each row of ``features`` (raw feature vectors)."""
    h = standardise(features, weights.mean, weights.scale)
    last = len(weights.layers) - 1
    for index, (kernel, bias) in enumerate(weights.layers):
        h = h @ kernel + bias
        if index < last:
            h = np.maximum(h, 0.0)
    return sigmoid(h[:, 0])


@dataclass(frozen=True)
class RiskPredictor:
    """A stored model ready to score: P(confirmed violation) for each feature row."""

    version: int
    weights: NetworkWeights
    platt_a: float
    platt_b: float
    ece: float | None

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0)
        return platt_apply(network_output(self.weights, features), self.platt_a, self.platt_b)
