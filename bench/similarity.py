"""Benchmark the code similarity engine on a synthetic exam: one problem, N submissions.

Each submission is about 200 lines of Python: the problem's starter code plus 9 helper
functions. Most submissions are independent programs from a random program generator. The rest
are disguised copies, in small rings, of a few seed programs and of other candidates: identifiers
renamed, functions reordered, comments and blank lines added, string and number literals
changed, statements inserted and deleted.

For every size it prints the wall and CPU time of the whole report with the default engine
(``compare()``'s combined method: tokenize, fingerprint, parse and normalise, index, score,
regions; ``--method winnow`` for the token engine alone), the peak memory the report
allocates (tracemalloc, second identical run; the submissions' own text is allocated before
and not counted), how many planted copy pairs were found, how many flagged pairs were not
planted, and the separation between the weakest planted copy and the strongest unrelated pair
(scores from a second run at threshold 0.1; 0.00 = none). ``--quick`` times the report only.

Run from the repository root:
    .venv/bin/python bench/similarity.py [--sizes 100 200 500] [--method winnow] [--quick]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submissions.similarity import DEFAULT_THRESHOLD, Source, compare

STARTER = """import sys
from collections import defaultdict


def read_input(text):
    lines = text.strip().splitlines()
    count = int(lines[0])
    return [list(map(int, line.split())) for line in lines[1 : count + 1]]


def solve(rows):
    # TODO: compute the answer for the given rows
    return 0


def main():
    rows = read_input(sys.stdin.read())
    print(solve(rows))


if __name__ == "__main__":
    main()
"""

WORDS = [
    "total",
    "count",
    "value",
    "items",
    "result",
    "best",
    "score",
    "index",
    "limit",
    "queue",
    "stack",
    "cache",
    "seen",
    "parts",
    "left",
    "right",
    "size",
    "width",
    "height",
    "row",
    "col",
    "node",
    "edge",
    "cost",
    "weight",
    "graph",
    "path",
    "depth",
    "level",
    "acc",
    "buf",
    "pair",
    "key",
    "data",
    "table",
    "prev",
    "curr",
    "nxt",
    "low",
    "high",
    "mid",
    "step",
    "delta",
    "answer",
    "memo",
]
FUNCTION_WORDS = [
    "compute",
    "merge",
    "split",
    "scan",
    "walk",
    "build",
    "collect",
    "filter",
    "reduce",
    "normalize",
    "rank",
    "group",
    "count",
    "check",
    "update",
    "balance",
    "search",
    "expand",
    "prune",
    "pack",
    "unpack",
    "encode",
    "decode",
    "measure",
]
NOUNS = [
    "rows",
    "cells",
    "edges",
    "values",
    "nodes",
    "scores",
    "ranges",
    "pairs",
    "blocks",
    "tokens",
]
PHRASES = [
    "invalid input",
    "no solution",
    "done",
    "overflow",
    "empty",
    "retry",
    "skip",
    "ok",
]


@dataclass
class Program:
    """A generated submission kept as a header, helper functions and a solve() body."""

    functions: list[list[str]]
    solve_body: list[str]

    def text(self) -> str:
        helpers = "\n\n\n".join("\n".join(f) for f in self.functions)
        solve = "def solve(rows):\n" + "\n".join(self.solve_body)
        head, tail = STARTER.split("def solve(rows):\n    # TODO: compute the answer for")
        tail = tail.split("return 0\n", 1)[1]
        return head + helpers + "\n\n\n" + solve + "\n" + tail


class Generator:
    """Random but plausible Python: nested loops, conditions, containers and arithmetic."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def var(self) -> str:
        return self.rng.choice(WORDS)

    def expr(self) -> str:
        r, v, w, n = self.rng, self.var(), self.var(), self.rng.randint(0, 99)
        return r.choice(
            [
                f"{v} + {n}",
                f"len({v})",
                f"{v} * {w} - {n}",
                f"min({v}, {w})",
                f"max({v} - {w}, {n})",
                f"{v}[{r.randint(0, 3)}]",
                f"abs({v} - {w}) // {n + 1}",
                f"sum({v}) if {v} else {n}",
                f'"{r.choice(PHRASES)}: " + str({v})',
                f"{v}.get({w}, {n})",
                f"({v} + {w}) % {n + 2}",
                f"sorted({v}, reverse=True)",
            ]
        )

    def cond(self) -> str:
        v, w = self.var(), self.var()
        return self.rng.choice(
            [
                f"{v} > {w}",
                f"not {v}",
                f"{v} in {w}",
                f"{v} % 2 == 0",
                f"{v} and {w} < 0",
            ]
        )

    def block(self, indent: int, depth: int, length: int) -> list[str]:
        lines: list[str] = []
        pad = "    " * indent
        for _ in range(length):
            choice = self.rng.random()
            if depth > 0 and choice < 0.3:
                kind = self.rng.choice(["if", "for", "while", "try"])
                if kind == "if":
                    lines.append(f"{pad}if {self.cond()}:")
                elif kind == "for":
                    lines.append(f"{pad}for {self.var()} in {self.rng.choice(NOUNS)}:")
                elif kind == "while":
                    lines.append(f"{pad}while {self.cond()}:")
                else:
                    lines.append(f"{pad}try:")
                lines += self.block(indent + 1, depth - 1, self.rng.randint(1, 3))
                if kind == "try":
                    lines.append(f"{pad}except (ValueError, KeyError):")
                    lines.append(f"{pad}    {self.var()} = None")
                elif kind == "if" and self.rng.random() < 0.4:
                    lines.append(f"{pad}else:")
                    lines += self.block(indent + 1, depth - 1, 1)
            elif choice < 0.5:
                lines.append(f"{pad}{self.var()}.append({self.expr()})")
            elif choice < 0.6:
                lines.append(f"{pad}{self.var()} += {self.expr()}")
            elif choice < 0.7:
                v = self.var()
                lines.append(f"{pad}{v} = [{self.expr()} for {v} in {self.var()} if {self.cond()}]")
            elif choice < 0.78:
                lines.append(f"{pad}{self.var()}[{self.var()}] = {self.expr()}")
            else:
                lines.append(f"{pad}{self.var()} = {self.expr()}")
        return lines

    def function(self, name: str) -> list[str]:
        params = ", ".join(self.rng.sample(WORDS, self.rng.randint(1, 3)))
        body = self.block(1, 2, self.rng.randint(5, 8))
        return [f"def {name}({params}):", *body, f"    return {self.expr()}"]

    def program(self) -> Program:
        names = [f"{a}_{b}" for a in FUNCTION_WORDS for b in NOUNS]
        chosen = self.rng.sample(names, 9)
        functions = [self.function(name) for name in chosen]
        calls = [f"    {self.var()} = {name}(rows)" for name in self.rng.sample(chosen, 4)]
        solve = ["    answer = 0", *calls, f"    return {self.expr()}"]
        return Program(functions, solve)


IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
STRING_LITERAL = re.compile(r'"[^"\n]*"')
NUMBER_LITERAL = re.compile(r"\b\d+\b")
KEEP = frozenset(
    [
        "def",
        "return",
        "if",
        "else",
        "for",
        "while",
        "try",
        "except",
        "in",
        "not",
        "and",
        "or",
        "None",
        "import",
        "from",
        "sys",
        "print",
        "len",
        "min",
        "max",
        "abs",
        "sum",
        "sorted",
        "str",
        "int",
        "list",
        "map",
        "reverse",
        "True",
        "False",
        "ValueError",
        "KeyError",
        "append",
        "get",
        "rows",
        "solve",
        "main",
        "read_input",
    ]
)


def disguise(program: Program, rng: random.Random) -> Program:
    """A copy a candidate tries to hide: the edits MOSS-style tools are built to survive."""
    renames: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in KEEP:
            return word
        return renames.setdefault(word, f"{rng.choice(WORDS)}{rng.randint(2, 9)}")

    def edit(lines: list[str]) -> list[str]:
        out: list[str] = []
        previous = ""
        for original in lines:
            line = original
            previous_header = previous.endswith(":")
            if original.strip() and not original.lstrip().startswith("#"):
                previous = original.rstrip()
            line = STRING_LITERAL.sub(lambda _: f'"{rng.choice(PHRASES).upper()}"', line)
            if rng.random() < 0.15:
                line = NUMBER_LITERAL.sub(lambda m: str(int(m.group(0)) + 1), line)
            line = IDENTIFIER.sub(rename, line)
            indent = line[: len(line) - len(line.lstrip())]
            stripped = line.strip()
            simple = (
                bool(stripped)
                and not stripped.startswith(("#", "def "))
                and not stripped.endswith(":")
            )
            # A deleted statement; never a block's first one, which would leave it empty.
            if simple and not previous_header and rng.random() < 0.04:
                continue
            if rng.random() < 0.12:
                out.append(f"{indent}# {rng.choice(PHRASES)}")
            if rng.random() < 0.05:
                out.append("")
            out.append(line)
            if simple and rng.random() < 0.04:
                out.append(f"{indent}{rng.choice(WORDS)}_tmp = {rng.randint(0, 9)}")  # inserted
        return out

    functions = [edit(f) for f in program.functions]
    rng.shuffle(functions)
    return Program(functions, edit(program.solve_body))


