"""/health/: worker liveness (503 when none was seen for a while), backlog, app sections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Task

from analysis.models import MediaItem

pytestmark = pytest.mark.django_db


def _finished_task(seconds_ago: float) -> None:
    """What a worker leaves when it finishes a task (django-q2's own record)."""
    stopped = timezone.now() - timedelta(seconds=seconds_ago)
    Task.objects.create(
        id=f"t{seconds_ago}",
        name="heartbeat",
        func="exams.tasks.expire_due_sessions",
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=True,
    )


def test_no_worker_ever_seen_is_503(client, settings) -> None:
    settings.HEALTH_WORKER_STALE_S = 300
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["worker"]["alive"], body["worker"]["last_seen"]) == (
        "unavailable",
        False,
        None,
    )


def test_a_worker_seen_recently_is_healthy_and_a_stale_one_is_not(client, settings) -> None:
    settings.HEALTH_WORKER_STALE_S = 300
    _finished_task(400)
    stale = client.get("/health/")
    assert stale.status_code == 503
    assert stale.json()["worker"]["seconds_since_seen"] >= 400
    _finished_task(5)
    fresh = client.get("/health/")
    assert fresh.status_code == 200
    worker = fresh.json()["worker"]
    assert worker["alive"] is True
    assert worker["seconds_since_seen"] < 300
    settings.HEALTH_WORKER_STALE_S = 3
    assert client.get("/health/").status_code == 503  # the threshold is the setting's


def test_zero_turns_the_worker_condition_off_but_still_reports_it(client, settings) -> None:
    settings.HEALTH_WORKER_STALE_S = 0
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["worker"]["alive"] is False


def test_backlog_and_pending_analysis_are_reported(client, session) -> None:
    body = client.get("/health/").json()
    assert isinstance(body["worker"]["queue_backlog"], int)
    assert body["analysis"]["pending_media"] == 0
    MediaItem.objects.create(session=session, kind="frame", captured_at=timezone.now())
    body = client.get("/health/").json()
    assert body["analysis"]["pending_media"] == 1
    assert body["analysis"]["oldest_lease"] is not None
