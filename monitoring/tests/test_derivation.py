from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exams.services import session_end
from monitoring.models import Incident, SessionMonitor
from monitoring.services import events_ingest, monitoring_sweep

from .conftest import event

pytestmark = pytest.mark.django_db


def ingest(session, events):
    return events_ingest(session=session, raw_events=events)


def incidents(session, kind: str | None = None) -> list[Incident]:
    qs = Incident.objects.filter(session=session)
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.mark.parametrize(
    ("hidden_s", "threshold_s", "expected"),
    [(3, 5, 0), (6, 5, 1), (3, 2, 1), (5, 5, 1)],
)
def test_tab_hidden_becomes_an_incident_only_past_the_threshold(
    session, hidden_s, threshold_s, expected
) -> None:
    session.exam.policy = {"tab_hidden_threshold_s": threshold_s}
    session.exam.save()
    ingest(
        session,
        [
            event(1, at_s=10),
            event(2, "tab_hidden", at_s=20),
            event(3, "tab_visible", at_s=20 + hidden_s),
            event(4, at_s=40),
        ],
    )
    found = incidents(session, "tab_hidden")
    assert len(found) == expected
    if expected:
        assert found[0].duration_s == hidden_s
        assert found[0].source == "browser"
        assert found[0].evidence == [{"type": "log", "seq": 2}, {"type": "log", "seq": 3}]


def test_reordered_delivery_derives_the_same_incident(session) -> None:
    # The closing event arrives first; nothing is derived until the gap is filled.
    ingest(session, [event(3, "tab_visible", at_s=28), event(4, at_s=30)])
    assert incidents(session) == []
    ingest(session, [event(1, at_s=10), event(2, "tab_hidden", at_s=20)])
    [incident] = incidents(session, "tab_hidden")
    assert incident.duration_s == 8
    assert not incident.is_open


def test_long_hidden_tab_opens_a_live_incident_then_closes_it(session) -> None:
    ingest(session, [event(1, "tab_hidden", at_s=10), event(2, at_s=12)])
    assert incidents(session) == []
    ingest(session, [event(3, at_s=16)])  # 6 s hidden by the page's clock, still hidden
    [incident] = incidents(session, "tab_hidden")
    assert incident.is_open
    ingest(session, [event(4, "tab_visible", at_s=90)])
    incident.refresh_from_db()
    assert incident.duration_s == 80
    assert incident.severity == "high"  # over a minute
    assert {"type": "log", "seq": 4} in incident.evidence
    assert len(incidents(session)) == 1


def test_duplicate_start_events_keep_the_earliest(session) -> None:
    ingest(
        session,
        [
            event(1, "window_blur", at_s=10),
            event(2, "window_blur", at_s=13),
            event(3, "window_focus", at_s=16),
        ],
    )
    [incident] = incidents(session, "window_blur")
    assert incident.duration_s == 6


def test_fullscreen_exit_is_flagged_at_once_by_default(session) -> None:
    ingest(session, [event(1, "fullscreen_exit", at_s=10)])
    [incident] = incidents(session, "fullscreen_exit")
    assert incident.is_open
    ingest(session, [event(2, "fullscreen_enter", at_s=11)])
    incident.refresh_from_db()
    assert incident.duration_s == 1


def test_camera_and_microphone_off(session) -> None:
    ingest(
        session,
        [
            event(1, "camera_off", at_s=10),
            event(2, "camera_on", at_s=30),
            event(3, "mic_off", at_s=40),
            event(4, "mic_on", at_s=42),
        ],
    )
    [camera] = incidents(session, "camera_off")
    assert camera.duration_s == 20
    assert camera.severity == "high"
    assert incidents(session, "mic_off") == []


def test_large_paste_but_not_a_small_one(session) -> None:
    ingest(
        session,
        [event(1, "paste", at_s=10, size=50), event(2, "paste", at_s=11, size=800)],
    )
    [paste] = incidents(session, "large_paste")
    assert paste.details["size"] == 800
    assert paste.evidence == [{"type": "log", "seq": 2}]


def test_second_display_is_flagged(session) -> None:
    ingest(
        session,
        [
            event(1, "displays_changed", at_s=10, count=2),
            event(2, "displays_changed", at_s=20, count=1),
        ],
    )
    assert len(incidents(session, "displays_changed")) == 1


def test_heartbeats_missing_is_offline_on_the_next_batch(session) -> None:
    ingest(session, [event(1, at_s=10)])
    SessionMonitor.objects.filter(session=session).update(
        last_event_at=timezone.now() - timedelta(seconds=45)
    )
    ingest(session, [event(2, at_s=60)])
    [offline] = incidents(session, "offline")
    assert 44 <= offline.duration_s <= 47
    # Back to normal rhythm: no new incident.
    ingest(session, [event(3, at_s=61)])
    assert len(incidents(session, "offline")) == 1


def test_sweep_opens_offline_for_a_silent_candidate_and_next_batch_closes_it(session) -> None:
    ingest(session, [event(1, at_s=10)])
    assert monitoring_sweep()["running"] == 0  # just heard from: nothing to do
    later = timezone.now() + timedelta(seconds=31)
    monitoring_sweep(now=later)
    [offline] = incidents(session, "offline")
    assert offline.is_open
    monitoring_sweep(now=later + timedelta(seconds=60))
    assert len(incidents(session, "offline")) == 1  # not opened twice
    ingest(session, [event(2, at_s=100)])
    offline.refresh_from_db()
    assert not offline.is_open


def test_sweep_flags_a_page_that_never_sent_anything(session) -> None:
    monitoring_sweep(now=timezone.now() + timedelta(minutes=2))
    assert len(incidents(session, "offline")) == 1


def test_sweep_opens_a_hidden_tab_by_server_clock(session) -> None:
    ingest(session, [event(1, "tab_hidden", at_s=10)])
    assert incidents(session) == []
    monitoring_sweep(now=timezone.now() + timedelta(seconds=6))
    [incident] = incidents(session, "tab_hidden")
    assert incident.is_open


def test_session_end_closes_what_is_open(candidate, session) -> None:
    ingest(session, [event(1, "tab_hidden", at_s=10), event(2, at_s=30)])
    [incident] = incidents(session, "tab_hidden")
    assert incident.is_open
    session_end(session=session, actor=candidate)
    monitoring_sweep()
    incident.refresh_from_db()
    assert not incident.is_open
    assert incident.details["closed_by"] == "session_ended"
    assert SessionMonitor.objects.get(session=session).settled


def test_policy_accommodation_overrides_the_threshold(session) -> None:
    session.accommodations = {"tab_hidden_threshold_s": 60}
    session.save()
    ingest(session, [event(1, "tab_hidden", at_s=10), event(2, "tab_visible", at_s=40)])
    assert incidents(session) == []


def test_sweep_is_scheduled_every_minute() -> None:
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="monitoring-sweep")
    assert schedule.func == "monitoring.tasks.sweep_monitoring"
    assert schedule.minutes == 1


def test_sweep_task_runs_the_service(session) -> None:
    from monitoring.tasks import sweep_monitoring

    ingest(session, [event(1, at_s=10)])
    assert sweep_monitoring() == {"running": 0, "ended": 0}
