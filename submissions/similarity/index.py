"""Inverted index of fingerprints: which submissions share which hashes.

Candidate pairs come only from hashes that two submissions have in common, so the work grows with
the number of shared fingerprints, not with the square of the number of submissions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def common_hashes(
    hash_sets: Sequence[np.ndarray], *, max_fraction: float, min_submissions: int
) -> np.ndarray:
    """Return the hashes present in more than ``max_fraction`` of the submissions.

    Such fingerprints are the language's and the problem's common idioms (MOSS's ``-m``): they
    say nothing about copying. Returns nothing when there are fewer than ``min_submissions``
    submissions, because a share of a handful of programs is not evidence of an idiom.
    ``hash_sets`` must hold each submission's distinct hashes.
    """
    if len(hash_sets) < max(min_submissions, 1) or not hash_sets:
        return np.empty(0, dtype=np.uint64)
    values, counts = np.unique(np.concatenate(hash_sets), return_counts=True)
    return values[counts > max_fraction * len(hash_sets)]


def shared_counts(hash_sets: Sequence[np.ndarray]) -> dict[tuple[int, int], int]:
    """Return ``{(i, j): number of distinct hashes submissions i and j share}`` for i < j.

    Only pairs sharing at least one hash appear. ``hash_sets`` must hold distinct hashes per
    submission (``np.unique`` output).
    """
    if not hash_sets:
        return {}
    hashes = np.concatenate(hash_sets)
    owners = np.repeat(np.arange(len(hash_sets)), [len(s) for s in hash_sets])
    # Sorting (hash, owner) groups the posting list of each hash; a stable sort keeps the
    # owners of a posting list in ascending order, so every pair comes out as (i < j).
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    if len(hashes) < 2:
        return {}
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    counts: dict[tuple[int, int], int] = {}
    for start, size in zip(
        starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True
    ):
        posting = owners[start : start + size].tolist()
        for x, first in enumerate(posting):
            for second in posting[x + 1 :]:
                key = (first, second)
                counts[key] = counts.get(key, 0) + 1
    return counts
