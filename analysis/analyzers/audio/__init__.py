"""Audio analyzers: Silero VAD, loudness, GE2E speaker embeddings (numpy, no torch).

Plain Python, no Django import. See :class:`AudioPipeline` for what a chunk analysis promises.
"""

from __future__ import annotations

from .decode import decode_wav, pcm16_to_float
from .pipeline import AudioConfig, AudioPipeline, AudioResult

__all__ = [
    "AudioConfig",
    "AudioPipeline",
    "AudioResult",
    "decode_wav",
    "pcm16_to_float",
]
