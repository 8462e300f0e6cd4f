"""The worker's audio path over a session: voices judged over the last minute of stored chunks,
the incident's evidence and what happens to the chunks' files (real recordings, real DB)."""

from __future__ import annotations

import io
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile

from analysis.analyzers.audio import mixtures
from analysis.analyzers.audio.decode import SAMPLE_RATE
from analysis.models import AnalysisResult, MediaItem
from analysis.services.analyze import media_analyze
from analysis.services.retention import session_media_finalize
from exams.services import session_transition
from monitoring.models import Incident

pytestmark = pytest.mark.django_db

CHUNK = int(mixtures.CHUNK_S * SAMPLE_RATE)


def _wav(pcm: np.ndarray) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(SAMPLE_RATE)
        fh.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def _send(session, pcm: np.ndarray) -> list[MediaItem]:
    """Store every 5 s chunk of ``pcm`` as the ingest would, then analyze them in order."""
    items = []
    for k, start in enumerate(range(0, len(pcm) - CHUNK + 1, CHUNK)):
        data = _wav(pcm[start : start + CHUNK])
        media = MediaItem(
            session=session,
            kind="audio",
            captured_at=session.started_at + timedelta(seconds=5 * k),
            size_bytes=len(data),
            duration_s=5.0,
        )
        media.file.save(f"chunk{k}.wav", ContentFile(data), save=False)
        media.save()
        media_analyze(media_id=media.pk)
        items.append(media)
    return items


@pytest.fixture(scope="module")
def real_voices(shared_media: Path) -> dict[str, np.ndarray]:
    if not mixtures.media_available(shared_media):
        pytest.skip(f"the recordings of analyzers/audio/mixtures.py are not in {shared_media}")
    return mixtures.load_voices(shared_media)


def test_turns_across_chunks_open_an_incident_with_the_other_voices_chunks(
    session, real_voices: dict[str, np.ndarray]
) -> None:
    a, b = real_voices["librivox"], real_voices["allison"]
    pcm = np.concatenate([mixtures.loop(a, 30.0), mixtures.two_voices(a, b, "turns", 15.0, 7.0)])
    items = _send(session, pcm)

    incident = Incident.objects.get(session=session, kind="multiple_voices")
    evidence = {ref["id"] for ref in incident.evidence if ref["type"] == "audio"}
    alone, turns = {m.pk for m in items[:6]}, {m.pk for m in items[6:]}
    assert evidence and evidence <= turns  # the chunks where the second voice speaks, only
    assert incident.started_at >= session.started_at + timedelta(seconds=30)
    assert incident.details["max_speaker_count"] >= 2
    labelled = [r.media_id for r in AnalysisResult.objects.filter(media__in=items) if r.labels]
    assert labelled and set(labelled) <= turns
    judged = AnalysisResult.objects.get(media=items[-1]).raw["session_voices"]
    assert judged["voices"] == 2 and judged["chunks"] == 9
    for media in MediaItem.objects.filter(pk__in=evidence):
        assert media.is_evidence and media.file_deleted_at is None
    # The single-voice chunks are still held while the window may name them, then go when
    # the session ends.
    session = session_transition(session_id=session.pk, to_status="submitted", actor=None)
    session_media_finalize(session=session)
    left = MediaItem.objects.filter(pk__in=alone, file_deleted_at__isnull=True)
    assert not left.exists()


def test_one_voice_for_a_minute_opens_nothing_and_old_chunks_are_released(
    session, real_voices: dict[str, np.ndarray]
) -> None:
    items = _send(session, mixtures.loop(real_voices["jfk"], 75.0))
    assert not Incident.objects.filter(session=session, kind__in=["multiple_voices"]).exists()
    results = AnalysisResult.objects.filter(media__in=items)
    assert all(r.raw["window_embeddings"] for r in results)  # every chunk holds speech
    assert not any(r.labels for r in results)
    stored = MediaItem.objects.filter(pk__in=[m.pk for m in items]).order_by("captured_at")
    deleted = [m.file_deleted_at is not None for m in stored]
    # The last chunk (70 s) is judged with the chunks after 10 s: those are held, older go.
    assert deleted == [True] * 3 + [False] * 12
