"""A realistic reviewed-exam scenario for the dashboard tests and screenshots.

Everything goes through the other apps' services where they exist (page events through the
ingest service, incidents through ``monitoring.incidents``, submissions and similarity through
the submissions services). Media rows are written like the engine's ingest does, with real
frames and audio from ../shared/media when present (small generated ones otherwise), so the
dashboard can be tested without running the analyzers.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from analysis.models import MediaItem
from exams.models import ExamSession
from monitoring.incidents import incident_create
from monitoring.models import Incident
from monitoring.services import events_ingest

COPIED = """def two_sum(numbers, target):
    seen = {}
    for index, value in enumerate(numbers):
        wanted = target - value
        if wanted in seen:
            return [seen[wanted], index]
        seen[value] = index
    return []


def reverse(items):
    result = []
    for position in range(len(items) - 1, -1, -1):
        result.append(items[position])
    return result
"""

RENAMED = """def two_sum(nums, goal):
    # look for the complement
    memo = {}
    for i, v in enumerate(nums):
        need = goal - v
        if need in memo:
            return [memo[need], i]
        memo[v] = i
    return []


def reverse(xs):
    out = []
    for p in range(len(xs) - 1, -1, -1):
        out.append(xs[p])
    return out
"""


def _shared(name: str) -> bytes | None:
    from conftest import shared_media_dir

    path = Path(shared_media_dir()) / name
    return path.read_bytes() if path.exists() else None


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _wav(seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x01" * int(16000 * seconds))
    return buffer.getvalue()


def media_create(
    session: ExamSession, kind: str, data: bytes, at: datetime, *, evidence: bool = True
) -> MediaItem:
    extension, content_type = ("wav", "audio/wav") if kind == "audio" else ("jpg", "image/jpeg")
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        extension, content_type = "png", "image/png"
    item = MediaItem(
        session=session,
        kind=kind,
        content_type=content_type,
        size_bytes=len(data),
        captured_at=at,
        is_evidence=evidence,
    )
    item.file.save(f"upload.{extension}", ContentFile(data), save=False)
    item.save()
    return item


@dataclass
class Scenario:
    session: ExamSession
    other: ExamSession
    frames: list[MediaItem]
    audio: MediaItem
    incidents: dict[str, Incident]


def _backdate(session: ExamSession, minutes: int) -> datetime:
    """Pretend the session started ``minutes`` ago (so its events can be in the past)."""
    start = timezone.now() - timedelta(minutes=minutes)
    ExamSession.objects.filter(pk=session.pk).update(started_at=start)
    session.transitions.update(created_at=start)
    session.refresh_from_db()
    return start


def build(*, exam, candidate, other_candidate, start_session, submit: bool = True) -> Scenario:  # noqa: ANN001
    """Two candidates of ``exam``; the first has events, analyzer incidents with evidence and
    code copied by the second (similarity incident on both)."""
    from submissions.reports import similarity_report_run
    from submissions.services import session_final_submit, submission_create

    session, _ = start_session(candidate, exam)
    other, _ = start_session(other_candidate, exam)
    start = _backdate(session, 20)
    _backdate(other, 19)

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    events = [
        {"seq": 1, "type": "fullscreen_enter", "ts": at(5).isoformat(), "payload": {}},
        {"seq": 2, "type": "heartbeat", "ts": at(30).isoformat(), "payload": {}},
        {"seq": 3, "type": "tab_hidden", "ts": at(95).isoformat(), "payload": {}},
        {"seq": 4, "type": "tab_visible", "ts": at(140).isoformat(), "payload": {}},
        {"seq": 5, "type": "paste", "ts": at(300).isoformat(), "payload": {"chars": 412}},
        {"seq": 6, "type": "window_blur", "ts": at(420).isoformat(), "payload": {}},
        {"seq": 7, "type": "window_focus", "ts": at(431).isoformat(), "payload": {}},
    ]
    # A heartbeat every 20 s, as the page sends them, so the page never looks offline.
    seq = len(events)
    for second in range(20, 1200, 20):
        seq += 1
        events.append({"seq": seq, "type": "heartbeat", "ts": at(second).isoformat()})
    events_ingest(session=session, raw_events=events)

    face = _shared("A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg") or _jpeg((90, 90, 140))
    group = _shared("B_multiple_faces/b04_ultralytics_zidane_2people.jpg") or _jpeg((140, 90, 90))
    empty = _shared("C_no_face/c06_skimage_empty_garage.png") or _jpeg((40, 40, 40))
    stranger = _shared("A_single_frontal_face/a06_face_recognition_obama.jpg") or _jpeg((0, 90, 0))
    speech = _shared("E_speech_single_speaker/e04_cmu_arctic_a0007_male.wav") or _wav()

    frames = [
        media_create(session, "frame", empty, at(200)),
        media_create(session, "frame", empty, at(205)),
        media_create(session, "frame", group, at(610)),
        media_create(session, "frame", group, at(615)),
        media_create(session, "frame", stranger, at(800)),
    ]
    media_create(session, "frame", face, at(60), evidence=False)
    audio = media_create(session, "audio", speech, at(700))

    incidents = {
        "no_face": incident_create(
            session=session,
            kind=Incident.Kind.NO_FACE,
            source=Incident.Source.ANALYZER,
            started_at=at(200),
            ended_at=at(212),
            severity=Incident.Severity.MEDIUM,
            confidence=0.9,
            details={"positives": 2, "judged": 2},
            evidence=[{"type": "frame", "id": frames[0].pk}, {"type": "frame", "id": frames[1].pk}],
        ),
        "multiple_faces": incident_create(
            session=session,
            kind=Incident.Kind.MULTIPLE_FACES,
            source=Incident.Source.ANALYZER,
            started_at=at(610),
            ended_at=at(640),
            severity=Incident.Severity.HIGH,
            confidence=0.95,
            details={"max_faces": 2},
            evidence=[{"type": "frame", "id": frames[2].pk}, {"type": "frame", "id": frames[3].pk}],
        ),
        "background_voice": incident_create(
            session=session,
            kind=Incident.Kind.BACKGROUND_VOICE,
            source=Incident.Source.ANALYZER,
            started_at=at(700),
            ended_at=at(706),
            severity=Incident.Severity.MEDIUM,
            confidence=0.7,
            evidence=[{"type": "audio", "id": audio.pk}],
        ),
        "identity_mismatch": incident_create(
            session=session,
            kind=Incident.Kind.IDENTITY_MISMATCH,
            source=Incident.Source.ANALYZER,
            started_at=at(800),
            ended_at=at(830),
            severity=Incident.Severity.HIGH,
            confidence=0.8,
            details={"similarity": 0.18},
            evidence=[{"type": "frame", "id": frames[4].pk}],
        ),
    }
    problems = list(exam.problems.order_by("order"))
    submission_create(session=session, problem_id=problems[0].pk, code=COPIED)
    submission_create(session=other, problem_id=problems[0].pk, code=RENAMED)
    if submit:
        session_final_submit(session=session, actor=candidate)
        session_final_submit(session=other, actor=other_candidate)
        similarity_report_run(exam=exam)
    session.refresh_from_db()
    incidents.update(
        {
            incident.kind: incident
            for incident in Incident.objects.filter(session=session).exclude(
                kind__in=list(incidents)
            )
        }
    )
    return Scenario(session=session, other=other, frames=frames, audio=audio, incidents=incidents)
