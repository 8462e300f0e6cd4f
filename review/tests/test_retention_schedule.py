"""Retention runs by itself: the hourly schedule, its recorded runs, a real worker purging."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from django_q.models import Schedule

from analysis.models import MediaItem, MediaPurgeRun
from analysis.tasks import purge_expired_media
from exams.services import session_end
from review.tests.dashboard_scenario import media_create


def _aged_evidence(session, days: int) -> MediaItem:
    item = media_create(session, "frame", b"\xff\xd8 old evidence", timezone.now())
    MediaItem.objects.filter(pk=item.pk).update(
        captured_at=timezone.now() - timedelta(days=days), analysis_leased_at=None
    )
    return item


@pytest.mark.django_db
def test_purge_is_scheduled_hourly() -> None:
    schedule = Schedule.objects.get(name="purge-media")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "analysis.tasks.purge_expired_media",
        Schedule.HOURLY,
        -1,
    )


@pytest.mark.django_db
def test_the_scheduled_purge_deletes_media_past_retention_and_records_the_run(
    candidate, exam, start_session, settings, client
) -> None:
    settings.MEDIA_RETENTION_DAYS = 30
    session, _ = start_session(candidate, exam)
    old = _aged_evidence(session, 31)
    recent = _aged_evidence(session, 29)
    session_end(session=session, actor=candidate)
    storage, old_name = old.file.storage, old.file.name

    outcome = purge_expired_media()

    run = MediaPurgeRun.objects.latest()
    assert (run.files_deleted, run.error) == (1, "")
    assert run.finished_at is not None
    assert run.cutoff.date() == (run.started_at - timedelta(days=30)).date()
    assert str(run.files_deleted) in outcome
    assert not storage.exists(old_name)
    assert storage.exists(recent.file.name)
    body = client.get("/health/").json()
    assert body["retention"]["retention_days"] == 30
    assert body["retention"]["last_run"]["files_deleted"] == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_media_past_retention_disappears_with_nobody_typing_a_command(
    qcluster_factory, candidate, exam, start_session, settings, client
) -> None:
    migration = importlib.import_module("analysis.migrations.0004_media_purge_run_and_schedule")
    migration.create_purge_schedule(django_apps, None)  # a flush may have removed it
    Schedule.objects.filter(name="purge-media").update(next_run=timezone.now())
    settings.HEALTH_WORKER_STALE_S = 300
    session, _ = start_session(candidate, exam)
    old = _aged_evidence(session, settings.MEDIA_RETENTION_DAYS + 1)
    session_end(session=session, actor=candidate)
    storage, name = old.file.storage, old.file.name
    before = client.get("/health/")
    assert before.status_code == 503  # no worker has been seen on this database yet
    assert before.json()["worker"]["alive"] is False

    worker = qcluster_factory({"ANALYSIS_PRELOAD_MODELS": "0"})
    purged = MediaItem.objects.filter(pk=old.pk, file_deleted_at__isnull=False)
    # The purge deletes the file inside the transaction that marks the row: wait for both.
    worker.wait_for(lambda: purged.exists() and not storage.exists(name), timeout=180)
    worker.wait_for(lambda: client.get("/health/").status_code == 200, timeout=60)
    body = client.get("/health/").json()
    assert body["worker"]["alive"] is True
    assert body["worker"]["queue_backlog"] is not None
    assert body["retention"]["last_run"]["files_deleted"] >= 1
