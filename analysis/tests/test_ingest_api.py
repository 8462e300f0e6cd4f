"""Frames, audio and enrollment through the API: accepted, stored, analyzed; bad input refused."""

from __future__ import annotations

import base64
import io
import os
import struct
import wave
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis.models import AnalysisResult, Enrollment, MediaItem

pytestmark = pytest.mark.django_db

FRAMES = "/api/monitoring/frames"
AUDIO = "/api/monitoring/audio"
ENROLL_FACE = "/api/monitoring/enroll/face"
ENROLL_VOICE = "/api/monitoring/enroll/voice"


def _read(media: Path, name: str) -> bytes:
    return (media / name).read_bytes()


def wav_bytes(samples: bytes, *, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()


def huge_png_header(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def client(candidate, client_for):
    return client_for(candidate)


def _upload_frame(client, session, data: bytes, name: str = "frame.jpg", **extra):
    return client.post(
        FRAMES,
        {"session_id": str(session.pk), "frame": SimpleUploadedFile(name, data), **extra},
        format="multipart",
    )


def _error_code(response) -> str:
    return response.json()["error"]["code"]


# Accepted uploads


def test_multipart_frame_is_accepted_stored_and_analyzed(
    client, session, shared_media, django_capture_on_commit_callbacks
) -> None:
    data = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload_frame(client, session, data)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["session_id"] == str(session.pk)
    media = MediaItem.objects.get(pk=body["id"])
    assert (media.kind, media.width, media.height) == ("frame", 640, 360)
    result = AnalysisResult.objects.get(media=media)
    assert result.status == "ok"
    assert result.face_count == 1
    assert result.labels == []
    assert result.head_yaw is not None
    assert result.analyzer_versions["faces"]
    assert result.processing_ms > 0
    # Not evidence for anything: the file is gone once analyzed.
    media.refresh_from_db()
    assert media.file_deleted_at is not None


def test_json_base64_frame_is_accepted(
    client, session, shared_media, django_capture_on_commit_callbacks
) -> None:
    data = _read(shared_media, "B_multiple_faces/b04_ultralytics_zidane_2people.jpg")
    payload = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            FRAMES, {"session_id": str(session.pk), "image": payload}, format="json"
        )
    assert response.status_code == 202, response.content
    result = AnalysisResult.objects.get(media_id=response.json()["id"])
    assert "multiple_faces" in result.labels
    assert result.face_count >= 2
    assert result.risk_score > 0
    # One multi-face frame may still become evidence (2 of 3): its file is kept for now.
    assert MediaItem.objects.get(pk=response.json()["id"]).has_file


def test_audio_chunk_multipart_and_base64(
    client, session, shared_media, django_capture_on_commit_callbacks
) -> None:
    data = _read(shared_media, "F_two_speakers/f02_turns_librivoxM_arcticF.wav")
    with django_capture_on_commit_callbacks(execute=True):
        multipart = client.post(
            AUDIO,
            {"session_id": str(session.pk), "audio": SimpleUploadedFile("c.wav", data)},
            format="multipart",
        )
        quiet = _read(shared_media, "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav")
        as_json = client.post(
            AUDIO,
            {"session_id": str(session.pk), "audio": base64.b64encode(quiet).decode()},
            format="json",
        )
    assert multipart.status_code == 202, multipart.content
    assert as_json.status_code == 202, as_json.content
    voices = AnalysisResult.objects.get(media_id=multipart.json()["id"])
    assert voices.speaker_count == 2
    assert "multiple_voices" in voices.labels
    assert voices.loudness_dbfs < 0
    silence = AnalysisResult.objects.get(media_id=as_json.json()["id"])
    assert silence.labels == []
    assert silence.speaker_count == 0
    assert MediaItem.objects.get(pk=multipart.json()["id"]).duration_s == pytest.approx(17.2, 0.1)


def _raw(client, path: str, session, data: bytes, content_type: str, **query):
    params = "&".join(f"{k}={v}" for k, v in {"session_id": session.pk, **query}.items())
    return client.generic("POST", f"{path}?{params}", data, content_type=content_type)


def test_raw_body_frame_and_chunk_take_the_thin_path(
    client, session, shared_media, django_capture_on_commit_callbacks
) -> None:
    frame = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        response = _raw(client, FRAMES, session, frame, "image/jpeg", captured_at="")
    assert response.status_code == 202, response.content
    media = MediaItem.objects.get(pk=response.json()["id"])
    assert (media.kind, media.width, media.height, media.size_bytes) == (
        "frame",
        640,
        360,
        len(frame),
    )
    assert AnalysisResult.objects.get(media=media).face_count == 1
    chunk = wav_bytes(b"\x00\x00" * 16000)
    response = _raw(client, AUDIO, session, chunk, "audio/wav")
    assert response.status_code == 202, response.content
    assert MediaItem.objects.get(pk=response.json()["id"]).duration_s == 1.0


def test_raw_body_uploads_get_the_same_checks(client, session, shared_media, settings) -> None:
    frame = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    assert _error_code(_raw(client, FRAMES, session, b"GIF89a....", "image/jpeg")) == (
        "not_an_image"
    )
    truncated = _raw(client, FRAMES, session, frame[: len(frame) // 2], "image/jpeg")
    assert _error_code(truncated) == "truncated_media"
    settings.ANALYSIS_FRAME_MAX_BYTES = 1000
    too_large = _raw(client, FRAMES, session, frame, "image/jpeg")
    assert too_large.status_code == 413
    assert _error_code(too_large) == "media_too_large"
    missing = client.generic("POST", FRAMES, frame, content_type="image/jpeg")
    assert missing.status_code == 400
    assert "session_id" in missing.json()["error"]["details"]["fields"]
    stereo = wav_bytes(b"\x00\x00" * 32000, channels=2)
    assert _error_code(_raw(client, AUDIO, session, stereo, "audio/wav")) == "audio_not_mono"
    assert not MediaItem.objects.filter(session=session).exists()


def test_a_resent_client_id_is_a_duplicate_not_a_second_item(
    client, session, shared_media, django_capture_on_commit_callbacks
) -> None:
    frame = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    with django_capture_on_commit_callbacks() as first_callbacks:  # not run: queued only
        first = _raw(client, FRAMES, session, frame, "image/jpeg", client_id="f-1")
    assert first.status_code == 202, first.content
    assert (first.json()["client_id"], first.json()["duplicate"]) == ("f-1", False)
    assert len(first_callbacks) == 1  # one analysis queued
    # The same id again, raw or multipart (the page's fallback after a lost ack): answered
    # with the stored item, nothing stored or queued a second time.
    with django_capture_on_commit_callbacks() as again_callbacks:
        again = _raw(client, FRAMES, session, frame, "image/jpeg", client_id="f-1")
        multipart = _upload_frame(client, session, frame, client_id="f-1")
    for response in (again, multipart):
        assert response.status_code == 200, response.content
        assert response.json()["id"] == first.json()["id"]
        assert response.json()["duplicate"] is True
    assert again_callbacks == []
    assert MediaItem.objects.filter(session=session).count() == 1
    # Another id is another item; an id is not reused across kinds; a bad id is refused.
    assert _raw(client, FRAMES, session, frame, "image/jpeg", client_id="f-2").status_code == 202
    chunk = wav_bytes(b"\x00\x00" * 16000)
    conflict = _raw(client, AUDIO, session, chunk, "audio/wav", client_id="f-1")
    assert (conflict.status_code, _error_code(conflict)) == (400, "client_id_conflict")
    bad = _raw(client, AUDIO, session, chunk, "audio/wav", client_id="no spaces")
    assert bad.status_code == 400
    assert "client_id" in bad.json()["error"]["details"]["fields"]
    assert MediaItem.objects.filter(session=session).count() == 2


def test_a_duplicate_costs_no_rate_limit_slot(client, session, shared_media, settings) -> None:
    settings.ANALYSIS_RATE_MAX_UPLOADS = 1
    frame = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    assert _raw(client, FRAMES, session, frame, "image/jpeg", client_id="r-1").status_code == 202
    assert _raw(client, FRAMES, session, frame, "image/jpeg", client_id="r-1").status_code == 200
    limited = _raw(client, FRAMES, session, frame, "image/jpeg", client_id="r-2")
    assert (limited.status_code, _error_code(limited)) == (429, "rate_limited")
    assert limited["Retry-After"]


def test_captured_at_is_kept_and_future_times_refused(client, session, shared_media) -> None:
    data = _read(shared_media, "C_no_face/c01_opencv_desk_objects.jpg")
    at = session.started_at.isoformat()
    assert _upload_frame(client, session, data, captured_at=at).status_code == 202
    assert MediaItem.objects.get().captured_at == session.started_at
    response = _upload_frame(client, session, data, captured_at="2999-01-01T00:00:00Z")
    assert response.status_code == 400
    assert _error_code(response) == "invalid_timestamp"


# Bad input: a clear 4xx at upload and nothing stored


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "empty_media"),
        (b"this is not an image at all" * 10, "not_an_image"),
        (b"GIF89a" + b"\x00" * 100, "not_an_image"),
        (huge_png_header(), "image_too_many_pixels"),
    ],
)
def test_bad_frames_are_refused_at_upload(client, session, payload, code) -> None:
    response = _upload_frame(client, session, payload)
    assert response.status_code == 400, response.content
    assert _error_code(response) == code
    assert not MediaItem.objects.exists()


