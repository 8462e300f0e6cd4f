"""Voices over the session's recent audio, not one chunk at a time.

A 5 s chunk rarely holds 3.1 s of each of two voices, so clustering one chunk's GE2E windows
misses two people taking turns. The pipeline returns each chunk's window embeddings; this
module clusters the windows of the session's last ``window_s`` seconds together and says which
chunks hold a voice other than the main one. The main voice is the candidate's (the cluster
closest to the enrolled voice) when one is enrolled, else the voice with the most windows.
Plain numpy and scipy; the caller keeps the history (a worker reads it from stored results).
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

EMBEDDING_DIM = 256


def encode_embeddings(embeddings: np.ndarray) -> list[str]:
    """Window embeddings as base64 float16, one string per window (684 characters each):
    compact enough to keep in every chunk's result."""
    rows = np.asarray(embeddings, dtype=np.float16).reshape(-1, EMBEDDING_DIM)
    return [base64.b64encode(row.tobytes()).decode("ascii") for row in rows]


def decode_embeddings(encoded: Sequence[str]) -> np.ndarray:
    """The inverse of :func:`encode_embeddings`: ``(windows, 256)`` float32, unit length.
    Malformed entries (not base64, wrong size) are skipped rather than failing a worker."""
    rows = []
    for text in encoded:
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, TypeError):
            continue
        if len(raw) != EMBEDDING_DIM * 2:
            continue
        row = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
        norm = float(np.linalg.norm(row))
        if np.isfinite(norm) and norm > 0:
            rows.append(row / norm)
    return np.stack(rows) if rows else np.zeros((0, EMBEDDING_DIM), np.float32)


@dataclass(frozen=True)
class VoiceRules:
    """Thresholds of the session judgement (chosen on the mixtures of docs/ANALYZERS.md)."""

    window_s: float = 60.0
    # Average-linkage cut on cosine distance between windows of the last window_s.
    cluster_distance: float = 0.30
    # A voice needs this many windows in the window_s (2 windows = 2.35 s of speech): with a
    # minute of context, two windows of another voice are enough; 3 lose 8 % of the turns.
    min_voice_windows: int = 2
    # Its centroid this far (cosine distance) from the main voice's: two clusters of one voice
    # (a changed tone, a cough) sit closer than two people (0.15 raises a false alarm).
    min_centroid_distance: float = 0.20
    # With an enrolled voice, a cluster whose centroid is this similar to it is the candidate.
    enrolled_threshold: float = 0.65


@dataclass(frozen=True)
class ChunkWindows:
    """One chunk's GE2E windows: ``key`` identifies the chunk (e.g. its media id), ``at_s``
    its start on the session's clock, ``embeddings`` ``(windows, 256)`` unit vectors."""

    key: Hashable
    at_s: float
    embeddings: np.ndarray


@dataclass
class SessionVoices:
    """The voices heard over the recent window, and the chunks where another voice speaks."""

    voices: int = 0
    other_voice_chunks: list[Hashable] = field(default_factory=list)
    main_voice_chunks: list[Hashable] = field(default_factory=list)
    windows: int = 0

    def other_voice_in(self, key: Hashable) -> bool:
        return key in self.other_voice_chunks


def judge(
    chunks: Iterable[ChunkWindows],
    rules: VoiceRules | None = None,
    enrolled: np.ndarray | None = None,
) -> SessionVoices:
    """Cluster the windows of ``chunks`` (the caller passes the last ``rules.window_s``) and
    say which chunks hold a voice other than the main one."""
    rules = rules or VoiceRules()
    keys: list[Hashable] = []
    parts: list[np.ndarray] = []
    for chunk in chunks:
        part = np.asarray(chunk.embeddings, dtype=np.float32).reshape(-1, EMBEDDING_DIM)
        parts.append(part)
        keys.extend([chunk.key] * len(part))
    n = len(keys)
    if n == 0:
        return SessionVoices()
    if n < rules.min_voice_windows:
        return SessionVoices(voices=1, main_voice_chunks=_unique(keys), windows=n)
    emb = np.concatenate(parts)
    condensed = 1.0 - (emb @ emb.T)[np.triu_indices(n, 1)]
    labels = fcluster(
        linkage(np.clip(condensed, 0.0, 2.0), "average"), rules.cluster_distance, "distance"
    )
    clusters = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    voices = [members for members in clusters if len(members) >= rules.min_voice_windows]
    if not voices:
        return SessionVoices(voices=1, main_voice_chunks=_unique(keys), windows=n)
    centroids = [_unit(emb[members].mean(axis=0)) for members in voices]
    main = _main_voice(voices, centroids, enrolled, rules)
    others = [
        k
        for k in range(len(voices))
        if k != main
        and (
            main is None
            or 1.0 - float(centroids[k] @ centroids[main]) >= rules.min_centroid_distance
        )
    ]
    main_members = voices[main] if main is not None else np.array([], dtype=int)
    other_members = np.concatenate([voices[k] for k in others]) if others else []
    return SessionVoices(
        voices=len(others) + (1 if main is not None else 0),
        other_voice_chunks=_unique(keys[i] for i in sorted(other_members)),
        main_voice_chunks=_unique(keys[i] for i in sorted(main_members)),
        windows=n,
    )


def _main_voice(
    voices: list[np.ndarray],
    centroids: list[np.ndarray],
    enrolled: np.ndarray | None,
    rules: VoiceRules,
) -> int | None:
    if enrolled is None:
        return int(np.argmax([len(members) for members in voices]))
    voice = _unit(np.asarray(enrolled, dtype=np.float32).reshape(-1))
    sims = [float(c @ voice) for c in centroids]
    best = int(np.argmax(sims))
    # No cluster is the candidate's: every voice heard is someone else's.
    return best if sims[best] >= rules.enrolled_threshold else None


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _unique(keys: Iterable[Hashable]) -> list[Hashable]:
    return list(dict.fromkeys(keys))


class VoiceHistory:
    """The last ``rules.window_s`` of one session's chunks, for streaming use (the evaluation,
    tests, a single-process caller): add each chunk as it is analyzed, then :func:`judge`."""

    def __init__(self, rules: VoiceRules | None = None) -> None:
        self.rules = rules or VoiceRules()
        self._chunks: deque[ChunkWindows] = deque()

    def add(self, chunk: ChunkWindows, enrolled: np.ndarray | None = None) -> SessionVoices:
        """Add the newest chunk, forget chunks older than the window, judge what is left."""
        self._chunks.append(chunk)
        while self._chunks and self._chunks[0].at_s <= chunk.at_s - self.rules.window_s:
            self._chunks.popleft()
        return judge(self._chunks, self.rules, enrolled)


def chunk_labels(session: SessionVoices, key: Hashable, enrolled: bool) -> set[str]:
    """The voice labels the session judgement gives the chunk ``key``: another voice speaks in
    it. With an enrolled voice: ``multiple_voices`` when the candidate speaks in the chunk too,
    ``background_voice`` when not; without one, ``multiple_voices``."""
    if not session.other_voice_in(key):
        return set()
    if enrolled and key not in session.main_voice_chunks:
        return {"background_voice"}
    return {"multiple_voices"}
