"""Measure the authorship signals of submissions/authorship.py on generated typing sessions.

No recordings of people typing exist on this machine, so both kinds of session are generated
from models of the keystroke timing, each with its own random seed:

- composed: code written while thinking: log-normal gaps between keys (median ~150 ms, long
  tail), pauses of 2-7 s before 60 % of the lines, a typo removed with Backspace every ~17 keys;
- composed-fluent: a fast, confident writer: tighter gaps (median ~110 ms), pauses before 25 %
  of the lines, a typo every ~50 keys (the hard case for false positives);
- transcribed: copying from another screen at an even pace (gaps ~190 +- 35 ms), no correction;
- transcribed-glancing: the same with a look at the source (0.4-1.4 s) at every line start and
  a typo every ~80 keys (the hard case for detection).

For each kind it prints how many sessions get at least one transcription run, and the rhythm
of their longest typing run; then the replay speed on a long session. Programs are the Python
programs of submissions/tests/similarity_programs.py.

Run from the repository root:  .venv/bin/python bench/authorship.py [--sessions 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submissions.authorship import (  # noqa: E402
    changes_parse,
    replay,
    text_was_written_here,
    transcription_runs,
    typing_runs,
)


def _programs() -> list[str]:
    import submissions.tests.similarity_programs as programs

    texts = [value for value in vars(programs).values() if isinstance(value, str) and "\n" in value]
    return [text for text in texts if len(text) >= 300] or [texts[0] * 3]


def _session(
    text: str,
    rng: random.Random,
    gap: Callable[[], float],
    line_pause: Callable[[], float],
    typo_rate: float,
) -> list[dict]:
    records, t = [], 1_000.0
    for position, char in enumerate(text):
        t += gap()
        if char == "\n":
            t += line_pause()
        if rng.random() < typo_rate:
            records.append({"t": int(t), "kind": "type", "from": position, "del": "", "ins": "x"})
            t += rng.uniform(150, 500)
            records.append({"t": int(t), "kind": "delete", "from": position, "del": "x", "ins": ""})
            t += rng.uniform(100, 300)
        records.append({"t": int(t), "kind": "type", "from": position, "del": "", "ins": char})
    return records


KINDS: dict[str, Callable[[str, random.Random], list[dict]]] = {
    "composed": lambda text, rng: _session(
        text,
        rng,
        lambda: rng.lognormvariate(5.0, 0.6),
        lambda: rng.uniform(2_000, 7_000) if rng.random() < 0.6 else 0,
        0.06,
    ),
    "composed-fluent": lambda text, rng: _session(
        text,
        rng,
        lambda: rng.lognormvariate(4.7, 0.45),
        lambda: rng.uniform(1_500, 5_000) if rng.random() < 0.25 else 0,
        0.02,
    ),
    "transcribed": lambda text, rng: _session(
        text, rng, lambda: max(60, rng.gauss(190, 35)), lambda: 0, 0.0
    ),
    "transcribed-glancing": lambda text, rng: _session(
        text, rng, lambda: max(60, rng.gauss(190, 35)), lambda: rng.uniform(400, 1_400), 0.0125
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    programs = _programs()
    print(f"{len(programs)} programs, {args.sessions} sessions per kind")
    print(f"{'kind':<22}{'flagged':>10}{'rate':>8}{'cv (median)':>14}{'run chars (median)':>21}")
    for name, make in KINDS.items():
        flagged, cvs, lengths = 0, [], []
        for seed in range(args.sessions):
            rng = random.Random(seed)
            text = programs[seed % len(programs)]
            changes = changes_parse(make(text, rng))
            assert replay(changes) == text
            if transcription_runs(changes):
                flagged += 1
            longest = max(typing_runs(changes), key=lambda run: run.chars)
            cvs.append(longest.interval_cv)
            lengths.append(longest.chars)
        print(
            f"{name:<22}{flagged:>10}{flagged / args.sessions:>8.1%}"
            f"{statistics.median(cvs):>14.2f}{statistics.median(lengths):>21.0f}"
        )

    text = "".join(programs) * 4
    changes = changes_parse(KINDS["composed"](text, random.Random(1)))
    started = time.process_time()
    assert replay(changes) == text
    replay_s = time.process_time() - started
    started = time.process_time()
    written = text_was_written_here(changes, text)
    every_s = time.process_time() - started
    print(
        f"replay of {len(changes)} records ({len(text)} characters): {replay_s * 1000:.1f} ms CPU;"
        f" text_was_written_here (replays every state): {every_s * 1000:.0f} ms CPU ({written})"
    )


if __name__ == "__main__":
    main()
