"""The large-paste rule: pastes far beyond the candidate's own typing become incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.editor import (
    INSERT,
    PASTE,
    TYPING,
    EditorEvent,
    editor_events_assess,
    editor_events_parse,
    editor_log_assess,
    large_pastes_find,
)
from monitoring.models import Incident

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def typing(seconds: float, chars: int) -> EditorEvent:
    return EditorEvent(at(seconds), TYPING, chars)


def paste(seconds: float, chars: int, seq: int | None = None) -> EditorEvent:
    return EditorEvent(at(seconds), PASTE, chars, 1, {"type": "log", "seq": seq} if seq else None)


RULE = {"min_chars": 200, "ratio": 3.0, "window_s": 120}


def test_a_big_paste_with_little_typing_before_it_is_found():
    events = [typing(0, 40), typing(30, 30), paste(60, 900, seq=7)]

    (found,) = large_pastes_find(events, **RULE)

    assert found.at == at(60)
    assert found.chars == 900
    assert found.typed_before == 70
    assert found.evidence == {"type": "log", "seq": 7}


def test_a_paste_smaller_than_recent_typing_is_not_flagged():
    # Moving one's own code around: lots typed just before.
    events = [typing(0, 400), typing(50, 300), paste(100, 600)]

    assert large_pastes_find(events, **RULE) == []


def test_small_pastes_are_ignored_whatever_the_typing():
    assert large_pastes_find([paste(10, 199)], **RULE) == []
    assert len(large_pastes_find([paste(10, 200)], **RULE)) == 1


def test_only_typing_inside_the_window_before_counts():
    long_ago = typing(0, 5000)  # outside the 120 s window
    after = typing(200, 5000)  # after the paste: the verdict does not wait for it
    events = [long_ago, paste(150, 500), after]

    (found,) = large_pastes_find(events, **RULE)

    assert found.typed_before == 0


def test_large_insertions_count_like_pastes():
    events = [EditorEvent(at(5), INSERT, 800), typing(0, 10)]

    (found,) = large_pastes_find(events, **RULE)

    assert found.kind == INSERT


def test_parse_reads_paste_and_editor_activity_payloads():
    evidence = {"type": "log", "seq": 3}
    pasted = editor_events_parse(
        event_type="paste", at=at(1), data={"length": 350, "problem_id": 4}, evidence=evidence
    )
    activity = editor_events_parse(
        event_type="editor_activity", at=at(2), data={"typed_chars": 80, "inserted_chars": 600}
    )
    junk = editor_events_parse(event_type="paste", at=at(3), data={"chars": "lots"})
    other = editor_events_parse(event_type="tab_hidden", at=at(4), data={"chars": 900})

    assert pasted == [EditorEvent(at(1), PASTE, 350, 4, evidence)]
    assert [(e.kind, e.chars) for e in activity] == [(TYPING, 80), (INSERT, 600)]
    assert junk == [] and other == []


@pytest.mark.django_db
def test_assess_records_one_incident_per_large_paste_idempotently(session):
    events = [typing(0, 20), paste(30, 1500, seq=11), typing(40, 900), paste(60, 100)]

    created = editor_events_assess(session=session, events=events)
    again = editor_events_assess(session=session, events=[*events, typing(300, 10)])

    (incident,) = created
    assert again == []
    assert Incident.objects.filter(session=session).count() == 1
    assert incident.kind == Incident.Kind.LARGE_PASTE
    assert incident.source == Incident.Source.BROWSER
    assert incident.started_at == at(30)
    assert incident.severity == Incident.Severity.HIGH
    assert incident.details == {
        "size": 1500,
        "threshold_chars": 200,
        "how": PASTE,
        "typed_chars_before": 20,
        "window_s": 120,
        "ratio": 3.0,
        "problem_id": 1,
        "origin": "unknown",
        "text": "",
    }
    assert incident.evidence == [{"type": "log", "seq": 11}]


@pytest.mark.django_db
def test_assess_uses_the_sessions_paste_threshold(session):
    session.accommodations = {"paste_size_threshold_chars": 1000}
    session.save(update_fields=["accommodations"])

    assert editor_events_assess(session=session, events=[paste(10, 900)]) == []
    (incident,) = editor_events_assess(session=session, events=[paste(20, 1000)])
    assert incident.severity == Incident.Severity.HIGH


def _log(session, seq: int, seconds: float, type_: str, payload: dict):  # noqa: ANN001, ANN202
    from monitoring.models import MonitoringLog

    return MonitoringLog.objects.create(
        session=session,
        seq=seq,
        type=type_,
        client_ts=at(seconds),
        server_ts=at(seconds),
        payload=payload,
        chain_index=seq,
        prev_hash="0" * 64,
        hash=f"{seq:064d}",
    )


@pytest.mark.django_db
def test_stored_logs_are_judged_against_the_typing_logged_before_them(session):
    _log(session, 1, 0, "editor_activity", {"problem_id": 1, "typed_chars": 500, "seconds": 10})
    own_code = _log(session, 2, 20, "paste", {"length": 400, "target": "editor"})
    _log(session, 3, 400, "editor_activity", {"typed_chars": 30, "inserted_chars": 0})
    foreign = _log(session, 4, 410, "paste", {"length": 900, "problem_id": 1})
    dropped = _log(session, 5, 420, "editor_activity", {"typed_chars": 5, "inserted_chars": 700})
    heartbeat = _log(session, 6, 430, "heartbeat", {"visible": True})

    assert editor_log_assess(session=session, log=own_code) == []
    (pasted,) = editor_log_assess(session=session, log=foreign)
    (inserted,) = editor_log_assess(session=session, log=dropped)
    assert editor_log_assess(session=session, log=heartbeat) == []
    assert editor_log_assess(session=session, log=foreign) == []

    assert pasted.started_at == at(410)
    assert pasted.details["typed_chars_before"] == 30
    assert pasted.evidence == [{"type": "log", "seq": 4}]
    assert inserted.details["how"] == INSERT
    assert inserted.details["typed_chars_before"] == 35
    assert inserted.evidence == [{"type": "log", "seq": 5}]


@pytest.mark.django_db
def test_a_large_outside_paste_keeps_its_text_and_an_own_copy_is_not_flagged(session):
    _log(session, 1, 0, "editor_activity", {"problem_id": 1, "typed_chars": 10, "seconds": 10})
    pasted_text = "def solve(xs):\n    return sorted(xs)\n" * 10
    outside = _log(
        session,
        2,
        20,
        "paste",
        {"length": 380, "problem_id": 1, "origin": "outside", "text": pasted_text},
    )
    own = _log(session, 3, 30, "paste", {"length": 380, "problem_id": 1, "origin": "exam"})

    (incident,) = editor_log_assess(session=session, log=outside)
    assert incident.details["origin"] == "outside"
    assert incident.details["text"] == pasted_text
    assert editor_log_assess(session=session, log=own) == []
