"""Inverted index of fingerprints: which submissions share which hashes.

Candidate pairs come only from hashes that two submissions have in common, so the work grows with
the number of shared fingerprints, not with the square of the number of submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


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


@dataclass(frozen=True, slots=True)
class SharedCounts:
    """Pairs ``(first[x], second[x])`` (first < second) share ``counts[x]`` distinct hashes."""

    first: np.ndarray
    second: np.ndarray
    counts: np.ndarray


def shared_counts(hash_sets: Sequence[np.ndarray]) -> SharedCounts:
    """Count, for every pair of submissions sharing at least one hash, how many they share.

    ``hash_sets`` must hold distinct hashes per submission (``np.unique`` output). The work is
    the sum over hashes of (submissions holding it)^2, never the square of the number of
    submissions; it runs as one sparse product M @ M.T in compiled code, because idioms under
    the common-idiom cut-off still link many unrelated submissions.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(hash_sets) < 2:
        return SharedCounts(empty, empty, empty)
    hashes = np.concatenate(hash_sets)
    owners = np.repeat(np.arange(len(hash_sets)), [len(s) for s in hash_sets])
    _, columns = np.unique(hashes, return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(hashes), dtype=np.int32), (owners, columns)),
        shape=(len(hash_sets), int(columns.max(initial=-1)) + 1),
    )
    pairs = sparse.triu(membership @ membership.T, k=1).tocoo()
    order = np.lexsort((pairs.col, pairs.row))
    return SharedCounts(
        pairs.row[order].astype(np.int64),
        pairs.col[order].astype(np.int64),
        pairs.data[order].astype(np.int64),
    )
