"""The review timeline: heartbeats as spans, every other browser event on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.services import events_ingest
from review.dashboard.charts import timeline_strip
from review.dashboard.timeline import session_timeline


def _events(session, beats: list[tuple[float, str]]) -> None:
    base = timezone.now() - timedelta(minutes=10)
    events_ingest(
        session=session,
        raw_events=[
            {"seq": seq, "type": type_, "ts": (base + timedelta(seconds=at)).isoformat()}
            for seq, (at, type_) in enumerate(beats, start=1)
        ],
    )


@pytest.mark.django_db
def test_heartbeats_become_spans_broken_by_events_and_silences(session):
    # 30 s heartbeat timeout (the default policy): a 90 s silence splits a run.
    _events(
        session,
        [(t, "heartbeat") for t in range(0, 50, 10)]
        + [(52, "tab_hidden"), (55, "tab_visible")]
        + [(t, "heartbeat") for t in range(60, 90, 10)]
        + [(t, "heartbeat") for t in range(180, 200, 10)]
        + [(250, "heartbeat")],
    )
    timeline = session_timeline(session, incidents=[])
    browser = [entry for entry in timeline.entries if entry.lane == "browser"]
    assert [(entry.kind, entry.title) for entry in browser] == [
        ("heartbeats", "5 heartbeats"),
        ("event", "tab hidden"),
        ("event", "tab visible"),
        ("heartbeats", "3 heartbeats"),
        ("heartbeats", "2 heartbeats"),
        ("event", "heartbeat"),
    ]
    first = browser[0]
    assert (first.end - first.at).total_seconds() == 40
    assert first.detail == "every 10 s on average (#1 to #5)"
    assert first.anchor == "event-1"
    svg = str(timeline_strip(timeline))
    assert svg.count('fill="#999"') == 3  # the three spans drawn as bars