def test_truncated_jpeg_is_refused(client, session, shared_media) -> None:
    data = _read(shared_media, "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg")
    response = _upload_frame(client, session, data[: len(data) // 2])
    assert response.status_code == 400
    assert _error_code(response) == "truncated_media"


def test_frame_over_the_size_limit_is_413(client, session, shared_media, settings) -> None:
    settings.ANALYSIS_FRAME_MAX_BYTES = 10_000
    data = _read(shared_media, "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg")
    response = _upload_frame(client, session, data)
    assert response.status_code == 413
    assert _error_code(response) == "media_too_large"
    as_json = client.post(
        FRAMES,
        {"session_id": str(session.pk), "image": base64.b64encode(data).decode()},
        format="json",
    )
    assert as_json.status_code == 413


def test_frame_over_the_pixel_limit_is_refused(client, session, shared_media, settings) -> None:
    settings.ANALYSIS_FRAME_MAX_PIXELS = 320 * 240
    data = _read(shared_media, "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg")
    response = _upload_frame(client, session, data)
    assert response.status_code == 400
    assert _error_code(response) == "image_too_many_pixels"


def test_missing_file_and_bad_base64_are_400(client, session) -> None:
    response = client.post(FRAMES, {"session_id": str(session.pk)}, format="multipart")
    assert response.status_code == 400
    assert _error_code(response) == "missing_media"
    response = client.post(
        FRAMES, {"session_id": str(session.pk), "image": "@@not base64@@"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"]["image"]
    response = client.post(FRAMES, {}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: wav_bytes(b"\x00\x00" * 8000, rate=44100), "audio_wrong_sample_rate"),
        (lambda: wav_bytes(b"\x00\x00" * 16000, channels=2), "audio_not_mono"),
        (lambda: wav_bytes(b"\x00" * 16000, width=1), "audio_not_pcm16"),
        (lambda: b"RIFF\x00\x00\x00\x00JUNKJUNK", "not_wav"),
        (lambda: b"ID3 an mp3 file", "not_wav"),
        (lambda: b"", "empty_media"),
        (lambda: wav_bytes(b"\x00\x00" * 16000)[:30], "truncated_media"),
        (lambda: wav_bytes(b"\x00\x00" * 16000 * 31), "audio_too_long"),
    ],
)
def test_bad_audio_is_refused_at_upload(client, session, make, code) -> None:
    response = client.post(
        AUDIO,
        {"session_id": str(session.pk), "audio": SimpleUploadedFile("a.wav", make())},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert _error_code(response) == code
    assert not MediaItem.objects.exists()


def test_real_8khz_recording_is_refused(client, session, shared_media) -> None:
    data = _read(shared_media, "E_speech_single_speaker/e07_codec2_vk5qi_radio.wav")
    response = client.post(
        AUDIO,
        {"session_id": str(session.pk), "audio": base64.b64encode(data).decode()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "wrong_sample_rate"


# Who may upload


def test_only_the_sessions_candidate_may_upload(
    session, other_candidate, proctor, client_for, api_client, shared_media
) -> None:
    data = _read(shared_media, "C_no_face/c01_opencv_desk_objects.jpg")
    assert _upload_frame(client_for(other_candidate), session, data).status_code == 404
    assert _upload_frame(client_for(proctor), session, data).status_code == 404
    assert _upload_frame(api_client, session, data).status_code == 401
    assert not MediaItem.objects.exists()


def test_ended_session_refuses_media(client, session, candidate, shared_media) -> None:
    from exams.services import session_end

    session_end(session=session, actor=candidate)
    data = _read(shared_media, "C_no_face/c01_opencv_desk_objects.jpg")
    response = _upload_frame(client, session, data)
    assert response.status_code == 409
    assert _error_code(response) == "session_not_active"


# Enrollment


def test_face_enrollment_stores_a_template(client, session, shared_media) -> None:
    frames = [
        _read(shared_media, "A_single_frontal_face/a06_face_recognition_obama.jpg"),
        _read(shared_media, "D_head_not_frontal/d08_face_recognition_partial_face.jpg"),
    ]
    response = client.post(
        ENROLL_FACE,
        {"session_id": str(session.pk), "images": [base64.b64encode(f).decode() for f in frames]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "face"
    assert body["samples_used"] == 2
    assert "template" not in body
    enrollment = Enrollment.objects.get(session=session, kind="face")
    assert len(enrollment.template) > 100
    # The accepted frames are kept as evidence, for the reviewer's side-by-side comparison,
    # and never queued for analysis.
    kept = list(MediaItem.objects.filter(session=session))
    assert [(m.kind, m.is_evidence, m.has_file) for m in kept] == [("enroll", True, True)] * 2
    assert not AnalysisResult.objects.filter(media__in=kept).exists()
    # Enrolling again replaces them.
    again = client.post(
        ENROLL_FACE,
        {"session_id": str(session.pk), "images": [base64.b64encode(frames[0]).decode()]},
        format="json",
    )
    assert again.status_code == 201
    live = MediaItem.objects.filter(session=session, file_deleted_at__isnull=True)
    assert live.count() == 1


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("C_no_face/c05_skimage_coffee.png", "no_face"),
        ("B_multiple_faces/b04_ultralytics_zidane_2people.jpg", "multiple_faces"),
    ],
)
def test_face_enrollment_refuses_no_face_and_several_faces(
    client, session, shared_media, name, code
) -> None:
    response = client.post(
        ENROLL_FACE,
        {
            "session_id": str(session.pk),
            "frame": [
                SimpleUploadedFile(
                    "a.jpg",
                    _read(shared_media, "A_single_frontal_face/a06_face_recognition_obama.jpg"),
                ),
                SimpleUploadedFile(Path(name).name, _read(shared_media, name)),
            ],
        },
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert _error_code(response) == code
    assert response.json()["error"]["details"]["image_index"] == 1
    assert not Enrollment.objects.exists()


def test_face_enrollment_needs_frames(client, session) -> None:
    response = client.post(
        ENROLL_FACE, {"session_id": str(session.pk), "images": []}, format="json"
    )
    assert response.status_code == 400
    assert _error_code(response) == "no_images"
    response = client.post(
        ENROLL_FACE, {"session_id": str(session.pk), "images": ["bm90IGFuIGltYWdl"]}, format="json"
    )
    assert response.status_code == 400
    assert _error_code(response) == "not_an_image"


def test_voice_enrollment(client, session, shared_media) -> None:
    speech = _read(shared_media, "E_speech_single_speaker/e02_librivox_austen_0870.wav")
    response = client.post(
        ENROLL_VOICE,
        {"session_id": str(session.pk), "audio": SimpleUploadedFile("v.wav", speech)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert len(Enrollment.objects.get(session=session, kind="voice").template) == 256

    quiet = _read(shared_media, "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav")
    response = client.post(
        ENROLL_VOICE,
        {"session_id": str(session.pk), "audio": base64.b64encode(quiet).decode()},
        format="json",
    )
    assert response.status_code == 400
    assert _error_code(response) == "no_speech"


def test_uploads_are_rate_limited_per_session(client, session, shared_media, settings) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.ANALYSIS_RATE_MAX_UPLOADS = 2
    data = _read(shared_media, "C_no_face/c01_opencv_desk_objects.jpg")
    assert _upload_frame(client, session, data).status_code == 202
    assert _upload_frame(client, session, data).status_code == 202
    response = _upload_frame(client, session, data)
    assert response.status_code == 429
    assert _error_code(response) == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert MediaItem.objects.count() == 2
    cache.clear()


def test_enrollment_status_says_which_templates_the_session_has(
    client, session, other_candidate, client_for
) -> None:
    url = f"/api/monitoring/enroll/status?session_id={session.pk}"
    assert client.get(url).json() == {
        "face": False,
        "voice": False,
        "complete": False,
        "reenroll_on_rejoin": False,
    }
    Enrollment.objects.create(session=session, kind="face", template=[1.0], model_version="t")
    assert client.get(url).json()["complete"] is False
    Enrollment.objects.create(session=session, kind="voice", template=[1.0], model_version="t")
    body = client.get(url).json()
    assert body["face"] and body["voice"] and body["complete"]
    assert client_for(other_candidate).get(url).status_code == 404
    assert client.get("/api/monitoring/enroll/status?session_id=nope").status_code == 400


def test_enrollment_status_follows_the_policy(client, session) -> None:
    session.accommodations = {"voice_checks": False, "reenroll_on_rejoin": True}
    session.save(update_fields=["accommodations"])
    Enrollment.objects.create(session=session, kind="face", template=[1.0], model_version="t")
    body = client.get(f"/api/monitoring/enroll/status?session_id={session.pk}").json()
    assert body["complete"] is True  # no voice print needed for this candidate
    assert body["reenroll_on_rejoin"] is True  # the page asks for the check again


def test_uploads_share_one_redis_broker_per_process(monkeypatch) -> None:
    """Queuing an analysis must not open a Redis connection per upload (django-q's
    ``get_broker()`` builds a new client each call); the queued task still arrives."""
    import uuid

    import redis
    from django_q.conf import Conf

    from analysis.services import queueing

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test-broker-{uuid.uuid4().hex}")
    monkeypatch.setattr(queueing, "_redis_brokers", {})
    broker = queueing.analysis_broker()
    assert broker is queueing.analysis_broker()
    try:
        queueing._queue(queueing.ANALYZE_TASK, 12345)
        queueing._queue(queueing.ANALYZE_TASK, 12346)
        assert broker.queue_size() == 2
        assert broker.connection.connection_pool._created_connections == 1
    finally:
        broker.delete_queue()
