"""Tests for the code similarity engine through its public API (no Django, no database)."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from submissions.similarity import (
    SUPPORTED_LANGUAGES,
    Match,
    PairResult,
    Source,
    UnknownLanguage,
    code_tokenize,
    compare,
    exams_common,
)
from submissions.tests import similarity_programs as programs

REPO_ROOT = Path(__file__).resolve().parents[2]


def python_functions(code: str) -> dict[str, tuple[int, int]]:
    tree = ast.parse(code)
    return {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def js_functions(code: str) -> dict[str, tuple[int, int]]:
    """Top-level ``function name(...) {`` blocks, closed by the next ``}`` in column 0."""
    lines = code.splitlines()
    found: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        header = re.match(r"function (\w+)\(", line)
        if header:
            end = next(n for n in range(number, len(lines) + 1) if lines[n - 1] == "}")
            found[header.group(1)] = (number, end)
    return found


def overlap(lines: tuple[int, int], span: tuple[int, int]) -> int:
    return max(0, min(lines[1], span[1]) - max(lines[0], span[0]) + 1)


def best_function(lines: tuple[int, int], functions: dict[str, tuple[int, int]]) -> str:
    return max(functions, key=lambda name: overlap(lines, functions[name]))


def only_pair(results: list[PairResult], a: str, b: str) -> PairResult:
    matching = [r for r in results if {r.a, r.b} == {a, b}]
    assert len(matching) == 1, results
    return matching[0]


def assert_functions_matched(
    pair: PairResult,
    functions_a: dict[str, tuple[int, int]],
    functions_b: dict[str, tuple[int, int]],
    renames: dict[str, str],
) -> None:
    # Every match must point at one function and at its renamed counterpart on the other side.
    for match in pair.matches:
        in_a = best_function(match.a_lines, functions_a)
        in_b = best_function(match.b_lines, functions_b)
        assert renames.get(in_a) == in_b, (match, in_a, in_b)
    # And every copied function must be covered, nearly whole, on both sides.
    for original, copied in renames.items():
        span_a, span_b = functions_a[original], functions_b[copied]
        covering = [
            m
            for m in pair.matches
            if overlap(m.a_lines, span_a) >= 0.8 * (span_a[1] - span_a[0] + 1)
            and overlap(m.b_lines, span_b) >= 0.8 * (span_b[1] - span_b[0] + 1)
        ]
        assert covering, (original, copied, pair.matches)


def test_disguised_python_copy_is_matched_with_the_right_line_ranges() -> None:
    sources = [
        Source("original", programs.PY_ORIGINAL),
        Source("copy", programs.PY_COPY),
        Source("independent", programs.PY_INDEPENDENT),
    ]

    results = compare(sources, starter=programs.PY_STARTER, language="python", threshold=0.5)

    pair = only_pair(results, "original", "copy")
    assert (pair.a, pair.b) == ("original", "copy")
    assert pair.score >= 0.8
    # Reordered functions cannot form one region: one per moved function.
    assert len(pair.matches) >= 4
    assert_functions_matched(
        pair,
        python_functions(programs.PY_ORIGINAL),
        python_functions(programs.PY_COPY),
        programs.PY_COPY_RENAMES,
    )


def test_disguised_javascript_copy_is_matched_with_the_right_line_ranges() -> None:
    sources = [
        Source("original", programs.JS_ORIGINAL),
        Source("copy", programs.JS_COPY),
        Source("independent", programs.JS_INDEPENDENT),
    ]

    results = compare(sources, starter=programs.JS_STARTER, language="javascript")

    pair = only_pair(results, "original", "copy")
    assert pair.score >= 0.8
    assert len(pair.matches) >= 3
    assert_functions_matched(
        pair,
        js_functions(programs.JS_ORIGINAL),
        js_functions(programs.JS_COPY),
        programs.JS_COPY_RENAMES,
    )


@pytest.mark.parametrize(
    ("language", "starter", "first", "second"),
    [
        ("python", programs.PY_STARTER, programs.PY_ORIGINAL, programs.PY_INDEPENDENT),
        ("python", programs.PY_STARTER, programs.PY_COPY, programs.PY_INDEPENDENT),
        (
            "javascript",
            programs.JS_STARTER,
            programs.JS_ORIGINAL,
            programs.JS_INDEPENDENT,
        ),
    ],
)
def test_independent_solutions_are_not_flagged(
    language: str, starter: str, first: str, second: str
) -> None:
    sources = [Source("first", first), Source("second", second)]

    assert compare(sources, starter=starter, language=language) == []
    # Not merely under the threshold: they share next to nothing.
    low = compare(sources, starter=starter, language=language, threshold=0.0, min_shared=1)
    assert all(result.score < 0.15 for result in low)


def test_starter_code_alone_never_matches() -> None:
    body_one = "    return -1 if not grid else len(grid) * len(grid[0])\n"
    body_two = (
        "    total = 0\n    for row in grid:\n        total += row.count('#')\n    return total\n"
    )
    stub = "    # TODO: return the length of the shortest path from S to E, or -1\n    pass\n"
    assert stub in programs.PY_STARTER
    sources = [
        Source("one", programs.PY_STARTER.replace(stub, body_one)),
        Source("two", programs.PY_STARTER.replace(stub, body_two)),
    ]

    assert compare(sources, starter=programs.PY_STARTER, language="python") == []
    [low] = compare(sources, starter=programs.PY_STARTER, language="python", threshold=0.0)
    assert low.score < 0.1 and low.overlaps["winnow"] == 0.0
    # Without the starter the shared scaffold is what they have in common.
    [without_starter] = compare(sources, language="python", threshold=0.0)
    assert without_starter.score > 2 * low.score
    assert without_starter.overlaps["winnow"] > 0.5
    old = {"starter": programs.PY_STARTER, "language": "python", "method": "winnow"}
    assert compare(sources, threshold=0.0, **old) == []


SHARED_HELPER = """

