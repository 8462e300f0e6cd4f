"""Two people talking at once, found by cancelling pitch periods: no neural model.

A voiced talker is periodic: subtracting the signal delayed by one pitch period T cancels it
(YIN's difference function). One comb filter cannot cancel two talkers with unrelated
periods, but two cascaded filters (periods T1 and T2) can (de Cheveigne's joint cancellation,
"Separation of concurrent harmonic sounds", JASA 1993). So, per 64 ms frame of speech:

- ``single``: the residual energy (fraction of the frame's) left by the best single period;
- ``double``: the residual left by the best pair of periods that are not simple multiples of
  each other (an octave or a fifth of one voice is the same voice).

One voice: ``single`` is already small when voiced, and large (with ``double`` large too) in
unvoiced sounds and noise. Two voices: ``single`` stays large while ``double`` falls well below
it. Frames with ``single > single_min``, ``double < double_max`` and ``double < gain *
single``, inside the VAD's speech and in runs of ``min_run`` hops, are overlap frames. Both
residuals come from one autocorrelation per frame, so the pair search is lookups, not filtering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
FRAME = 1024  # 64 ms: two periods of a 75 Hz voice, and more of higher ones
HOP = 512  # 32 ms: the VAD's window, so frames line up with the speech probabilities
N_FFT = 2048  # autocorrelation without wrap-around for lags up to 2 * LAG_MAX
LAG_MIN = SAMPLE_RATE // 400  # f0 400 Hz
LAG_MAX = SAMPLE_RATE // 75  # f0 75 Hz
_SIMPLE_RATIOS = (1.0, 1.5, 2.0, 3.0, 4.0)
_RATIO_TOLERANCE = 0.05


@dataclass(frozen=True)
class OverlapRules:
    single_min: float = 0.25
    double_max: float = 0.25
    gain: float = 0.4
    min_run: int = 3
    max_gap: int = 1


def _pair_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lags = np.arange(LAG_MIN, LAG_MAX + 1)
    t1, t2 = np.meshgrid(lags, lags, indexing="ij")
    keep = t1 < t2
    ratio = t2 / t1
    for simple in _SIMPLE_RATIOS:
        keep &= np.abs(ratio / simple - 1.0) >= _RATIO_TOLERANCE
    return t1[keep], t2[keep], lags


_T1, _T2, _LAGS = _pair_table()


def _frames(pcm: np.ndarray) -> np.ndarray:
    n = max(1, int(np.ceil(len(pcm) / HOP)))
    padded = np.zeros((n - 1) * HOP + FRAME, dtype=np.float32)
    # Frame k is centred on the VAD's window k.
    start = (FRAME - HOP) // 2
    padded[start : start + len(pcm)] = pcm
    return np.lib.stride_tricks.as_strided(
        padded, shape=(n, FRAME), strides=(padded.strides[0] * HOP, padded.strides[0])
    )


def residuals(
    pcm: np.ndarray, frames_mask: np.ndarray | None = None, single_min: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """``(single, double)`` residual fractions per 32 ms hop of 16 kHz audio (1.0 where not
    computed). ``frames_mask`` limits the work to those frames (e.g. the VAD's speech), and the
    pair search is skipped where ``single <= single_min`` (one period already cancels it)."""
    frames = _frames(np.asarray(pcm, dtype=np.float32).reshape(-1))
    n = len(frames)
    single = np.ones(n)
    double = np.ones(n)
    todo = np.arange(n) if frames_mask is None else np.flatnonzero(frames_mask[:n])
    if todo.size == 0:
        return single, double
    chosen = frames[todo].astype(np.float64)
    chosen -= chosen.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(chosen, n=N_FFT, axis=1)
    r = np.fft.irfft(spec.real**2 + spec.imag**2, n=N_FFT, axis=1)[:, : 2 * LAG_MAX + 1]
    r *= FRAME / (FRAME - np.arange(r.shape[1]))  # unbiased: long lags overlap less
    r0 = np.maximum(r[:, 0], 1e-12)
    single[todo] = np.clip(1.0 - r[:, _LAGS].max(axis=1) / r0, 0.0, 1.0)
    pairs = single[todo] > single_min
    if not np.any(pairs):
        return single, double
    r, r0 = r[pairs], r0[pairs]
    # Energy left by x(t) - x(t-T1) - x(t-T2) + x(t-T1-T2), from the autocorrelation.
    cascaded = 4.0 * r[:, :1] + 2.0 * (
        r[:, _T1 + _T2] + r[:, _T2 - _T1] - 2.0 * r[:, _T1] - 2.0 * r[:, _T2]
    )
    double[todo[pairs]] = np.clip(cascaded.min(axis=1) / (4.0 * r0), 0.0, 1.0)
    return single, double


def overlap_frames(
    pcm: np.ndarray, speech: np.ndarray, rules: OverlapRules | None = None
) -> np.ndarray:
    """Per 32 ms hop: True where two concurrent pitches are heard inside ``speech`` (a boolean
    mask over the same hops, e.g. Silero probability >= threshold), in runs that last
    (:func:`lasting`)."""
    rules = rules or OverlapRules()
    return lasting(_two_pitch_hops(pcm, speech, rules), rules.min_run, rules.max_gap)


def lasting(mask: np.ndarray, min_run: int, max_gap: int = 1) -> np.ndarray:
    """Keep only runs of at least ``min_run`` True hops (bridging gaps of up to ``max_gap``
    False hops): one voice gives isolated two-pitch hops (a pitch jump, a plosive), two voices
    give them in a row."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros_like(mask)
    hits = np.flatnonzero(mask)
    if hits.size == 0:
        return out
    # Split the hits where the gap between two of them exceeds max_gap.
    breaks = np.flatnonzero(np.diff(hits) > max_gap + 1)
    for run in np.split(hits, breaks + 1):
        if len(run) >= min_run:
            out[run] = True
    return out


def _two_pitch_hops(pcm: np.ndarray, speech: np.ndarray, rules: OverlapRules) -> np.ndarray:
    speech = np.asarray(speech, dtype=bool)
    single, double = residuals(pcm, speech, rules.single_min)
    n = min(len(single), len(speech))
    single, double = single[:n], double[:n]
    return (
        speech[:n]
        & (single > rules.single_min)
        & (double < rules.double_max)
        & (double < rules.gain * single)
    )
