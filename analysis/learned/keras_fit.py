"""Train the risk network with Keras, in a process of its own.

``python -m analysis.learned.keras_fit fit IN.npz OUT.json`` reads the training split
(``features``, ``labels``, ``sample_weights``, ``config``), fits a small dense network and
writes its weights as JSON for :mod:`analysis.learned.inference`. ``predict IN.npz OUT.npz``
runs Keras on given weights and inputs (only the agreement test uses it).

TensorFlow is imported inside these functions only, and only this entry point calls them:
:func:`fit_in_subprocess` is how the rest of the project trains, so neither the web process
nor the analysis worker (both hold MediaPipe) ever loads TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .inference import NetworkWeights


@dataclass(frozen=True)
class FitConfig:
    hidden_units: int = 16
    epochs: int = 150
    batch_size: int = 64
    learning_rate: float = 0.01
    l2: float = 1e-3
    seed: int = 7


def _tensorflow() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import tensorflow as tf  # noqa: PLC0415 - lazily, in the training process only

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def _build(tf: Any, inputs: int, config: FitConfig) -> Any:
    regularizer = tf.keras.regularizers.l2(config.l2)
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(inputs,)),
            tf.keras.layers.Dense(
                config.hidden_units, activation="relu", kernel_regularizer=regularizer
            ),
            tf.keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer),
        ]
    )


def fit(
    features: np.ndarray, labels: np.ndarray, sample_weights: np.ndarray, config: FitConfig
) -> NetworkWeights:
    """Standardise on this split, fit with class weights given per sample, export weights."""
    tf = _tensorflow()
    tf.keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-8] = 1.0
    x = ((features - mean) / scale).astype("float32")
    model = _build(tf, x.shape[1], config)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss="binary_crossentropy",
    )
    model.fit(
        x,
        labels.astype("float32"),
        sample_weight=sample_weights.astype("float32"),
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        verbose=0,
    )
    layers = tuple(
        (np.asarray(layer.get_weights()[0], dtype=float), np.asarray(layer.get_weights()[1]))
        for layer in model.layers
    )
    return NetworkWeights(mean=mean, scale=scale, layers=layers)


def keras_predict(weights: NetworkWeights, features: np.ndarray) -> np.ndarray:
    """Keras' own output for ``weights`` on raw feature rows."""
    tf = _tensorflow()
    model = _build(tf, features.shape[1], FitConfig(hidden_units=weights.layers[0][0].shape[1]))
    for layer, (kernel, bias) in zip(model.layers, weights.layers, strict=True):
        layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    x = ((features - weights.mean) / weights.scale).astype("float32")
    return np.asarray(model(x, training=False)).reshape(-1).astype(float)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0"})
    return env


def _run_child(mode: str, payload: dict[str, np.ndarray], timeout_s: float) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="risk-fit-"))
    source, target = workdir / "in.npz", workdir / "out"
    np.savez(source, **payload)
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "analysis.learned.keras_fit", mode, str(source), str(target)],
        cwd=root,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    source.unlink(missing_ok=True)
    if completed.returncode != 0:
        raise RuntimeError(f"keras_fit {mode} failed: {completed.stderr[-2000:]}")
    return target


def fit_in_subprocess(
    features: np.ndarray,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    config: FitConfig | None = None,
    *,
    timeout_s: float = 900.0,
) -> tuple[NetworkWeights, float]:
    """Run :func:`fit` in a fresh interpreter; returns the weights and the fit's seconds."""
    config = config or FitConfig()
    target = _run_child(
        "fit",
        {
            "features": features,
            "labels": labels,
            "sample_weights": sample_weights,
            "config": np.asarray(json.dumps(asdict(config))),
        },
        timeout_s,
    )
    data = json.loads(target.read_text())
    target.unlink(missing_ok=True)
    target.parent.rmdir()
    return NetworkWeights.from_json(data["weights"]), float(data["seconds"])


def keras_predict_in_subprocess(
    weights: NetworkWeights, features: np.ndarray, *, timeout_s: float = 300.0
) -> np.ndarray:
    target = _run_child(
        "predict",
        {"features": features, "weights": np.asarray(json.dumps(weights.to_json()))},
        timeout_s,
    )
    output = np.asarray(json.loads(target.read_text()), dtype=float)
    target.unlink(missing_ok=True)
    target.parent.rmdir()
    return output


def main(argv: list[str]) -> int:
    mode, source, target = argv
    data = np.load(source)
    if mode == "fit":
        config = FitConfig(**json.loads(str(data["config"])))
        start = time.perf_counter()
        weights = fit(data["features"], data["labels"], data["sample_weights"], config)
        seconds = time.perf_counter() - start
        Path(target).write_text(json.dumps({"weights": weights.to_json(), "seconds": seconds}))
        return 0
    if mode == "predict":
        weights = NetworkWeights.from_json(json.loads(str(data["weights"])))
        Path(target).write_text(json.dumps(keras_predict(weights, data["features"]).tolist()))
        return 0
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
