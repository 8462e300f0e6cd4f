"""k-gram hashing and winnowing (Schleimer, Wilkerson, Aiken 2003, the algorithm behind MOSS).

Hashes depend only on the token kinds, never on ``PYTHONHASHSEED``: the same code gives the same
fingerprints in every process, so reports are reproducible and could be stored and compared later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tokens import Token

# Odd 64-bit multiplier for the polynomial k-gram hash; arithmetic wraps modulo 2**64.
_BASE = np.uint64(0x9E3779B97F4A7C15)
_token_ids: dict[str, int] = {}


def _token_id(kind: str) -> int:
    token_id = _token_ids.get(kind)
    if token_id is None:
        digest = hashlib.blake2b(kind.encode("utf-8"), digest_size=8).digest()
        token_id = _token_ids[kind] = int.from_bytes(digest, "little")
    return token_id


def _mix(values: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: a polynomial hash of similar k-grams gives similar numbers, and
    # winnowing needs minima that are spread evenly over the text.
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def kgram_hashes(tokens: Sequence[Token], k: int) -> np.ndarray:
    """Return the hash of every run of ``k`` consecutive tokens (``len(tokens) - k + 1`` values).

    Empty when there are fewer than ``k`` tokens.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    count = len(tokens) - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    ids = np.fromiter(
        (_token_id(t.kind) for t in tokens), dtype=np.uint64, count=len(tokens)
    )
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            hashes = hashes * _BASE + ids[offset : offset + count]
        return _mix(hashes)


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """The winnowed fingerprints of one program, in source order.

    ``hashes[i]`` covers the source lines ``first_lines[i]`` .. ``last_lines[i]`` (1-based,
    inclusive).
    """

    hashes: np.ndarray
    first_lines: np.ndarray
    last_lines: np.ndarray

    def __len__(self) -> int:
        return len(self.hashes)

    def select(self, keep: np.ndarray) -> Fingerprints:
        """Return the fingerprints where the boolean mask ``keep`` is true, order preserved."""
        return Fingerprints(
            self.hashes[keep], self.first_lines[keep], self.last_lines[keep]
        )


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Return the positions chosen by robust winnowing: the rightmost minimum of each window.

    Any run of at least ``window + k - 1`` identical tokens in two programs shares a fingerprint.
    A text shorter than one window keeps its single minimum.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    if len(hashes) == 0:
        return np.empty(0, dtype=np.intp)
    if len(hashes) <= window:
        reversed_min = int(np.argmin(hashes[::-1]))
        return np.array([len(hashes) - 1 - reversed_min], dtype=np.intp)
    windows = sliding_window_view(hashes, window)
    # argmin returns the first minimum; on the reversed window that is the rightmost one,
    # which keeps the same position selected as the window slides (fewer fingerprints).
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    positions = rightmost + np.arange(len(windows))
    changed = np.empty(len(positions), dtype=bool)
    changed[0] = True
    np.not_equal(positions[1:], positions[:-1], out=changed[1:])
    return positions[changed]


def fingerprint(tokens: Sequence[Token], k: int, window: int) -> Fingerprints:
    """Return the winnowed k-gram fingerprints of ``tokens`` with the lines each one covers."""
    hashes = kgram_hashes(tokens, k)
    positions = winnow(hashes, window)
    first = np.fromiter(
        (tokens[p].line for p in positions), dtype=np.int32, count=len(positions)
    )
    last = np.fromiter(
        (tokens[p + k - 1].end_line for p in positions),
        dtype=np.int32,
        count=len(positions),
    )
    return Fingerprints(hashes[positions], first, last)
