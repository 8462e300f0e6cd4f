"""Session risk: recomputed from incidents (any source), explained, pushed to the feed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from analysis.models import SessionRisk
from analysis.scoring import item_risk
from monitoring.incidents import incident_create, incident_review_status_set, incident_update
from monitoring.models import Incident
from proctoring_site.realtime import PROCTOR_FEED_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    """``with committed():`` runs what the block scheduled for after commit, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _incident(session, kind="no_face", seconds=30, **kwargs):
    start = timezone.now() - timedelta(seconds=seconds + 1)
    return incident_create(
        session=session,
        kind=kind,
        source=kwargs.pop("source", Incident.Source.ANALYZER),
        started_at=start,
        ended_at=start + timedelta(seconds=seconds),
        **kwargs,
    )


def _feed_events() -> str:
    """A channel subscribed to the proctor feed (works on the in-memory and Redis layers)."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(PROCTOR_FEED_GROUP, channel)
    return channel


async def _receive_all(channel: str) -> list[dict]:
    layer = get_channel_layer()
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.5))
        except TimeoutError:
            return messages


def _drain(channel: str) -> list[dict]:
    return async_to_sync(_receive_all)(channel)


def test_a_session_without_incidents_has_no_risk_row(session) -> None:
    assert not SessionRisk.objects.filter(session=session).exists()


def test_an_incident_creates_an_explained_risk(session, committed) -> None:
    with committed():
        incident = _incident(session, "multiple_faces", seconds=60, severity="high", confidence=0.9)
    risk = SessionRisk.objects.get(session=session)
    [row] = risk.explanation["incidents"]
    assert row["incident_id"] == incident.pk
    assert row["kind"] == "multiple_faces"
    assert row["weight"] == 0.7
    assert row["duration_s"] == 60.0
    assert row["confidence"] == 0.9
    # 0.7 weight x 1.3 (high) x 0.9 confidence x 1.0 (a full minute) = 0.819
    assert row["probability"] == pytest.approx(0.819)
    assert row["contribution"] == pytest.approx(0.819)
    # E = 0.819 expected confirmed violations: 100 x 0.819 / 1.819 = 45, under one (high, 50).
    assert risk.expected_violations == pytest.approx(0.819)
    assert risk.score == 45
    assert risk.level == SessionRisk.Level.MEDIUM
    assert "100 x E / (E + 1)" in risk.explanation["formula"]
    assert risk.explanation["expected_thresholds"] == {"medium": 0.25, "high": 1.0}


def test_more_incidents_raise_the_score_but_never_past_100(session, committed) -> None:
    with committed():
        _incident(session, "looking_away", seconds=6, severity="low")
    low = SessionRisk.objects.get(session=session).score
    assert SessionRisk.objects.get(session=session).level == "low"
    with committed():
        _incident(session, "no_face", seconds=20)
    middle = SessionRisk.objects.get(session=session).score
    with committed():
        for _ in range(5):
            _incident(session, "identity_mismatch", seconds=120, severity="high")
    top = SessionRisk.objects.get(session=session)
    assert low < middle < top.score < 90  # the noisy-OR read 100 here
    assert top.score == round(100 * top.expected_violations / (top.expected_violations + 1))


def test_browser_incidents_count_too(session, committed) -> None:
    with committed():
        _incident(session, "tab_hidden", seconds=10, source=Incident.Source.BROWSER)
    risk = SessionRisk.objects.get(session=session)
    assert risk.score > 0
    assert risk.explanation["incidents"][0]["kind"] == "tab_hidden"


def test_review_changes_the_risk(session, committed) -> None:
    with committed():
        incident = _incident(session, "no_face", seconds=30, confidence=0.6)
    before = SessionRisk.objects.get(session=session).score
    with committed():
        incident_review_status_set(incident=incident, review_status=Incident.ReviewStatus.CONFIRMED)
    confirmed = SessionRisk.objects.get(session=session).score
    with committed():
        incident_review_status_set(incident=incident, review_status=Incident.ReviewStatus.DISMISSED)
    dismissed = SessionRisk.objects.get(session=session)
    assert before < confirmed
    assert dismissed.score == 0
    assert dismissed.explanation["incidents"][0]["contribution"] == 0.0


def test_extending_an_incident_updates_the_risk(session, committed) -> None:
    with committed():
        incident = _incident(session, "no_face", seconds=5)
    short = SessionRisk.objects.get(session=session).score
    with committed():
        incident_update(incident=incident, ended_at=incident.started_at + timedelta(seconds=60))
    assert SessionRisk.objects.get(session=session).score > short


def test_deleting_an_incident_recomputes_after_commit(
    session, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = _incident(session, "multiple_faces", seconds=30)
    assert SessionRisk.objects.get(session=session).score > 0
    with django_capture_on_commit_callbacks(execute=True):
        incident.delete()
    assert SessionRisk.objects.get(session=session).score == 0


def test_risk_updated_is_pushed_when_the_score_changes(
    session, django_capture_on_commit_callbacks
) -> None:
    channel = _feed_events()
    with django_capture_on_commit_callbacks(execute=True):
        incident = _incident(session, "no_face", seconds=30)
    events = [m["event"] for m in _drain(channel)]
    assert events.count("risk.updated") == 1
    assert "incident.created" in events

    channel = _feed_events()  # a fresh channel: a Redis layer binds a receiver to its loop
    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, details={"note": "same span"})
    events = [m["event"] for m in _drain(channel)]
    assert "incident.updated" in events
    assert "risk.updated" not in events  # the score did not move


def test_risk_event_carries_score_level_and_explanation(
    session, django_capture_on_commit_callbacks
) -> None:
    channel = _feed_events()
    with django_capture_on_commit_callbacks(execute=True):
        _incident(session, "identity_mismatch", seconds=60, severity="high")
    [message] = [m for m in _drain(channel) if m["event"] == "risk.updated"]
    data = message["data"]
    assert data["session_id"] == str(session.pk)
    # One strong incident is at most 0.95 of a violation: medium until a proctor confirms it.
    assert (data["expected_violations"], data["score"], data["level"]) == (0.95, 49, "medium")
    assert data["previous_score"] is None
    assert data["explanation"]["incidents"][0]["kind"] == "identity_mismatch"


def test_deleting_the_session_does_not_recreate_its_risk(
    session, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _incident(session, "no_face", seconds=30)
    assert SessionRisk.objects.filter(session=session).exists()
    with django_capture_on_commit_callbacks(execute=True):
        session.transitions.all().delete()
        session.delete()
    assert not SessionRisk.objects.exists()


def test_risk_is_scored_once_per_transaction_after_commit(session, committed) -> None:
    channel = _feed_events()
    with committed(), transaction.atomic():
        first = _incident(session, "no_face", seconds=10)
        _incident(session, "looking_away", seconds=6, severity="low")
        incident_update(incident=first, ended_at=first.started_at + timedelta(seconds=40))
        # Not inside the ingest's or aggregation's transaction: only after it commits.
        assert not SessionRisk.objects.filter(session=session).exists()
    events = [m["event"] for m in _drain(channel)]
    assert events.count("risk.updated") == 1  # not one per incident saved
    risk = SessionRisk.objects.get(session=session)
    assert {row["kind"] for row in risk.explanation["incidents"]} == {"no_face", "looking_away"}
    assert next(
        row["duration_s"] for row in risk.explanation["incidents"] if row["kind"] == "no_face"
    ) == pytest.approx(40.0)


def test_item_risk_combines_labels() -> None:
    assert item_risk([]) == 0
    assert item_risk(["no_face"]) == 50.0
    assert item_risk(["no_face", "multiple_faces"]) == pytest.approx(85.0)
    assert item_risk(["unknown_label"]) == 0
