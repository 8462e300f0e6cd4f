"""Inverted index of fingerprints: which submissions share which hashes.

The index is a sparse submission-by-hash matrix M; its transpose, row by row, is the posting
list hash -> submissions. Pairs come only from hashes two submissions have in common (M @ M.T),
so the work grows with the number of shared fingerprints, not with the square of the number of
submissions.
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


# Rows of the pair-count product computed at once: bounds the memory of the product to
# _BLOCK x N counts however many unrelated pairs common idioms link together.
_BLOCK = 128


@dataclass(frozen=True, slots=True)
class SimilarPairs:
    """Pairs ``(first[x], second[x])``, first < second, sharing ``counts[x]`` distinct hashes
    with score ``scores[x]`` = counts / min(size of first, size of second)."""

    first: np.ndarray
    second: np.ndarray
    counts: np.ndarray
    scores: np.ndarray


def similar_pairs(
    hash_sets: Sequence[np.ndarray], *, min_shared: int, threshold: float
) -> SimilarPairs:
    """Return every pair sharing at least ``min_shared`` hashes and scoring >= ``threshold``.

    ``hash_sets`` must hold distinct hashes per submission (``np.unique`` output). Counting is
    a sparse product M @ M.T of the submission-by-hash matrix: its work is the sum over hashes
    of (submissions holding it)^2, never the square of the number of submissions, and it runs
    in compiled code because idioms under the common-idiom cut-off still link many unrelated
    submissions. It runs in blocks of rows, so memory stays linear in the number of
    submissions.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(hash_sets) < 2:
        return SimilarPairs(empty, empty, empty, np.empty(0))
    sizes = np.array([len(s) for s in hash_sets], dtype=np.int64)
    hashes = np.concatenate(hash_sets)
    owners = np.repeat(np.arange(len(hash_sets)), sizes)
    _, columns = np.unique(hashes, return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(hashes), dtype=np.int32), (owners, columns)),
        shape=(len(hash_sets), int(columns.max(initial=-1)) + 1),
    )
    transposed = membership.T.tocsr()
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(hash_sets), _BLOCK):
        product = (membership[start : start + _BLOCK] @ transposed).tocoo()
        first = product.row.astype(np.int64) + start
        second = product.col.astype(np.int64)
        counts = product.data.astype(np.int64)
        scores = counts / np.maximum(np.minimum(sizes[first], sizes[second]), 1)
        keep = (second > first) & (counts >= min_shared) & (scores >= threshold)
        parts.append((first[keep], second[keep], counts[keep], scores[keep]))
    first, second, counts, scores = (np.concatenate(column) for column in zip(*parts))
    return SimilarPairs(first, second, counts, scores)
