"""Code similarity engine (plain Python, no Django): find copied solutions across candidates.

Public API: :func:`compare` with :class:`Source` in and :class:`PairResult` / :class:`Match`
out; :func:`exams_common` / :func:`code_common` build the common-code cut from other exams or
snippets; :data:`SUPPORTED_LANGUAGES` and :class:`UnknownLanguage` for language handling.
"""

from __future__ import annotations

from .common import CommonCode, code_common, exams_common
from .engine import (
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    PairResult,
    Source,
    compare,
)
from .matches import Match
from .tokens import (
    SUPPORTED_LANGUAGES,
    Token,
    UnknownLanguage,
    code_tokenize,
    language_normalize,
)

__all__ = [
    "CommonCode",
    "code_common",
    "exams_common",
    "DEFAULT_K",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WINDOW",
    "SUPPORTED_LANGUAGES",
    "Match",
    "PairResult",
    "Source",
    "Token",
    "UnknownLanguage",
    "code_tokenize",
    "compare",
    "language_normalize",
]
