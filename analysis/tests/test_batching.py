"""Several items per worker task: one session's waiting items in capture order, each still
claimed and stored exactly once, with fewer queries per item than one task per item."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis.models import AnalysisResult, MediaItem
from analysis.services import analyze as analyze_service
from analysis.services import media_analyze, queueing
from analysis.services.analyze import media_analyze_pending, media_claim_fresh
from analysis.tasks import session_media_analyze

pytestmark = pytest.mark.django_db


def _store(session, data: bytes, kind: str, seconds: float) -> MediaItem:
    media = MediaItem(
        session=session,
        kind=kind,
        captured_at=session.started_at + timedelta(seconds=seconds),
        size_bytes=len(data),
    )
    media.file.save("f.jpg" if kind == "frame" else "c.wav", ContentFile(data), save=False)
    media.save()
    return media


def _items(session, shared_media: Path, frames: int = 4, chunks: int = 2) -> list[MediaItem]:
    frame = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    chunk = (shared_media / "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav").read_bytes()
    items = [_store(session, frame, "frame", 3 * i) for i in range(frames)]
    items += [_store(session, chunk, "audio", 5 * i + 1) for i in range(chunks)]
    return items


def test_a_batch_analyses_waiting_items_in_capture_order_with_fewer_queries(
    session, other_candidate, exam, start_session, shared_media
) -> None:
    batched = _items(session, shared_media)
    with CaptureQueriesContext(connection) as batch_queries:
        done, more = media_analyze_pending(session_id=session.pk, limit=len(batched))
    assert more is True  # the limit was reached: the caller queues another look
    by_time = sorted(batched, key=lambda m: (m.captured_at, m.pk))
    assert done == [m.pk for m in by_time]
    results = AnalysisResult.objects.filter(media__in=batched)
    assert results.count() == len(batched)
    assert all(r.status == "ok" for r in results)

    other, _ = start_session(other_candidate, exam)
    single = _items(other, shared_media)
    with CaptureQueriesContext(connection) as single_queries:
        for media in sorted(single, key=lambda m: (m.captured_at, m.pk)):
            media_analyze(media_id=media.pk)
    assert AnalysisResult.objects.filter(media__in=single).count() == len(single)
    per_item_batched = len(batch_queries.captured_queries) / len(batched)
    per_item_single = len(single_queries.captured_queries) / len(single)
    print(f"queries per item: batch {per_item_batched:.1f}, one task each {per_item_single:.1f}")
    assert per_item_batched < per_item_single - 2, (per_item_batched, per_item_single)
    # Same answers either way (labels of frame i, chunk i).
    labels = [
        list(AnalysisResult.objects.filter(media__in=group).order_by("captured_at", "pk"))
        for group in (batched, single)
    ]
    assert [r.labels for r in labels[0]] == [r.labels for r in labels[1]]
    assert ["unchanged" in r.raw for r in labels[0]] == ["unchanged" in r.raw for r in labels[1]]


def test_batches_claim_disjoint_items_and_leave_started_ones_to_their_delivery(
    session, shared_media
) -> None:
    items = _items(session, shared_media, frames=5, chunks=0)
    # A delivery (the sweep's, one item) already started the first item.
    MediaItem.objects.filter(pk=items[0].pk).update(analysis_attempts=1)
    first = media_claim_fresh(session_id=session.pk, limit=2)
    second = media_claim_fresh(session_id=session.pk, limit=10)
    assert [m.pk for m in first] == [items[1].pk, items[2].pk]
    assert [m.pk for m in second] == [items[3].pk, items[4].pk]
    assert media_claim_fresh(session_id=session.pk, limit=10) == []
    assert all(m.analysis_attempts == 1 for m in [*first, *second])
    # The started item is still its own delivery's: media_analyze stores it once.
    assert media_analyze(media_id=items[0].pk) is not None
    assert media_analyze(media_id=items[0].pk) is None


def test_one_task_per_session_while_one_is_queued(session, shared_media, monkeypatch) -> None:
    queued: list[tuple] = []
    monkeypatch.setattr(queueing, "async_task", lambda *args, **_: queued.append(args))
    cache.delete(queueing._marker(session.pk))
    items = _items(session, shared_media, frames=3, chunks=0)
    for media in items:
        queueing.media_analysis_enqueue(session_id=session.pk, media_id=media.pk)
    assert queued == [(queueing.SESSION_TASK, str(session.pk))]
    # The task clears the marker first: an upload after it queues the next task.
    assert session_media_analyze(str(session.pk)).startswith("analysed ")
    assert AnalysisResult.objects.filter(media__in=items).count() == 3
    queueing.media_analysis_enqueue(session_id=session.pk, media_id=items[-1].pk)
    assert len(queued) == 2


def test_more_waiting_than_the_limit_queues_the_next_task(
    session, shared_media, monkeypatch, settings
) -> None:
    settings.ANALYSIS_BATCH_MAX_ITEMS = 2
    queued: list[tuple] = []
    monkeypatch.setattr(queueing, "async_task", lambda *args, **_: queued.append(args))
    cache.delete(queueing._marker(session.pk))
    items = _items(session, shared_media, frames=5, chunks=0)
    while True:
        done = queueing.session_media_analyze_waiting(session_id=session.pk)
        if not done:
            break
    assert AnalysisResult.objects.filter(media__in=items).count() == 5
    assert len(queued) >= 2  # continuations were queued while the limit was reached


def test_one_batch_item_failing_leaves_it_a_failed_result_and_the_rest_analysed(
    session, shared_media, monkeypatch
) -> None:
    items = _items(session, shared_media, frames=3, chunks=0)
    real = analyze_service._result_store
    broken = items[1].pk

    def store(media, analysis, data=None):  # noqa: ANN001, ANN202
        if media.pk == broken:
            raise RuntimeError("database went away")
        return real(media, analysis, data)

    monkeypatch.setattr(analyze_service, "_result_store", store)
    failed: list[int] = []
    done, _ = media_analyze_pending(session_id=session.pk, limit=8, on_error=failed.append)
    assert done == [items[0].pk, items[2].pk]
    assert failed == [broken]
    monkeypatch.setattr(analyze_service, "_result_store", real)
    # The task's handler gives it a failed result (so its session's media can be released).
    assert analyze_service.media_fail(media_id=broken, reason="internal_error") is not None
    assert AnalysisResult.objects.get(media_id=broken).failure_reason == "internal_error"


def test_the_backlog_is_reported_as_items_waiting(session, shared_media, client) -> None:
    from analysis.selectors import analysis_capacity_probe

    items = _items(session, shared_media, frames=3, chunks=0)
    assert analysis_capacity_probe()["items_waiting"] == 3
    body = client.get("/metrics").content.decode()
    assert "proctoring_analysis_items_waiting 3.0" in body
    media_analyze_pending(session_id=session.pk, limit=8)
    assert analysis_capacity_probe()["items_waiting"] == 0
    assert AnalysisResult.objects.filter(media__in=items).count() == 3


def test_the_sweep_leaves_waiting_items_of_a_queued_session_task_alone(
    session, shared_media, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from django.utils import timezone

    from analysis.services import delivery

    queued: list[tuple] = []
    monkeypatch.setattr(delivery, "async_task", lambda *args: queued.append(args))
    items = _items(session, shared_media, frames=2, chunks=0)
    past = timezone.now() - timedelta(seconds=settings.ANALYSIS_LEASE_S + 1)
    MediaItem.objects.filter(pk__in=[m.pk for m in items]).update(analysis_leased_at=past)
    MediaItem.objects.filter(pk=items[1].pk).update(analysis_attempts=1)  # a started delivery
    cache.set(queueing._marker(session.pk), items[0].pk, 30)
    with django_capture_on_commit_callbacks(execute=True):
        report = delivery.media_sweep_unfinished()
    # The never-started item waits for its session's task; the started one is delivered again.
    assert (report.requeued, report.deferred) == (1, 1)
    assert queued == [(delivery.ANALYZE_TASK, items[1].pk)]
    cache.delete(queueing._marker(session.pk))  # the task was lost: its marker expired
    MediaItem.objects.filter(pk=items[0].pk).update(analysis_leased_at=past)
    with django_capture_on_commit_callbacks(execute=True):
        report = delivery.media_sweep_unfinished()
    assert report.requeued == 1
    assert queued[-1] == (delivery.ANALYZE_TASK, items[0].pk)
