"""How a problem's code was written, from the exam editor's change records (no Django).

The exam page records every CodeMirror change as ``{"t": epoch ms, "kind", "from", "to",
"del", "ins"}`` (plus ``origin`` for pastes and drops, ``cont`` for the later pieces of a long
change, ``len`` for an ``open``); positions count UTF-16 code units, as in the browser. This
module replays them and derives the authorship signals a reviewer looks at:

- ``replay``: the text after the records (the stored code at any moment).
- ``typing_runs``: stretches of plain typing without a correction, with their rhythm.
- ``transcription_runs``: the runs that look copied from something else: long, without a
  correction and at a steady rate (a person composing code pauses, corrects and bursts).
- ``text_was_written_here``: whether a submitted text is what the editor held at some moment.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = frozenset(
    {"base", "open", "type", "input", "paste", "drop", "complete", "cut", "delete", "undo"}
    | {"redo", "move", "other"}
)
CORRECTIONS = frozenset({"delete", "cut", "undo", "redo"})

# A run of typing ends at a correction, a jump of the cursor, a paste, or a pause this long.
RUN_BREAK_PAUSE_MS = 8000
# What makes a run "transcription-like" (see transcription_runs).
TRANSCRIPTION_MIN_CHARS = 120
TRANSCRIPTION_MAX_CV = 0.35
TRANSCRIPTION_MAX_LONG_PAUSES_PER_100 = 1.0
LONG_PAUSE_MS = 1500


@dataclass(frozen=True, slots=True)
class Change:
    t: int
    kind: str
    start: int
    deleted: str
    inserted: str
    origin: str = ""
    cont: bool = False


@dataclass(frozen=True, slots=True)
class TypingRun:
    """Consecutive typed characters with no correction, jump, paste or long pause between.

    ``intervals_ms`` are the gaps between keys inside lines: the gaps around a line break are
    left out, since both a writer (thinking) and a copyist (looking at the source) pause
    there; the rhythm that tells them apart is the one within a line.
    """

    started_ms: int
    ended_ms: int
    chars: int
    intervals_ms: tuple[int, ...] = field(repr=False)

    @property
    def rate_cps(self) -> float:
        seconds = max(0.001, (self.ended_ms - self.started_ms) / 1000)
        return self.chars / seconds

    @property
    def interval_cv(self) -> float:
        """Coefficient of variation of the gaps between keys (0 = a metronome)."""
        if len(self.intervals_ms) < 2:
            return 0.0
        mean = statistics.fmean(self.intervals_ms)
        return statistics.pstdev(self.intervals_ms) / mean if mean else 0.0

    @property
    def long_pauses_per_100(self) -> float:
        pauses = sum(1 for gap in self.intervals_ms if gap >= LONG_PAUSE_MS)
        return 100 * pauses / max(1, self.chars)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_ms": self.started_ms,
            "ended_ms": self.ended_ms,
            "chars": self.chars,
            "rate_cps": round(self.rate_cps, 2),
            "interval_cv": round(self.interval_cv, 3),
            "long_pauses_per_100": round(self.long_pauses_per_100, 2),
        }


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def changes_parse(raw: Iterable[Any]) -> list[Change]:
    """The well-formed records of ``raw``, in order; malformed ones are skipped."""
    changes = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        t, start = _int(item.get("t")), _int(item.get("from"))
        kind = item.get("kind")
        deleted, inserted = item.get("del", ""), item.get("ins", "")
        if t is None or start is None or kind not in KINDS:
            continue
        if not isinstance(deleted, str) or not isinstance(inserted, str):
            continue
        origin = item.get("origin") if isinstance(item.get("origin"), str) else ""
        changes.append(Change(t, kind, start, deleted, inserted, origin, item.get("cont") is True))
    return changes


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _apply(buffer: bytes, change: Change) -> bytes:
    if change.kind == "open":
        return buffer
    if change.kind == "base" and not change.cont:
        buffer = b""  # the first open in a browser states the whole starting text
    start = min(change.start, len(buffer) // 2) * 2
    end = min(len(buffer), start + 2 * _units(change.deleted))
    return buffer[:start] + change.inserted.encode("utf-16-le", "surrogatepass") + buffer[end:]


def states(changes: Sequence[Change]) -> Iterator[str]:
    """The text after each record, in order (pieces of one change give one text each)."""
    buffer = b""
    for change in changes:
        buffer = _apply(buffer, change)
        yield buffer.decode("utf-16-le", "surrogatepass")


def replay(changes: Sequence[Change], *, until_ms: int | None = None) -> str:
    """The editor's text after ``changes`` (only those at or before ``until_ms`` if given)."""
    buffer = b""
    for change in changes:
        if until_ms is not None and change.t > until_ms:
            break
        buffer = _apply(buffer, change)
    return buffer.decode("utf-16-le", "surrogatepass")


def typing_runs(changes: Sequence[Change]) -> list[TypingRun]:
    """Split the plain typing in ``changes`` into runs (see TypingRun)."""
    runs: list[TypingRun] = []
    times: list[int] = []
    gaps: list[int] = []
    chars = 0
    expected_at: int | None = None
    after_newline = False

    def close() -> None:
        nonlocal times, gaps, chars
        if chars:
            runs.append(TypingRun(times[0], times[-1], chars, tuple(gaps)))
        times, gaps, chars = [], [], 0

    for change in changes:
        typed = change.kind == "type" or (change.kind == "input" and len(change.inserted) <= 8)
        if not typed or change.deleted:
            if change.kind != "open":
                close()
                expected_at = None
            continue
        jumped = expected_at is not None and change.start != expected_at
        paused = bool(times) and change.t - times[-1] > RUN_BREAK_PAUSE_MS
        if jumped or paused:
            close()
        if times and not after_newline and "\n" not in change.inserted:
            gaps.append(change.t - times[-1])
        times.append(change.t)
        chars += max(1, _units(change.inserted))
        expected_at = change.start + _units(change.inserted)
        after_newline = "\n" in change.inserted
    close()
    return runs


def transcription_runs(
    changes: Sequence[Change],
    *,
    min_chars: int = TRANSCRIPTION_MIN_CHARS,
    max_cv: float = TRANSCRIPTION_MAX_CV,
    max_long_pauses_per_100: float = TRANSCRIPTION_MAX_LONG_PAUSES_PER_100,
) -> list[TypingRun]:
    """Runs of at least ``min_chars`` typed without a correction at a steady rate.

    Steady means the gaps between keys within lines vary little (coefficient of variation at
    most ``max_cv``) and there are few pauses inside lines (gaps of LONG_PAUSE_MS or more).
    Composed code is typed in bursts between pauses and corrected as it goes; copying a text
    from another screen or paper keeps an even pace for a long stretch. Measured on generated
    sessions (bench/authorship.py) and on real composing (bench/authorship_real.py: the runs of
    162 people typing chat messages have a median CV of 1.0, none of 40+ characters is steady);
    no recordings of people transcribing are reachable here, so the detection rate on real
    copying is unmeasured: calibrate with ``manage.py evaluate_authorship`` on labelled
    sessions (docs/BENCHMARKS.md).
    """
    return [
        run
        for run in typing_runs(changes)
        if run.chars >= min_chars
        and run.interval_cv <= max_cv
        and run.long_pauses_per_100 <= max_long_pauses_per_100
    ]


def text_was_written_here(changes: Sequence[Change], text: str) -> bool:
    """Whether the editor held ``text`` (ignoring trailing white space) at some moment."""
    wanted = text.rstrip()
    return any(state.rstrip() == wanted for state in states(changes))
