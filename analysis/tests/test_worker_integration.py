"""End to end through a real qcluster process: uploads -> results -> incidents -> session risk."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django_q.tasks import async_task

from analysis.models import AnalysisResult, MediaItem, SessionRisk
from monitoring.models import Incident

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _frame(client, session, data: bytes, at) -> int:
    response = client.post(
        "/api/monitoring/frames",
        {
            "session_id": str(session.pk),
            "image": base64.b64encode(data).decode(),
            "captured_at": at.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_real_worker_turns_uploads_into_incidents_and_risk(
    qcluster_worker, candidate, exam, start_session, client_for, shared_media
) -> None:
    session, _token = start_session(candidate, exam)
    client = client_for(candidate)
    t0 = session.started_at

    # Voice enrollment (synchronous, in this process): the candidate is JFK.
    jfk = (shared_media / "E_speech_single_speaker/e01_jfk_inaugural_16k.wav").read_bytes()
    response = client.post(
        "/api/monitoring/enroll/voice",
        {"session_id": str(session.pk), "audio": base64.b64encode(jfk).decode()},
        format="json",
    )
    assert response.status_code == 201, response.content

    # A broken item first: the worker must record it as failed and keep going.
    broken = MediaItem(session=session, kind="frame", captured_at=t0, size_bytes=9)
    broken.file.save("broken.jpg", ContentFile(b"\xff\xd8\xff broken"), save=False)
    broken.save()
    async_task("analysis.tasks.media_analyze", broken.pk)

    face = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    empty_desk = (shared_media / "C_no_face/c01_opencv_desk_objects.jpg").read_bytes()
    two_people = (shared_media / "B_multiple_faces/b04_ultralytics_zidane_2people.jpg").read_bytes()
    uploads = [
        (face, 0),
        (empty_desk, 3),
        (empty_desk, 6),
        (empty_desk, 9),
        (face, 12),
        (two_people, 15),
        (face, 18),
        (two_people, 21),
    ]
    ids = {
        seconds: _frame(client, session, data, t0 + timedelta(seconds=seconds))
        for data, seconds in uploads
    }
    voices = (shared_media / "F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav").read_bytes()
    response = client.post(
        "/api/monitoring/audio",
        {
            "session_id": str(session.pk),
            "audio": base64.b64encode(voices).decode(),
            "captured_at": (t0 + timedelta(seconds=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    audio_id = response.json()["id"]

    expected = len(uploads) + 2
    qcluster_worker.wait_for(
        lambda: AnalysisResult.objects.filter(session=session).count() >= expected, timeout=300
    )

    failed = AnalysisResult.objects.get(media=broken)
    assert failed.status == "failed"
    assert failed.failure_reason in {"truncated", "undecodable", "not_an_image"}

    no_face = Incident.objects.get(session=session, kind="no_face")
    assert no_face.source == "analyzer"
    assert no_face.started_at == t0 + timedelta(seconds=3)
    assert no_face.ended_at == t0 + timedelta(seconds=9)
    assert [ref["id"] for ref in no_face.evidence] == [ids[3], ids[6], ids[9]]
    for ref in no_face.evidence:
        media = MediaItem.objects.get(pk=ref["id"])
        assert media.is_evidence and media.has_file
        assert media.file.storage.exists(media.file.name)

    several = Incident.objects.get(session=session, kind="multiple_faces")
    assert [ref["id"] for ref in several.evidence] == [ids[15], ids[21]]

    # The enrolled candidate (jfk) speaks with a voice behind: several voices, not a background
    # voice (that is for another voice while the candidate is silent).
    voice = Incident.objects.get(session=session, kind="multiple_voices")
    assert voice.evidence == [{"type": "audio", "id": audio_id}]
    assert not Incident.objects.filter(session=session, kind="background_voice").exists()
    assert MediaItem.objects.get(pk=audio_id).has_file

    # A plain frontal frame is no evidence: deleted after analysis.
    plain = MediaItem.objects.get(pk=ids[0])
    assert plain.file_deleted_at is not None
    assert not plain.file.storage.exists(plain.file.name)

    risk = SessionRisk.objects.get(session=session)
    assert risk.score > 0
    explained = {row["kind"] for row in risk.explanation["incidents"]}
    assert {"no_face", "multiple_faces", "multiple_voices"} <= explained
    assert qcluster_worker.alive  # bad media did not kill it
