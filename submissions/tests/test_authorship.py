"""Replay of the editor's change records and the authorship signals derived from them."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Incident, MonitoringLog
from submissions.authorship import (
    changes_parse,
    replay,
    text_was_written_here,
    transcription_runs,
    typing_runs,
)
from submissions.authorship_services import authorship_assess, editor_changes_for
from submissions.models import CodeSubmission

PROGRAM = (
    "def merge(a, b):\n    out = []\n    i = j = 0\n    while i < len(a) and j < len(b):\n"
    "        if a[i] <= b[j]:\n            out.append(a[i]); i += 1\n"
    "        else:\n            out.append(b[j]); j += 1\n    return out + a[i:] + b[j:]\n"
)


def typed(text: str, gaps_ms: list[int], *, start_ms: int = 1_000, at: int = 0) -> list[dict]:
    """Records of typing ``text`` one character at a time with the given gaps."""
    records, t = [], start_ms
    for index, char in enumerate(text):
        t += gaps_ms[index % len(gaps_ms)] if index else 0
        records.append(
            {"t": t, "kind": "type", "from": at + index, "to": at + index, "del": "", "ins": char}
        )
    return records


def composed(text: str, seed: int) -> list[dict]:
    """Typing as when composing: bursts, thinking pauses and corrections (backspace, retype)."""
    rng = random.Random(seed)
    records, t = [], 1_000
    for position, char in enumerate(text):
        t += int(rng.lognormvariate(5.0, 0.6))  # ~150 ms median, long tail
        if char == "\n" and rng.random() < 0.6:
            t += rng.randint(2_000, 7_000)  # thinking before the next line
        if rng.random() < 0.06:  # a typo, seen and removed
            records.append(
                {"t": t, "kind": "type", "from": position, "to": position, "del": "", "ins": "x"}
            )
            t += rng.randint(150, 500)
            records.append(
                {
                    "t": t,
                    "kind": "delete",
                    "from": position,
                    "to": position + 1,
                    "del": "x",
                    "ins": "",
                }
            )
            t += rng.randint(100, 300)
        records.append(
            {"t": t, "kind": "type", "from": position, "to": position, "del": "", "ins": char}
        )
    return records


def transcribed(text: str, seed: int) -> list[dict]:
    """Copying from another screen: an even pace, a glance now and then, no corrections."""
    rng = random.Random(seed)
    gaps = [max(60, int(rng.gauss(190, 35))) for _ in text]
    return typed(text, gaps)


def test_replay_rebuilds_the_text_with_utf16_positions_and_split_pieces():
    records = changes_parse(
        [
            {"t": 1, "kind": "base", "from": 0, "to": 0, "del": "", "ins": "a😀b"},
            {"t": 2, "kind": "type", "from": 3, "to": 3, "del": "", "ins": "c"},  # after 😀
            {
                "t": 3,
                "kind": "paste",
                "from": 0,
                "to": 1,
                "del": "a",
                "ins": "xy",
                "origin": "outside",
            },
            {"t": 3, "kind": "paste", "from": 2, "to": 2, "del": "", "ins": "z", "cont": True},
            {"t": 4, "kind": "open", "from": 0, "to": 0, "del": "", "ins": "", "len": 6},
            {"t": 5, "kind": "bogus", "from": 0, "del": "", "ins": "never"},
        ]
    )
    assert len(records) == 5
    assert replay(records) == "xyz😀cb"
    assert replay(records, until_ms=2) == "a😀cb"
    # A new browser's first open states the whole text again: the replay starts over.
    again = changes_parse([{"t": 9, "kind": "base", "from": 0, "to": 0, "del": "", "ins": "new"}])
    assert replay([*records, *again]) == "new"


def test_typing_runs_break_at_corrections_jumps_and_pauses():
    records = changes_parse(
        [
            *typed("abc", [100]),
            {"t": 1_400, "kind": "delete", "from": 2, "to": 3, "del": "c", "ins": ""},
            *typed("de", [100], start_ms=1_500, at=2),
            *typed("zz", [100], start_ms=1_800, at=0),  # the cursor jumped to the start
            *typed("q", [100], start_ms=20_000, at=2),  # after a long pause
        ]
    )
    assert [run.chars for run in typing_runs(records)] == [3, 2, 2, 1]
    assert replay(records) == "zzqabde"


@pytest.mark.parametrize("seed", range(8))
def test_transcription_rhythm_is_told_apart_from_composing(seed):
    text = PROGRAM * 2
    copied = changes_parse(transcribed(text, seed))
    written = changes_parse(composed(text, seed))
    assert replay(copied) == text and replay(written) == text
    assert transcription_runs(copied), "a steady copy of 450 characters must be flagged"
    assert not transcription_runs(written), [r.as_dict() for r in typing_runs(written)[:5]]


def test_short_steady_typing_is_not_transcription():
    assert not transcription_runs(changes_parse(transcribed("x = 1\n" * 10, 1)))


def test_text_was_written_here_needs_the_exact_text_at_some_moment():
    records = changes_parse(typed("print(1)", [120]))
    assert text_was_written_here(records, "print(1)\n")  # trailing white space aside
    assert text_was_written_here(records, "print(")
    assert not text_was_written_here(records, "print(2)")
    assert not text_was_written_here([], "print(1)")


def _changes_log(session, seq: int, problem_id: int, changes: list[dict]) -> None:
    now = timezone.now()
    MonitoringLog.objects.create(
        session=session,
        seq=seq,
        type="editor_changes",
        client_ts=now,
        server_ts=now,
        payload={"problem_id": problem_id, "changes": changes},
        chain_index=seq,
        prev_hash="0" * 64,
        hash=f"{seq:064d}",
    )


def submit(session, problem, code: str) -> CodeSubmission:  # noqa: ANN001
    return CodeSubmission.objects.create(
        session=session,
        problem=problem,
        language="python",
        code=code,
        version=1,
        sha256=hashlib.sha256(code.encode()).hexdigest(),
        size=len(code.encode()),
        is_final=True,
    )


@pytest.mark.django_db
def test_assess_flags_transcription_and_code_that_never_was_in_the_editor(session):
    first, second = session.exam.problems.order_by("order")
    copied = transcribed(PROGRAM * 2, 3)
    _changes_log(session, 1, first.pk, copied[:200])
    _changes_log(session, 2, first.pk, copied[200:])
    _changes_log(session, 3, second.pk, typed("print(1)", [150]))
    _changes_log(session, 4, 999, typed("other problem", [150]))
    assert replay(editor_changes_for(session_id=session.pk, problem_id=first.pk)) == PROGRAM * 2
    submit(session, first, PROGRAM * 2)
    submit(session, second, "print(list(reversed(range(3))))")  # arrived by another route
    created = authorship_assess(session=session)
    kinds = sorted(incident.kind for incident in created)
    assert kinds == [Incident.Kind.TRANSCRIBED_TYPING, Incident.Kind.UNTYPED_SUBMISSION]
    transcription = next(i for i in created if i.kind == Incident.Kind.TRANSCRIBED_TYPING)
    assert transcription.details["problem_id"] == first.pk
    assert transcription.details["chars"] == len(PROGRAM * 2)
    assert transcription.ended_at - transcription.started_at > timedelta(seconds=60)
    untyped = next(i for i in created if i.kind == Incident.Kind.UNTYPED_SUBMISSION)
    assert untyped.details["problem_id"] == second.pk
    assert untyped.evidence[0]["type"] == "submission"
    assert authorship_assess(session=session) == []  # idempotent
