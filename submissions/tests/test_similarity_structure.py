"""Tests for the structural comparison (``structure.py``, ``syntax_*.py``, ``common.py``,
``combined.py``) through the engine's public functions. No Django, no database."""

from __future__ import annotations

from collections import Counter

import pytest

from submissions.similarity import Source, compare, exams_common
from submissions.similarity.structure import code_structure

JAVA_ORIGINAL = """import java.util.Scanner;

public class Primes {
    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int low = sc.nextInt(), high = sc.nextInt();
        int count = 0;
        for (int x = low; x <= high; x++) {
            if (isPrime(x)) {
                count++;
            }
        }
        System.out.println("Count: " + count);
    }
}
"""

# Levels 2-6 at once: renamed, methods reordered, declarations split, statements reordered,
# i++ as i = i + 1, comparisons mirrored, for as while, branches swapped, padding added.
JAVA_DISGUISED = """import java.util.Scanner;

public class Finder {
    public static void main(String[] input) {
        int unused = 7;
        Scanner reader;
        reader = new Scanner(System.in);
        int from = reader.nextInt();
        int to = reader.nextInt();
        int total = 0;
        int value = from;
        while (to >= value) {
            boolean flag = false;
            if (check(value)) {
                total = total + 1;
            }
            value += 1;
        }
        System.out.println("Count: " + total);
    }

    static boolean check(int number) {
        if (2 > number) {
            return false;
        }
        int k = 2;
        while (k * k <= number) {
            if (0 == number % k) {
                return false;
            }
            k = k + 1;
        }
        return true;
    }
}
"""

JAVA_INDEPENDENT = """import java.util.*;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int a = in.nextInt(), b = in.nextInt();
        boolean[] composite = new boolean[b + 1];
        List<Integer> primes = new ArrayList<>();
        for (int p = 2; p <= b; p++) {
            if (composite[p]) continue;
            if (p >= a) primes.add(p);
            for (long m = (long) p * p; m <= b; m += p) composite[(int) m] = true;
        }
        System.out.println("Count: " + primes.size());
    }
}
"""


def texts(code: str, language: str) -> Counter[str]:
    return Counter(s.text for s in code_structure(code, language).statements)


def test_java_disguises_of_levels_2_to_6_normalise_to_the_same_statements() -> None:
    assert texts(JAVA_ORIGINAL, "java") == texts(JAVA_DISGUISED, "java")
    assert texts(JAVA_ORIGINAL, "java") != texts(JAVA_INDEPENDENT, "java")


def test_python_loop_forms_increments_and_mirrored_comparisons_are_one_form() -> None:
    original = """
def count(values, limit):
    total = 0
    for i in range(len(values)):
        if values[i] > limit:
            total += 1
    return total
"""
    rewritten = """
def count(items, bound):
    result = 0
    padding = 3
    j = 0
    while j < len(items):
        if bound < items[j]:
            result = result + 1
        j = j + 1
    return result
    print("never")
"""
    assert texts(original, "python") == texts(rewritten, "python")


def test_small_helpers_are_inlined_and_negated_branches_swapped() -> None:
    helper = """
def square(x):
    return x * x

def area(side):
    if side < 0:
        return 0
    else:
        return square(side)
"""
    inlined = """
def area(length):
    if not length < 0:
        return length * length
    else:
        return 0
"""
    assert texts(helper, "python") == texts(inlined, "python")


@pytest.mark.parametrize(
    ("language", "counting", "rewritten"),
    [
        (
            "c",
            "int f(int n) { int s = 0; for (int i = 0; i < n; i++) { s += i; } return s; }",
            "int f(int m) { int t, j; t = 0; j = 0; while (j < m) { t = t + j; j++; } return t; }",
        ),
        (
            "cpp",
            "int f(int n) { int s = 0; for (int i = 0; i < n; ++i) s += i; return s; }",
            "int g(int m) { int t = 0; int j = 0; while (m > j) { t += j; j += 1; } return t; }",
        ),
        (
            "javascript",
            "function f(n) { let s = 0; for (let i = 0; i < n; i++) { s += i; } return s; }",
            "function g(m) { let t = 0, j = 0; while (j < m) { t = j + t; j = j + 1; } return t; }",
        ),
    ],
)
def test_tree_sitter_languages_normalise_loops_and_declarations(
    language: str, counting: str, rewritten: str
) -> None:
    assert texts(counting, language) == texts(rewritten, language)


def test_languages_without_a_grammar_fall_back_to_token_statements() -> None:
    go = "func f(n int) int {\n\ts := 0\n\tfor i := 0; i < n; i++ {\n\t\ts += i\n\t}\n"
    go += "\treturn s\n}\n"
    statements = code_structure(go, "go").statements
    assert len(statements) >= 4
    assert any(s.text.startswith("loop") for s in statements)
    assert all(1 <= s.line <= s.end_line <= 7 for s in statements)