def format_grid(grid, path=()):
    marked = set(path)
    lines = []
    for r, row in enumerate(grid):
        chars = []
        for c, value in enumerate(row):
            chars.append("*" if (r, c) in marked and value == "." else value)
        lines.append("".join(chars))
    return "\\n".join(lines)
"""


def test_winnow_method_ignores_code_found_in_most_submissions_of_the_exam() -> None:
    # Every candidate pasted the same helper from the course notes; it proves nothing.
    small = programs.PY_STARTER.replace("    pass\n", "    return len(grid) - 1\n")
    sources = [
        Source("original", programs.PY_ORIGINAL + SHARED_HELPER),
        Source("independent", programs.PY_INDEPENDENT + SHARED_HELPER),
        Source("small", small + SHARED_HELPER),
    ]
    kwargs = {"starter": programs.PY_STARTER, "language": "python", "method": "winnow"}

    assert compare(sources, common_min_submissions=3, **kwargs) == []
    # Too few submissions to call anything an idiom, or removal switched off: flagged.
    assert compare(sources, **kwargs)
    assert compare(sources, common_min_submissions=3, common_fraction=1.0, **kwargs)


def test_idiom_corpus_and_other_exams_remove_common_code_but_not_a_shared_source() -> None:
    small = programs.PY_STARTER.replace("    pass\n", "    return len(grid) - 1\n")
    sources = [
        Source("original", programs.PY_ORIGINAL + SHARED_HELPER),
        Source("independent", programs.PY_INDEPENDENT + SHARED_HELPER),
        Source("small", small + SHARED_HELPER),
    ]
    kwargs = {"starter": programs.PY_STARTER, "language": "python"}
    flagged = {(r.a, r.b) for r in compare(sources, **kwargs)}
    assert ("independent", "small") in flagged

    # The helper as the exam's idiom corpus, or found in two other exams: never counted.
    assert compare(sources, idioms=[SHARED_HELPER], **kwargs) == []
    other_exams = [[SHARED_HELPER, programs.JS_STARTER], [SHARED_HELPER]]
    common = {"python": exams_common(other_exams, language="python", k=12)}
    assert compare(sources, common=common, **kwargs) == []

    # Three candidates copying one source share most of their code: they are all found,
    # where the old cut (fingerprints in more than half of the exam) hid them.
    ring = [Source(f"copy{i}", programs.PY_ORIGINAL + "\n" * i) for i in range(3)]
    ring.append(Source("independent", programs.PY_INDEPENDENT))
    found = compare(ring, **kwargs)
    assert {(r.a, r.b) for r in found} == {
        ("copy0", "copy1"),
        ("copy0", "copy2"),
        ("copy1", "copy2"),
    }
    assert compare(ring, common_min_submissions=3, method="winnow", **kwargs) == []


def test_unknown_language_raises() -> None:
    with pytest.raises(UnknownLanguage) as raised:
        compare([Source("a", "x = 1")], language="cobol")
    assert "cobol" in str(raised.value)
    with pytest.raises(UnknownLanguage):
        compare([Source("a", "x = 1"), Source("b", "y", language="brainfuck")])
    with pytest.raises(UnknownLanguage):
        code_tokenize("x", "")


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_every_supported_language_tokenizes_and_drops_comments(language: str) -> None:
    code = "x = foo(1, 'a');\n// note\n# note\n/* note */\n"
    kinds = [token.kind for token in code_tokenize(code, language)]
    assert kinds[:2] == ["ID", "="]
    assert "note" not in " ".join(kinds)


def test_renames_literals_comments_and_blank_lines_do_not_change_tokens() -> None:
    first = "def area(w, h):\n    return w * h * 0.5  # half\n\nprint(area(3, 'four'))\n"
    second = (
        "def surface(a, b):\n\n    '''Docs.'''\n    return a * b * 2  # twice\n\n\n"
        'print(surface(9, "five"))\n'
    )
    assert [t.kind for t in code_tokenize(first, "python")] == [
        t.kind for t in code_tokenize(second, "python")
    ]
    assert code_tokenize(second, "python")[-2].line == 7


def test_results_are_deterministic_and_serialisable() -> None:
    sources = [
        Source("original", programs.PY_ORIGINAL),
        Source("copy", programs.PY_COPY),
        Source("independent", programs.PY_INDEPENDENT),
    ]
    kwargs = {"starter": programs.PY_STARTER, "language": "python", "threshold": 0.0}

    first = [r.to_dict() for r in compare(sources, **kwargs)]
    assert first == [r.to_dict() for r in compare(sources, **kwargs)]
    assert first[0]["a"] == "original" and first[0]["b"] == "copy"
    assert set(first[0]) == {"a", "b", "score", "matches"}
    assert all(set(m) == {"a_lines", "b_lines"} for m in first[0]["matches"])
    assert [r["score"] for r in first] == sorted((r["score"] for r in first), reverse=True)
    json.dumps(first)


def test_hashes_do_not_depend_on_the_interpreters_hash_seed() -> None:
    script = (
        "import json\n"
        "from submissions.similarity import Source, compare\n"
        "from submissions.tests import similarity_programs as p\n"
        "r = compare([Source('a', p.PY_ORIGINAL), Source('b', p.PY_COPY)], threshold=0.0)\n"
        "print(json.dumps([x.to_dict() for x in r]))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_languages_are_not_compared_with_each_other() -> None:
    sources = [
        Source("py", programs.PY_ORIGINAL),
        Source("py-copy", programs.PY_COPY),
        Source("js", programs.JS_ORIGINAL, language="js"),
    ]
    results = compare(sources, language="python", threshold=0.0, min_shared=1)
    assert all("js" not in (r.a, r.b) for r in results)


def test_bad_parameters_and_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError):
        compare([Source("a", "x"), Source("a", "y")])
    with pytest.raises(ValueError):
        compare([Source("a", "x")], threshold=1.5)
    with pytest.raises(ValueError):
        compare([Source("a", "x")], k=0)


def test_match_to_dict_uses_lists() -> None:
    assert Match((1, 2), (3, 4)).to_dict() == {"a_lines": [1, 2], "b_lines": [3, 4]}


def test_python_that_does_not_tokenize_still_matches_its_copy() -> None:
    # An unfinished edit left one line at an indentation no block uses: tokenize rejects it.
    broken = programs.PY_COPY.replace(
        "        node = came_from[node]\n", "      node = came_from[node]\n"
    )
    with pytest.raises(IndentationError):
        list(tokenize.generate_tokens(io.StringIO(broken).readline))
    sources = [Source("original", programs.PY_ORIGINAL), Source("broken", broken)]

    results = compare(sources, starter=programs.PY_STARTER, language="python")

    assert len(results) == 1 and results[0].score >= 0.8


@pytest.mark.parametrize("name", ["PY_ORIGINAL", "PY_COPY", "PY_INDEPENDENT"])
def test_python_fallback_tokens_equal_tokenize_tokens(name: str) -> None:
    code = getattr(programs, name)
    # A trailing unclosed bracket forces the fallback without touching the program above it.
    fallback = code_tokenize(code + "oops = (\n", "python")
    assert [t.kind for t in fallback][:-4] == [t.kind for t in code_tokenize(code, "python")]


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_malformed_code_is_tokenized_without_raising(language: str) -> None:
    cases = [
        "\x00abc",
        "x = '\n",
        "def f(:\n\treturn\n  x",
        "'''",
        "\\\n",
        "\udcff",
        "",
    ]
    for code in cases:
        tokens = code_tokenize(code, language)
        assert all(1 <= t.line <= t.end_line for t in tokens)


def test_windows_line_endings_keep_line_numbers() -> None:
    unix = code_tokenize(programs.PY_ORIGINAL, "python")
    windows = code_tokenize(programs.PY_ORIGINAL.replace("\n", "\r\n"), "python")
    assert [(t.kind, t.line) for t in unix] == [(t.kind, t.line) for t in windows]


def test_copy_padded_with_unrelated_code_keeps_a_high_score() -> None:
    # Doubling the copy's size with someone else's code must not dilute the evidence.
    extra = programs.PY_INDEPENDENT.replace("def ", "def extra_")
    padded = programs.PY_COPY + "\n\n" + extra
    sources = [Source("original", programs.PY_ORIGINAL), Source("padded", padded)]

    results = compare(sources, starter=programs.PY_STARTER, language="python")

    assert len(results) == 1 and results[0].score >= 0.8
