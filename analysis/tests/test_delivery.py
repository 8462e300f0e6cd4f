"""Exactly one result per item whatever the queue does: leases, the sweep, attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from analysis import runner
from analysis.checks import lease_outlasts_task_timeout
from analysis.models import AnalysisResult, MediaItem, ResultStatus
from analysis.services import media_analyze, media_sweep_unfinished
from analysis.services.analyze import result_record
from monitoring.models import Incident

from .test_tasks import _stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def face(shared_media) -> bytes:
    return (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()


def _expire_lease(media: MediaItem, settings, attempts: int = 0) -> None:
    past = timezone.now() - timedelta(seconds=settings.ANALYSIS_LEASE_S + 1)
    MediaItem.objects.filter(pk=media.pk).update(
        analysis_leased_at=past, analysis_attempts=attempts
    )


def test_an_upload_holds_a_lease_until_its_result_is_written(session, face) -> None:
    media = _stored(session, face)
    assert media.analysis_leased_at is not None
    media_analyze(media_id=media.pk)
    media.refresh_from_db()
    assert media.analysis_leased_at is None
    assert media.analysis_attempts == 1


def test_a_repeated_delivery_writes_nothing(session, face) -> None:
    media = _stored(session, face)
    first = media_analyze(media_id=media.pk)
    assert first is not None
    assert media_analyze(media_id=media.pk) is None
    assert AnalysisResult.objects.filter(media=media).count() == 1
    media.refresh_from_db()
    assert media.analysis_attempts == 1  # the spare delivery did not even count as an attempt


def test_the_database_refuses_a_second_result_for_one_item(session, face) -> None:
    media = _stored(session, face)
    media_analyze(media_id=media.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisResult.objects.create(
            session=session, media=media, kind=media.kind, captured_at=media.captured_at
        )


def test_a_concurrent_delivery_that_stores_first_wins(session, monkeypatch) -> None:
    """Two workers took the same item; the other one stores while this one analyzes."""
    media = _stored(session, b"\xff\xd8 two deliveries of one frame")
    no_face = runner.ItemAnalysis(ok=True, labels=["no_face"], raw={"by": "this delivery"})

    def analyze_while_the_other_worker_stores(media_item, data):
        result_record(
            session=session,
            kind=media_item.kind,
            captured_at=media_item.captured_at,
            analysis=runner.ItemAnalysis(ok=True, labels=[], raw={"by": "the other worker"}),
            media=media_item,
        )
        return no_face

    monkeypatch.setattr(
        "analysis.services.analyze._analysis_for", analyze_while_the_other_worker_stores
    )
    assert media_analyze(media_id=media.pk) is None
    result = AnalysisResult.objects.get(media=media)
    assert result.raw == {"by": "the other worker"}
    assert result.label_rows.count() == 0
    assert not Incident.objects.filter(session=session).exists()


def test_the_sweep_delivers_again_an_item_whose_lease_expired(
    session, face, settings, django_capture_on_commit_callbacks
) -> None:
    lost = _stored(session, face)
    _expire_lease(lost, settings)
    with django_capture_on_commit_callbacks(execute=True):
        report = media_sweep_unfinished()
    assert (report.requeued, report.failed) == (1, 0)
    result = AnalysisResult.objects.get(media=lost)
    assert (result.status, result.face_count) == (ResultStatus.OK, 1)


def test_the_sweep_waits_while_the_queue_is_backed_up_but_still_fails_poison(
    session, face, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ANALYSIS_SWEEP_MAX_BACKLOG = -1  # any queue length, even 0, counts as backed up
    waiting = _stored(session, face)
    _expire_lease(waiting, settings)
    poison = _stored(session, face, seconds=3)
    _expire_lease(poison, settings, attempts=settings.ANALYSIS_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        report = media_sweep_unfinished()
    assert (report.requeued, report.failed, report.deferred) == (0, 1, 1)
    assert not AnalysisResult.objects.filter(media=waiting).exists()
    assert AnalysisResult.objects.get(media=poison).failure_reason == "attempts_exhausted"
    settings.ANALYSIS_SWEEP_MAX_BACKLOG = 50
    with django_capture_on_commit_callbacks(execute=True):
        assert media_sweep_unfinished().requeued == 1
    assert AnalysisResult.objects.filter(media=waiting).count() == 1


def test_the_sweep_leaves_leased_and_finished_items_alone(
    session, face, settings, django_capture_on_commit_callbacks
) -> None:
    in_flight = _stored(session, face)
    done = _stored(session, face, seconds=3)
    media_analyze(media_id=done.pk)
    enrollment = _stored(session, face, kind="enroll", seconds=6)
    _expire_lease(enrollment, settings)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = media_sweep_unfinished()
    assert (report.requeued, report.failed, len(callbacks)) == (0, 0, 0)
    assert not AnalysisResult.objects.filter(media__in=[in_flight, enrollment]).exists()
    assert AnalysisResult.objects.filter(media=done).count() == 1


def test_an_item_workers_keep_dying_on_gets_a_failed_result_and_its_file_goes(
    session, face, settings, django_capture_on_commit_callbacks
) -> None:
    poison = _stored(session, face)
    _expire_lease(poison, settings, attempts=settings.ANALYSIS_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        report = media_sweep_unfinished()
    assert (report.requeued, report.failed) == (0, 1)
    result = AnalysisResult.objects.get(media=poison)
    assert (result.status, result.failure_reason) == (ResultStatus.FAILED, "attempts_exhausted")
    poison.refresh_from_db()
    assert poison.analysis_leased_at is None
    assert poison.file_deleted_at is not None
    assert not poison.file.storage.exists(poison.file.name)


def test_a_delivery_past_the_attempt_limit_fails_without_analyzing(
    session, settings, monkeypatch
) -> None:
    poison = _stored(session, b"\xff\xd8 a frame that kills workers")
    MediaItem.objects.filter(pk=poison.pk).update(analysis_attempts=settings.ANALYSIS_MAX_ATTEMPTS)

    def must_not_run(*args, **kwargs):
        raise AssertionError("an item out of attempts was analyzed again")

    monkeypatch.setattr("analysis.services.analyze._analysis_for", must_not_run)
    result = media_analyze(media_id=poison.pk)
    assert (result.status, result.failure_reason) == (ResultStatus.FAILED, "attempts_exhausted")


def test_the_sweep_is_scheduled_every_minute() -> None:
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="analysis-sweep")
    assert schedule.func == "analysis.tasks.sweep_unfinished_media"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)
    call_command("check")  # the default lease outlasts the default task timeout


def test_a_lease_shorter_than_the_task_timeout_is_refused(settings) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120}
    settings.ANALYSIS_LEASE_S = 120
    assert [error.id for error in lease_outlasts_task_timeout()] == ["analysis.E001"]
    settings.ANALYSIS_LEASE_S = 121
    assert lease_outlasts_task_timeout() == []
