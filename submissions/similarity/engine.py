"""Compare many programs at once and report the pairs that look copied.

Two methods. ``combined`` (the default, ``combined.py``) scores every pair with token
winnowing and the structural comparison of ``structure.py`` together, one calibrated score,
with common code known from the starter, the exam's idioms and other exams (``common.py``).
``winnow`` is the token engine alone, described below.

Winnowing pipeline (as in MOSS / Dolos): tokenize and normalise -> k-gram hashes -> winnowing
-> drop the starter code's k-grams and the fingerprints most submissions share -> inverted
index -> score only pairs that share fingerprints -> merge shared fingerprints into matching
line regions.

Score: ``shared / min(|a|, |b|)`` over distinct fingerprints (JPlag's "maximum similarity",
MOSS's larger per-file percentage). Unlike Dolos' ``2*shared/(|a|+|b|)`` it does not drop when
a copier pads the copy with extra code, which is the cheapest way to hide a copy. Its weakness,
tiny programs scoring high on a few fingerprints, is covered by ``min_shared``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import combined
from .common import CommonCode, code_common
from .fingerprints import Fingerprints, fingerprint, kgram_hashes
from .index import common_hashes, similar_pairs
from .matches import Match, matching_regions
from .tokens import code_tokenize, language_normalize

DEFAULT_K = 12
DEFAULT_WINDOW = 8
DEFAULT_THRESHOLD = 0.5
DEFAULT_COMMON_FRACTION = 0.5
DEFAULT_COMMON_MIN_SUBMISSIONS = 10
DEFAULT_MIN_SHARED = 3
METHODS = ("combined", "winnow")


@dataclass(frozen=True, slots=True)
class Source:
    """One program to compare. ``language`` overrides the batch language given to compare()."""

    id: str | int
    code: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class PairResult:
    """Programs ``a`` and ``b`` (ids, ``a`` first in input order) and where they match."""

    a: str | int
    b: str | int
    score: float
    matches: tuple[Match, ...] = field(default_factory=tuple)
    shared: int = 0
    #: combined method: the overlaps the score is computed from (see ``combined.py``).
    overlaps: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"a", "b", "score", "matches": [{"a_lines", "b_lines"}]}``."""
        return {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "matches": [m.to_dict() for m in self.matches],
        }


def compare(
    submissions: Sequence[Source],
    *,
    starter: str | None = None,
    language: str = "python",
    threshold: float = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
    window: int = DEFAULT_WINDOW,
    common_fraction: float = DEFAULT_COMMON_FRACTION,
    common_min_submissions: int = DEFAULT_COMMON_MIN_SUBMISSIONS,
    min_shared: int = DEFAULT_MIN_SHARED,
    method: str = "combined",
    idioms: Sequence[str] = (),
    common: dict[str, CommonCode] | None = None,
) -> list[PairResult]:
    """Return every pair of submissions whose score is at least ``threshold``, highest first.

    ``method="combined"`` (the default) scores each pair with token winnowing and the
    structural comparison together (``combined.py``): a calibrated probability that the pair
    is a copy. Common code is the ``starter``, the exam's ``idioms`` (code snippets) and
    ``common[language]``, the hashes frequent across other, independent exams
    (``exams_common``); nothing is cut for being frequent in this exam alone.

    ``method="winnow"`` is the token winnowing engine alone, as before:
    - Only submissions in the same language are compared.
    - Every k-gram of ``starter`` (tokenized in each submission's language) is ignored, so code
      handed out with the problem never counts as copied.
    - With at least ``common_min_submissions`` submissions in a language, fingerprints found in
      more than ``common_fraction`` of them are ignored as common idioms.
    - A pair needs ``min_shared`` distinct shared fingerprints before it is scored at all.
    - Each result lists the matching line ranges on both sides. Ties are ordered by input
      position, so the same input always gives the same output.

    Raises ``UnknownLanguage`` for an unsupported language and ``ValueError`` for duplicate
    ids or parameters out of range.
    """
    _check_parameters(submissions, threshold, k, window, common_fraction, min_shared)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    groups: dict[str, list[int]] = {}
    for position, source in enumerate(submissions):
        groups.setdefault(language_normalize(source.language or language), []).append(position)

    results: list[tuple[int, int, PairResult]] = []
    for group_language, positions in groups.items():
        if method == "combined":
            results.extend(
                _compare_group_combined(
                    [submissions[p] for p in positions],
                    positions,
                    cut=code_common([starter or "", *idioms], language=group_language, k=k).union(
                        (common or {}).get(group_language, CommonCode())
                    ),
                    language=group_language,
                    threshold=threshold,
                    k=k,
                    window=window,
                )
            )
            continue
        results.extend(
            _compare_group(
                [submissions[p] for p in positions],
                positions,
                starter=starter,
                language=group_language,
                threshold=threshold,
                k=k,
                window=window,
                common_fraction=common_fraction,
                common_min_submissions=common_min_submissions,
                min_shared=min_shared,
            )
        )
    results.sort(key=lambda item: (-item[2].score, item[0], item[1]))
    return [result for _, _, result in results]


