"""WAV/PCM decoding for the audio analyzers: bytes in, float32 mono 16 kHz samples out.

The exam page records 16 kHz mono PCM16; anything else is refused with a stable reason rather
than silently resampled, so a misconfigured client is noticed at upload time. Offline tools
(evaluation on third-party recordings) can ask for ``strict=False`` to convert instead.
"""

from __future__ import annotations

import struct
from math import gcd

import numpy as np

from ..errors import MediaError

SAMPLE_RATE = 16000
_PCM_FORMAT = 1
_EXTENSIBLE_FORMAT = 0xFFFE


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Headerless little-endian PCM16 mono (16 kHz by contract) -> float32 in [-1, 1).

    Raises ``MediaError("empty")`` for no samples and ``MediaError("truncated")`` for an odd
    byte count (a sample cut in half).
    """
    if not data:
        raise MediaError("empty", "The audio is empty.")
    if len(data) % 2:
        raise MediaError("truncated", "Raw PCM16 audio must have an even number of bytes.")
    return (np.frombuffer(data, dtype="<i2").astype(np.float32)) / 32768.0


def decode_wav(data: bytes, *, max_seconds: float = 60.0, strict: bool = True) -> np.ndarray:
    """Decode a RIFF/WAVE PCM16 file into float32 mono samples at 16 kHz.

    With ``strict`` (the default, used for uploads) the file must already be 16 kHz, mono and
    16-bit PCM. With ``strict=False`` any PCM16 sample rate and channel count is accepted and
    converted (channels averaged, polyphase resampling). Raises ``MediaError`` with reason
    ``empty``, ``not_wav``, ``not_pcm16``, ``not_mono``, ``wrong_sample_rate``, ``too_long``
    (more than ``max_seconds``) or ``truncated`` (header or data shorter than declared).
    """
    if not data:
        raise MediaError("empty", "The audio is empty.")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise MediaError("not_wav", "The audio is not a RIFF/WAVE file.")

    fmt: tuple[int, int, int, int] | None = None
    samples: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise MediaError("truncated", "The WAV format chunk is cut short.")
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _EXTENSIBLE_FORMAT and len(body) >= 26:
                # WAVE_FORMAT_EXTENSIBLE keeps the real format in the sub-format GUID.
                (tag,) = struct.unpack("<H", body[24:26])
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise MediaError("not_wav", "The WAV data chunk comes before its format chunk.")
            if len(body) < size:
                raise MediaError("truncated", "The WAV data is shorter than its header declares.")
            samples = body
            break
        pos += 8 + size + (size & 1)  # chunks are word-aligned

    if fmt is None:
        raise MediaError(
            "truncated" if len(data) < 44 else "not_wav",
            "The WAV file has no format chunk.",
        )
    tag, channels, rate, bits = fmt
    if tag != _PCM_FORMAT or bits != 16:
        raise MediaError(
            "not_pcm16",
            f"Expected 16-bit PCM audio, got format {tag} with {bits} bits.",
        )
    if channels < 1:
        raise MediaError("not_wav", "The WAV header declares no channels.")
    if strict and channels != 1:
        raise MediaError("not_mono", f"Expected mono audio, got {channels} channels.")
    if strict and rate != SAMPLE_RATE:
        raise MediaError("wrong_sample_rate", f"Expected {SAMPLE_RATE} Hz audio, got {rate} Hz.")
    if rate <= 0:
        raise MediaError("not_wav", "The WAV header declares no sample rate.")
    if samples is None:
        raise MediaError("truncated", "The WAV file has no data chunk.")
    if len(samples) % (2 * channels):
        raise MediaError("truncated", "The WAV data ends in the middle of a sample.")
    if not samples:
        raise MediaError("empty", "The WAV file holds no samples.")
    duration = len(samples) / (2 * channels * rate)
    if duration > max_seconds:
        raise MediaError(
            "too_long",
            f"The audio lasts {duration:.1f} s; the limit is {max_seconds:g} s.",
        )

    pcm = np.frombuffer(samples, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    if rate != SAMPLE_RATE:
        pcm = resample_to_16k(pcm, rate)
    return pcm


def resample_to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Polyphase resampling of float samples from ``rate`` Hz to 16 kHz."""
    from scipy.signal import resample_poly

    g = gcd(SAMPLE_RATE, rate)
    return resample_poly(pcm, SAMPLE_RATE // g, rate // g).astype(np.float32)
