"""The combined engine: token winnowing and structural multisets, one calibrated score.

For every pair of submissions it measures five overlaps, each ``shared / (min(|a|, |b|) + 3)``
on what is left after the common-code cut (``common.py``):

- ``winnow``: winnowed k-gram fingerprints (today's engine, catches literal copying);
- ``statements``, ``contexts``, ``blocks``: the structural multisets (``structure.py``),
  which survive reordering, loop rewrites, split declarations, inlining and padding;
- ``dice``: ``2 * shared / (|a| + |b| + 6)`` of the statements, which tells a copy from a small
  program that merely fits inside a bigger one.

A logistic model turns them into one score, the probability that the pair is a copy, fitted
on the labelled corpus of ``bench/similarity_quality.py`` (several tasks in Java and Python,
six disguise levels, independent solutions; see docs/BENCHMARKS.md). Every overlap is a
fraction, not a count, so short programs get graded scores instead of the old engine's 0.

Pairs are counted block by block with sparse products of the submission-by-hash matrices, as
in ``index.py``: the work grows with what submissions share, and memory stays linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .common import CommonCode
from .fingerprints import Fingerprints, fingerprint
from .matches import Match, matching_regions
from .structure import FAMILIES, Structure, code_structure
from .tokens import code_tokenize

OVERLAPS = ("winnow", "statements", "contexts", "blocks", "dice")
#: Logistic weights of (winnow, statements, contexts, blocks, dice) and the intercept.
#: Fitted by ``bench/similarity_quality.py --fit`` (logistic regression, C=1, balanced classes,
#: 11 tasks in Java and Python plus bench/similarity.py's generated rings); figures in
#: docs/BENCHMARKS.md.
WEIGHTS = np.array([5.19, 2.19, 4.09, 2.82, 2.65])
INTERCEPT = -7.70

_BLOCK = 128
# Added to every denominator: two programs that differ from the starter by the same single
# statement overlap 1/(1 + 3), not 1/1; a few shared lines are weak evidence, many are strong.
_PRIOR = 3.0


@dataclass(frozen=True, slots=True)
class Program:
    """One submission, fingerprinted both ways, with the common code already removed."""

    prints: Fingerprints
    structure: Structure
    kgram_set: np.ndarray
    families: dict[str, np.ndarray]
    statements: Fingerprints


def program_prepare(code: str, language: str, k: int, window: int, common: CommonCode) -> Program:
    """Fingerprint ``code`` and drop everything ``common`` holds."""
    prints = fingerprint(code_tokenize(code, language), k, window)
    if len(common.kgrams):
        prints = prints.select(~np.isin(prints.hashes, common.kgrams))
    structure = code_structure(code, language)
    families = {}
    for name in FAMILIES:
        values = structure.families[name]
        cut = common.family(name)
        families[name] = np.unique(values[~np.isin(values, cut)] if len(cut) else values)
    order = sorted(range(len(structure.statements)), key=lambda i: structure.statements[i].line)
    hashes = structure.statement_hashes()[order] if order else np.empty(0, dtype=np.uint64)
    # Only statements that occur once in the program anchor a region (as in patience diff):
    # a "v = 0" found ten times would chain unrelated code together.
    values, counts = np.unique(hashes, return_counts=True)
    keep = np.isin(hashes, values[counts == 1])
    keep &= ~np.isin(hashes, common.family("contexts"))
    lines = [structure.statements[i] for i in order]
    statements = Fingerprints(
        hashes[keep],
        np.array([s.line for s in lines], dtype=np.int32)[keep],
        np.array([s.end_line for s in lines], dtype=np.int32)[keep],
    )
    return Program(prints, structure, np.unique(prints.hashes), families, statements)


def pair_score(overlaps: np.ndarray) -> np.ndarray:
    """The calibrated score of rows of overlaps (winnow, statements, contexts, blocks, dice)."""
    return 1.0 / (1.0 + np.exp(-(overlaps @ WEIGHTS + INTERCEPT)))


@dataclass(frozen=True, slots=True)
class ScoredPairs:
    first: np.ndarray
    second: np.ndarray
    scores: np.ndarray
    overlaps: np.ndarray


def pairs_score(programs: Sequence[Program], *, threshold: float) -> ScoredPairs:
    """Every pair ``first < second`` scoring at least ``threshold``, with its overlaps."""
    count = len(programs)
    empty = np.empty(0, dtype=np.int64)
    if count < 2:
        return ScoredPairs(empty, empty, np.empty(0), np.empty((0, len(WEIGHTS))))
    sets = [[p.kgram_set for p in programs]]
    sets += [[p.families[name] for p in programs] for name in FAMILIES]
    matrices = [_membership(s) for s in sets]
    transposed = [m.T.tocsr() for m in matrices]
    sizes = [np.array([len(x) for x in s], dtype=np.float64) for s in sets]
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, count, _BLOCK):
        stop = min(start + _BLOCK, count)
        rows = np.arange(start, stop)
        overlaps = []
        shared = []
        for matrix, transpose, size in zip(matrices, transposed, sizes, strict=True):
            shared.append((matrix[start:stop] @ transpose).toarray().astype(np.float64))
            smaller = np.minimum(size[rows][:, None], size[None, :])
            overlaps.append(shared[-1] / (smaller + _PRIOR))
        # sets[1] are the statements: their dice overlap is the fifth feature.
        total = sizes[1][rows][:, None] + sizes[1][None, :]
        overlaps.append(2.0 * shared[1] / (total + 2 * _PRIOR))
        stacked = np.stack(overlaps, axis=-1)
        scores = pair_score(stacked)
        upper = np.arange(count)[None, :] > rows[:, None]
        first, second = np.nonzero(upper & (scores >= threshold))
        parts.append((first + start, second, scores[first, second], stacked[first, second]))
    first, second, scores, overlaps = (np.concatenate(c) for c in zip(*parts, strict=True))
    return ScoredPairs(first.astype(np.int64), second.astype(np.int64), scores, overlaps)


def pair_regions(a: Program, b: Program) -> list[Match]:
    """The matching line regions: shared token runs, and shared statements chained in order."""
    common = np.intersect1d(a.kgram_set, b.kgram_set, assume_unique=True)
    regions = matching_regions(a.prints, b.prints, common) if len(common) else []
    shared = np.intersect1d(a.statements.hashes, b.statements.hashes)
    if len(shared):
        regions += matching_regions(
            a.statements, b.statements, shared, min_fingerprints=2, max_gap=3
        )
    return _merge(regions)


def _membership(hash_sets: list[np.ndarray]) -> sparse.csr_matrix:
    sizes = np.array([len(s) for s in hash_sets], dtype=np.int64)
    hashes = np.concatenate(hash_sets) if hash_sets else np.empty(0, dtype=np.uint64)
    owners = np.repeat(np.arange(len(hash_sets)), sizes)
    _, columns = np.unique(hashes, return_inverse=True)
    return sparse.csr_matrix(
        (np.ones(len(hashes), dtype=np.int32), (owners, columns)),
        shape=(len(hash_sets), int(columns.max(initial=-1)) + 1),
    )


def _merge(regions: list[Match]) -> list[Match]:
    """Regions in order of lines of a, without any that another region contains."""
    unique = sorted(set(regions), key=lambda m: (m.a_lines[0], m.b_lines[0], -m.a_lines[1]))
    kept: list[Match] = []
    for region in unique:
        if any(_inside(region, other) for other in unique if other != region):
            continue
        kept.append(region)
    return kept


def _inside(inner: Match, outer: Match) -> bool:
    return (
        outer.a_lines[0] <= inner.a_lines[0]
        and inner.a_lines[1] <= outer.a_lines[1]
        and outer.b_lines[0] <= inner.b_lines[0]
        and inner.b_lines[1] <= outer.b_lines[1]
    )