def _check_parameters(
    submissions: Sequence[Source],
    threshold: float,
    k: int,
    window: int,
    common_fraction: float,
    min_shared: int,
) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be between 0 and 1")
    if k < 1 or window < 1:
        raise ValueError("k and window must be at least 1")
    if not 0.0 < common_fraction <= 1.0:
        raise ValueError("common_fraction must be in (0, 1]")
    if min_shared < 1:
        raise ValueError("min_shared must be at least 1")
    ids = [source.id for source in submissions]
    if len(set(ids)) != len(ids):
        raise ValueError("submission ids must be unique")


def _compare_group(
    sources: list[Source],
    positions: list[int],
    *,
    starter: str | None,
    language: str,
    threshold: float,
    k: int,
    window: int,
    common_fraction: float,
    common_min_submissions: int,
    min_shared: int,
) -> list[tuple[int, int, PairResult]]:
    # Tokens are dropped as soon as a program is fingerprinted: only the winnowed arrays stay
    # in memory, which keeps peak memory proportional to the fingerprints, not the code.
    prints = [fingerprint(code_tokenize(s.code, language), k, window) for s in sources]

    if starter:
        # All k-grams of the starter, not just its winnowed ones: in a submission the
        # surrounding code shifts the winnowing windows and would select other starter k-grams.
        starter_hashes = np.unique(kgram_hashes(code_tokenize(starter, language), k))
        prints = [_without(fp, starter_hashes) for fp in prints]

    idioms = common_hashes(
        [np.unique(fp.hashes) for fp in prints],
        max_fraction=common_fraction,
        min_submissions=common_min_submissions,
    )
    if len(idioms):
        prints = [_without(fp, idioms) for fp in prints]
    hash_sets = [np.unique(fp.hashes) for fp in prints]

    pairs = similar_pairs(hash_sets, min_shared=min_shared, threshold=threshold)
    results: list[tuple[int, int, PairResult]] = []
    for x in range(len(pairs.counts)):
        i, j = int(pairs.first[x]), int(pairs.second[x])
        shared, score = int(pairs.counts[x]), float(pairs.scores[x])
        common = np.intersect1d(hash_sets[i], hash_sets[j], assume_unique=True)
        result = PairResult(
            a=sources[i].id,
            b=sources[j].id,
            score=score,
            matches=tuple(matching_regions(prints[i], prints[j], common)),
            shared=shared,
        )
        results.append((positions[i], positions[j], result))
    return results


def _compare_group_combined(
    sources: list[Source],
    positions: list[int],
    *,
    cut: CommonCode,
    language: str,
    threshold: float,
    k: int,
    window: int,
) -> list[tuple[int, int, PairResult]]:
    programs = [combined.program_prepare(s.code, language, k, window, cut) for s in sources]
    pairs = combined.pairs_score(programs, threshold=threshold)
    results: list[tuple[int, int, PairResult]] = []
    for x in range(len(pairs.scores)):
        i, j = int(pairs.first[x]), int(pairs.second[x])
        result = PairResult(
            a=sources[i].id,
            b=sources[j].id,
            score=float(pairs.scores[x]),
            matches=tuple(combined.pair_regions(programs[i], programs[j])),
            shared=len(np.intersect1d(programs[i].kgram_set, programs[j].kgram_set)),
            overlaps=dict(zip(combined.OVERLAPS, pairs.overlaps[x].tolist(), strict=True)),
        )
        results.append((positions[i], positions[j], result))
    return results


def _without(prints: Fingerprints, excluded: np.ndarray) -> Fingerprints:
    return prints.select(~np.isin(prints.hashes, excluded))
