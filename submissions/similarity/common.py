"""What does not count as copied: starter code, the exam's idioms, code common across exams.

The old cut dropped fingerprints found in more than half of one exam's submissions. When many
candidates copy from one source that is exactly what they share, so it hid the copies it
should find. Here common code is known from outside the exam being judged:

- the starter code handed out with the problem;
- a per-exam idiom corpus: snippets the exam's author says anyone would write (I/O
  boilerplate, a required signature);
- frequency across independent exams: fingerprints found in at least ``min_exams`` other
  exams (and at least ``min_fraction`` of them) are the language's idioms, since independent
  exams cannot have copied from each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .fingerprints import kgram_hashes
from .structure import FAMILIES, code_structure
from .tokens import code_tokenize

DEFAULT_MIN_EXAMS = 2
DEFAULT_MIN_FRACTION = 0.3

_EMPTY = np.empty(0, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class CommonCode:
    """Hashes to ignore: ``kgrams`` for the token winnowing, ``families`` for the structure."""

    kgrams: np.ndarray = field(default_factory=lambda: _EMPTY)
    families: dict[str, np.ndarray] = field(default_factory=dict)

    def family(self, name: str) -> np.ndarray:
        return self.families.get(name, _EMPTY)

    def union(self, other: CommonCode) -> CommonCode:
        return CommonCode(
            np.union1d(self.kgrams, other.kgrams),
            {f: np.union1d(self.family(f), other.family(f)) for f in FAMILIES},
        )


def code_common(codes: Iterable[str], *, language: str, k: int) -> CommonCode:
    """Everything in ``codes`` (starter code, idiom snippets): all their k-grams and features."""
    kgrams: list[np.ndarray] = []
    families: dict[str, list[np.ndarray]] = {f: [] for f in FAMILIES}
    for code in codes:
        if not code:
            continue
        kgrams.append(kgram_hashes(code_tokenize(code, language), k))
        structure = code_structure(code, language)
        for name in FAMILIES:
            families[name].append(structure.families[name])
    return CommonCode(_unique(kgrams), {f: _unique(families[f]) for f in FAMILIES})


def exams_common(
    exams: Sequence[Sequence[str]],
    *,
    language: str,
    k: int,
    min_exams: int = DEFAULT_MIN_EXAMS,
    min_fraction: float = DEFAULT_MIN_FRACTION,
) -> CommonCode:
    """Hashes found in at least ``max(min_exams, min_fraction * len(exams))`` of ``exams``.

    Each exam is the code of its submissions (same language). A hash counts once per exam
    however many of its submissions hold it, so one exam's copying ring cannot make its own
    code look like an idiom.
    """
    needed = max(min_exams, math.ceil(min_fraction * len(exams)))
    if len(exams) < needed:
        return CommonCode()
    kgrams: list[np.ndarray] = []
    families: dict[str, list[np.ndarray]] = {f: [] for f in FAMILIES}
    for codes in exams:
        exam = code_common(codes, language=language, k=k)
        kgrams.append(exam.kgrams)
        for name in FAMILIES:
            families[name].append(exam.family(name))
    return CommonCode(
        _frequent(kgrams, needed), {f: _frequent(families[f], needed) for f in FAMILIES}
    )


def _unique(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else _EMPTY


def _frequent(per_exam: list[np.ndarray], needed: int) -> np.ndarray:
    if not per_exam:
        return _EMPTY
    values, counts = np.unique(np.concatenate(per_exam), return_counts=True)
    return values[counts >= needed]
