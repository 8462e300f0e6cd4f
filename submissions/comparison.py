"""The one place Django code talks to the similarity engine (``submissions/similarity``).

Everything else in the app uses these functions and dataclasses, so a change in the engine's
API is fixed here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from . import similarity as engine


class UnsupportedLanguage(ValueError):
    """The similarity engine cannot tokenize this language (so we do not accept it either)."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__(f"unknown language {language!r}")


@dataclass(frozen=True, slots=True)
class Program:
    id: str | int
    code: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Region:
    a_lines: tuple[int, int]
    b_lines: tuple[int, int]

    def to_dict(self) -> dict[str, list[int]]:
        return {"a_lines": list(self.a_lines), "b_lines": list(self.b_lines)}


@dataclass(frozen=True, slots=True)
class PairFinding:
    a: str | int
    b: str | int
    score: float
    regions: tuple[Region, ...]

    def to_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "matches": [region.to_dict() for region in self.regions],
        }


def supported_languages() -> list[str]:
    return sorted(engine.SUPPORTED_LANGUAGES)


def language_canonical(name: str) -> str:
    """The canonical name of ``name`` ("py" -> "python"); UnsupportedLanguage when unknown."""
    try:
        return engine.language_normalize(name)
    except engine.UnknownLanguage:
        raise UnsupportedLanguage(name) from None


def programs_compare(
    programs: Sequence[Program],
    *,
    starter: str | None,
    language: str,
    threshold: float | None = None,
    k: int | None = None,
    window: int | None = None,
    idioms: Sequence[str] = (),
    other_exams: Sequence[Sequence[str]] = (),
) -> list[PairFinding]:
    """Every pair of ``programs`` scoring at least ``threshold``, highest first, with regions.

    Parameters left out come from settings (SIMILARITY_THRESHOLD, _K, _WINDOW). ``starter``
    code, the exam's ``idioms`` (code snippets) and what most of ``other_exams`` (the code of
    independent exams' submissions, one list per exam) contain never count as a match.
    """
    k = settings.SIMILARITY_K if k is None else k
    try:
        name = engine.language_normalize(language)
        common = None
        if other_exams:
            common = {
                name: engine.exams_common(
                    other_exams,
                    language=name,
                    k=k,
                    min_exams=settings.SIMILARITY_COMMON_MIN_EXAMS,
                    min_fraction=settings.SIMILARITY_COMMON_MIN_FRACTION,
                )
            }
        results = engine.compare(
            [engine.Source(id=p.id, code=p.code, language=p.language) for p in programs],
            starter=starter or None,
            language=language,
            threshold=settings.SIMILARITY_THRESHOLD if threshold is None else threshold,
            k=k,
            window=settings.SIMILARITY_WINDOW if window is None else window,
            idioms=idioms,
            common=common,
        )
    except engine.UnknownLanguage as exc:
        raise UnsupportedLanguage(exc.language) from None
    return [
        PairFinding(
            a=result.a,
            b=result.b,
            score=float(result.score),
            regions=tuple(
                Region(a_lines=tuple(m.a_lines), b_lines=tuple(m.b_lines)) for m in result.matches
            ),
        )
        for result in results
    ]