def make_submissions(count: int, seed: int = 7) -> tuple[list[Source], set[frozenset[str]]]:
    """``count`` submissions and the planted copy rings (pairs of ids that share an origin)."""
    rng = random.Random(seed)
    generator = Generator(rng)
    seeds = [generator.program() for _ in range(4)]
    sources: list[Source] = []
    programs_by_id: dict[str, Program] = {}
    origin: dict[str, str] = {}
    while len(sources) < count:
        n = len(sources)
        if rng.random() < 0.15:
            # A ring of 2-4 disguised copies of one seed program (each seed feeds one ring) or
            # of an earlier independent candidate. Rings stay small, as cheating rings do;
            # N copies of one source would be N*(N-1)/2 genuine pairs to report.
            roots = set(origin.values())
            independents = [s.id for s in sources if s.id not in origin and s.id not in roots]
            if seeds and (not independents or rng.random() < 0.5):
                base, root = seeds.pop(), f"seed{len(seeds)}"
            elif independents:
                root = str(rng.choice(independents))
                base = programs_by_id[root]
            else:
                continue
            for _ in range(rng.randint(2, 4)):
                if len(sources) >= count:
                    break
                copy = disguise(base, rng)
                ident = f"s{len(sources)}"
                programs_by_id[ident] = copy
                origin[ident] = root
                sources.append(Source(ident, copy.text()))
        else:
            program = generator.program()
            ident = f"s{n}"
            programs_by_id[ident] = program
            sources.append(Source(ident, program.text()))
    rings: dict[str, list[str]] = {}
    for ident, root in origin.items():
        rings.setdefault(root, []).append(ident)
    for root, members in rings.items():
        if root in programs_by_id:
            members.append(root)  # the candidate who was copied is in the ring too
    planted = {
        frozenset((a, b))
        for members in rings.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    }
    return sources, planted


SEPARATION_FLOOR = 0.1


METHOD = {"name": "combined"}


def run(sources: list[Source], threshold: float = DEFAULT_THRESHOLD) -> tuple[float, float, list]:
    """Wall and CPU seconds of one whole report, and the report."""
    started, cpu_started = time.perf_counter(), time.process_time()
    results = compare(
        sources, starter=STARTER, language="python", threshold=threshold, method=METHOD["name"]
    )
    return time.perf_counter() - started, time.process_time() - cpu_started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500])
    parser.add_argument("--method", choices=["combined", "winnow"], default="combined")
    parser.add_argument("--quick", action="store_true", help="time only: no memory, no separation")
    args = parser.parse_args()
    METHOD["name"] = args.method
    print(
        f"{'n':>5} {'lines':>7} {'avg_lines':>9} {'time_s':>7} {'cpu_s':>6} {'cpu_ms/sub':>10} "
        f"{'peak_MB':>8} {'flagged':>8} {'planted':>8} {'found':>6} {'false+':>6} "
        f"{'min_copy':>8} {'max_other':>9}"
    )
    # Imports, lexer set-up and numpy/scipy first calls are paid once, not by the first size.
    run(make_submissions(20, seed=1)[0])
    for size in args.sizes:
        sources, planted = make_submissions(size)
        lines = sum(s.code.count("\n") + 1 for s in sources)
        elapsed, cpu, results = run(sources)
        peak, everything = 0, results
        if not args.quick:
            tracemalloc.start()
            run(sources)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            # Separation: the weakest planted copy against the strongest unrelated pair.
            _, _, everything = run(sources, threshold=SEPARATION_FLOOR)
        flagged = {frozenset((r.a, r.b)) for r in results}
        copy_scores = [r.score for r in everything if frozenset((r.a, r.b)) in planted]
        other_scores = [r.score for r in everything if frozenset((r.a, r.b)) not in planted]
        print(
            f"{size:>5} {lines:>7} {lines / size:>9.0f} {elapsed:>7.2f} "
            f"{cpu:>6.2f} {1000 * cpu / size:>10.1f} {peak / 2**20:>8.1f} {len(flagged):>8} "
            f"{len(planted):>8} {len(flagged & planted):>6} {len(flagged - planted):>6} "
            f"{min(copy_scores, default=0):>8.2f} {max(other_scores, default=0):>9.2f}"
        )


if __name__ == "__main__":
    main()
