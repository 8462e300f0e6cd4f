"""Ranking and calibration figures (AUC, Brier, ECE), Platt calibration, bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ECE_BINS = 10


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None without both classes."""
    labels = np.asarray(labels, dtype=float)
    scores = np.asarray(scores, dtype=float)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    rank_sum = ranks[labels == 1].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def brier(labels: np.ndarray, probabilities: np.ndarray) -> float:
    return float(np.mean((np.asarray(probabilities) - np.asarray(labels)) ** 2))


def ece(labels: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: |mean prediction - observed rate| per equal-width bin,
    weighted by the bin's share of the samples."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    if len(labels) == 0:
        return 0.0
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(probabilities[mask].mean() - labels[mask].mean())
    return float(total / len(labels))


def reliability(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS
) -> list[dict[str, float]]:
    """Per bin: mean prediction, observed rate and count (the reliability diagram's points)."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append(
                {
                    "bin": b,
                    "mean_prediction": round(float(probabilities[mask].mean()), 4),
                    "observed_rate": round(float(labels[mask].mean()), 4),
                    "count": int(mask.sum()),
                }
            )
    return rows


def figures(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float | int | None]:
    value = auc(labels, probabilities)
    return {
        "n": int(len(labels)),
        "positives": int(np.sum(labels)),
        "auc": None if value is None else round(value, 4),
        "brier": round(brier(labels, probabilities), 4) if len(labels) else None,
        "ece": round(ece(labels, probabilities), 4) if len(labels) else None,
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def platt_fit(raw: np.ndarray, labels: np.ndarray, *, iterations: int = 100) -> tuple[float, float]:
    """Fit p = sigmoid(a * logit(raw) + b) by Newton's method on the log loss.

    Platt's smoothed targets keep the fit finite on a perfectly separable split.
    """
    x = _logit(raw)
    y = np.asarray(labels, dtype=float)
    positives, negatives = y.sum(), len(y) - y.sum()
    targets = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(a: float, b: float) -> float:
        p = np.clip(sigmoid(a * x + b), 1e-12, 1 - 1e-12)
        return float(-np.sum(targets * np.log(p) + (1 - targets) * np.log(1 - p)))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(iterations):
        p = sigmoid(a * x + b)
        gradient = np.array([np.sum((p - targets) * x), np.sum(p - targets)])
        w = p * (1 - p) + 1e-9
        hessian = np.array(
            [[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]
        ) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        # Damped Newton: halve the step until the loss goes down (plain Newton can overshoot).
        scale = 1.0
        while scale > 1e-6 and loss(a - scale * step[0], b - scale * step[1]) > current:
            scale /= 2
        a, b = a - scale * step[0], b - scale * step[1]
        previous, current = current, loss(a, b)
        if previous - current < 1e-10:
            break
    return float(a), float(b)


def platt_apply(raw: np.ndarray, a: float, b: float) -> np.ndarray:
    return sigmoid(a * _logit(raw) + b)


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float | None],
    n: int,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile interval of ``statistic(indices)`` over resamples of ``range(n)``."""
    if n == 0:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        value = statistic(rng.integers(0, n, n))
        if value is not None:
            values.append(value)
    if not values:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
