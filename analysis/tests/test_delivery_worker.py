"""A cluster killed mid-run loses no analysis: real qcluster processes on the configured broker.

The CI SQLite run exercises the ORM broker, the PostgreSQL run Redis (REDIS_URL). Uploads are
queued first, a cluster starts taking them, its whole process tree gets SIGKILL, and a new
cluster must bring every item to exactly one result through the scheduled sweep alone.
"""

from __future__ import annotations

import base64
import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db.models import Count

from analysis.models import AnalysisResult, MediaItem, ResultStatus
from exams.services import session_end

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Short enough for a test, and the lease still outlasts the task timeout as the check demands.
WORKER_ENV = {"Q_TIMEOUT": "20", "ANALYSIS_LEASE_S": "25", "ANALYSIS_PRELOAD_MODELS": "1"}
FRAMES = 24
CHUNKS = 8


def _sweep_schedule_exists() -> None:
    """The migration's schedule (a transactional test before this one may have flushed it)."""
    migration = importlib.import_module("analysis.migrations.0003_media_delivery_lease_and_sweep")
    migration.create_sweep_schedule(django_apps, None)


def _upload(client, session, path: str, field: str, at) -> int:
    response = client.post(
        f"/api/monitoring/{'frames' if field == 'image' else 'audio'}",
        {
            "session_id": str(session.pk),
            field: base64.b64encode(path.read_bytes()).decode(),
            "captured_at": at.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_sigkill_of_the_cluster_mid_run_loses_no_analysis(
    qcluster_factory, candidate, exam, start_session, client_for, shared_media
) -> None:
    _sweep_schedule_exists()
    session, _token = start_session(candidate, exam)
    client = client_for(candidate)
    frame = shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg"
    chunk = shared_media / "E_speech_single_speaker/e04_cmu_arctic_a0007_male.wav"
    ids = [
        _upload(client, session, frame, "image", session.started_at + timedelta(seconds=2 * i))
        for i in range(FRAMES)
    ] + [
        _upload(client, session, chunk, "audio", session.started_at + timedelta(seconds=5 * i))
        for i in range(CHUNKS)
    ]
    session_end(session=session, actor=candidate)
    done = AnalysisResult.objects.filter(media_id__in=ids)

    first = qcluster_factory(WORKER_ENV)
    first.wait_for(lambda: done.count() >= 3, timeout=240, interval=0.1)
    first.kill()
    finished_before_kill = done.count()
    assert finished_before_kill < len(ids), "the cluster finished before it could be killed"

    second = qcluster_factory(WORKER_ENV)
    second.wait_for(lambda: done.count() == len(ids), timeout=300)

    per_item = dict(done.values_list("media_id").annotate(n=Count("id")))
    assert per_item == dict.fromkeys(ids, 1)
    assert set(done.values_list("status", flat=True)) == {ResultStatus.OK}
    items = MediaItem.objects.filter(pk__in=ids)
    assert not items.filter(analysis_leased_at__isnull=False).exists()
    # Redelivered items were taken again by the new cluster (a second attempt), not lost.
    assert items.filter(analysis_attempts__gte=1).count() == len(ids)
    # The session is over and everything is analyzed: no file that is not evidence stays.
    for item in items.filter(is_evidence=False):
        assert item.file_deleted_at is not None, item.pk
        assert not item.file.storage.exists(item.file.name), item.pk
    print(f"killed after {finished_before_kill}/{len(ids)} results; all {len(ids)} recovered")