def test_malformed_code_never_raises() -> None:
    for language in ("java", "python", "c", "javascript"):
        code_structure("class {{ for (int i = 0; i < ; ) { x = ", language)
        # Nested far deeper than Python's recursion limit: still fingerprinted.
        deep = "x = " + " + ".join(["1"] * 5000) + ";\ny = (" * 1 + "x);\n"
        assert code_structure(deep, language).statements
    # Python that does not parse is repaired line by line and keeps its statements.
    broken = "def f(x):\n    y = x + 1\n      return y * 2\n"
    assert "ret (N*v)" in texts(broken, "python")


def test_disguised_java_copy_is_flagged_with_line_regions_and_independent_is_not() -> None:
    sources = [
        Source("original", JAVA_ORIGINAL),
        Source("copy", JAVA_DISGUISED),
        Source("independent", JAVA_INDEPENDENT),
    ]

    results = compare(sources, language="java")

    assert [(r.a, r.b) for r in results] == [("original", "copy")]
    pair = results[0]
    assert pair.score > 0.8
    # The copied trial-division loop is shown line by line on both sides.
    loop_original = (8, 12)
    loop_copy = (26, 32)
    assert any(
        m.a_lines[0] <= loop_original[1]
        and m.a_lines[1] >= loop_original[0]
        and m.b_lines[0] <= loop_copy[1]
        and m.b_lines[1] >= loop_copy[0]
        for m in pair.matches
    ), pair.matches
    # The old engine (token winnowing alone) misses this copy.
    assert compare(sources, language="java", method="winnow") == []


def test_short_programs_get_graded_scores_instead_of_zero() -> None:
    original = "int total = 0;\nfor (int i = 0; i < n; i++) {\n    total += a[i];\n}\n"
    copy = "int sum;\nsum = 0;\nint k = 0;\nwhile (n > k) {\n    sum = a[k] + sum;\n    k++;\n}\n"
    other = "int best = a[0];\nfor (int v : a) {\n    if (v > best) best = v;\n}\n"
    sources = [Source("original", original), Source("copy", copy), Source("other", other)]

    everything = {
        frozenset((r.a, r.b)): r.score for r in compare(sources, language="java", threshold=0.0)
    }
    copied = everything[frozenset(("original", "copy"))]
    unrelated = everything[frozenset(("original", "other"))]
    assert copied > unrelated > 0.0
    old = compare(sources, language="java", method="winnow", threshold=0.0)
    assert old == []  # too few tokens for any shared 12-gram


def test_code_common_to_other_exams_counts_once_per_exam() -> None:
    snippet = "Scanner sc = new Scanner(System.in);\nint n = sc.nextInt();\n"
    one_exam_ring = [[snippet + "x = 1;", snippet + "y = 2;", snippet]]
    assert len(exams_common(one_exam_ring, language="java", k=5).family("statements")) == 0
    two_exams = [[snippet], [snippet + "z = 3;"]]
    common = exams_common(two_exams, language="java", k=5)
    assert len(common.family("statements")) == 2
    assert len(common.kgrams) > 0


def test_conditional_forms_nested_ifs_and_guarded_infinite_loops_are_one_form() -> None:
    plain = """
static int f(int[] a, int n, int t) {
    int best;
    if (n > t) { best = n; } else { best = t; }
    int i = 0;
    while (i < n) {
        if (a[i] > 0 && a[i] < t) { best = best + a[i]; }
        i++;
    }
    return best > 10 ? 1 : 0;
}
"""
    rewritten = """
static int g(int[] b, int m, int u) {
    int top = m > u ? m : u;
    int j = 0;
    while (true) {
        if (j >= m) break;
        if (b[j] > 0) {
            if (b[j] < u) top += b[j];
        }
        j = j + 1;
    }
    if (top > 10) return 1; else return 0;
}
"""
    assert texts(plain, "java") == texts(rewritten, "java")


def test_a_switch_is_the_if_else_chain_it_stands_for() -> None:
    switch = """
static String name(int day) {
    String s;
    switch (day) {
        case 1: s = "Mon"; break;
        case 6:
        case 7: s = "Weekend"; break;
        default: s = "Other";
    }
    return s;
}
"""
    chain = """
static String label(int d) {
    String r;
    if (d == 1) { r = "Mon"; }
    else if (d == 6 || d == 7) { r = "Weekend"; }
    else { r = "Other"; }
    return r;
}
"""
    assert texts(switch, "java") == texts(chain, "java")
