"""Frames and audio chunks over ws/exam/ as binary messages, through the real ASGI application:
stored once per client id (a resend over the socket or over HTTP is a duplicate), with the HTTP
path's size limits, media checks, rate limit and error codes."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.test import APIClient

from analysis.models import AnalysisResult, MediaItem
from analysis.socket_ingest import media_from_socket
from conftest import access_token_for
from monitoring.ingest_pool import ingest_pool_close_connections
from monitoring.media_socket import media_handler
from proctoring_site.asgi import application

from .test_ingest_api import wav_bytes

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver")]
FRAME = "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg"


@pytest_asyncio.fixture(autouse=True)
async def fresh_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()
    yield
    await database_sync_to_async(connections.close_all)()
    await sync_to_async(ingest_pool_close_connections, thread_sensitive=False)()


def media_message(kind: str, client_id: object, data: bytes, **header: object) -> bytes:
    encoded = json.dumps({"type": kind, "id": client_id, **header}).encode()
    return len(encoded).to_bytes(2, "big") + encoded + data


async def open_socket(candidate, session) -> WebsocketCommunicator:  # noqa: ANN001
    token = await database_sync_to_async(access_token_for)(candidate)
    communicator = WebsocketCommunicator(application, f"/ws/exam/{session.pk}/", headers=ORIGIN)
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "auth", "token": token})
    assert (await communicator.receive_json_from(timeout=5))["event"] == "ready"
    return communicator


async def send_media(communicator, kind: str, client_id: object, data: bytes, **header) -> dict:  # noqa: ANN001
    await communicator.send_to(bytes_data=media_message(kind, client_id, data, **header))
    return await communicator.receive_json_from(timeout=60)


async def test_frames_and_chunks_are_acked_after_storing_and_stored_once(
    candidate, session, shared_media
) -> None:
    frame = (shared_media / FRAME).read_bytes()
    captured = session.started_at.isoformat()
    communicator = await open_socket(candidate, session)
    ack = await send_media(communicator, "frame", "f-1", frame, captured_at=captured)
    assert ack["event"] == "media.ack", ack
    assert ack["data"]["id"] == "f-1"
    assert ack["data"]["duplicate"] is False
    assert ack["data"]["status"] == "queued"
    assert ack["data"]["size_bytes"] == len(frame)
    media = await database_sync_to_async(MediaItem.objects.get)(pk=ack["data"]["media_id"])
    assert (media.kind, media.width, media.height, media.client_id) == ("frame", 640, 360, "f-1")
    assert media.captured_at == session.started_at
    # The analysis was queued after the commit (tasks run inline in tests).
    result = await database_sync_to_async(AnalysisResult.objects.get)(media=media)
    assert result.face_count == 1

    # A resend (the ack was lost): the same item, marked duplicate, nothing stored again.
    again = await send_media(communicator, "frame", "f-1", frame)
    assert again["event"] == "media.ack"
    assert (again["data"]["media_id"], again["data"]["duplicate"]) == (media.pk, True)
    chunk = wav_bytes(b"\x00\x00" * 16000)
    audio = await send_media(communicator, "audio", "a-1", chunk)
    assert audio["event"] == "media.ack"
    assert audio["data"]["kind"] == "audio"
    await communicator.disconnect()

    # The page's HTTP fallback with the same id after the socket stored it: a duplicate too.
    def http_resend() -> tuple[int, dict]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(candidate)}")
        response = client.generic(
            "POST",
            f"/api/monitoring/frames?session_id={session.pk}&client_id=f-1",
            frame,
            content_type="image/jpeg",
        )
        return response.status_code, response.json()

    status, body = await database_sync_to_async(http_resend)()
    assert (status, body["id"], body["duplicate"]) == (200, media.pk, True)
    kinds = await database_sync_to_async(
        lambda: sorted(MediaItem.objects.filter(session=session).values_list("kind", flat=True))
    )()
    assert kinds == ["audio", "frame"]


async def test_bad_media_messages_get_the_http_paths_errors(
    candidate, session, shared_media, settings
) -> None:
    frame = (shared_media / FRAME).read_bytes()
    communicator = await open_socket(candidate, session)
    cases = [
        (b"\x00", "malformed_request", None),
        (b"\x00\x05{nope", "malformed_request", None),
        (media_message("video", "v-1", frame), "malformed_request", "v-1"),
        (media_message("frame", 7, frame), "malformed_request", 7),
        (media_message("frame", "f-1", b"GIF89a...."), "not_an_image", "f-1"),
        (media_message("frame", "f-2", frame[: len(frame) // 2]), "truncated_media", "f-2"),
        (media_message("frame", "has space", frame), "invalid", "has space"),
        (media_message("frame", "f-3", frame, captured_at="yesterday"), "invalid", "f-3"),
        (
            media_message("frame", "f-4", frame, captured_at="2999-01-01T00:00:00Z"),
            "invalid_timestamp",
            "f-4",
        ),
        (
            media_message("audio", "a-1", wav_bytes(b"\0\0" * 32000, channels=2)),
            "audio_not_mono",
            "a-1",
        ),
    ]
    for message, code, client_id in cases:
        await communicator.send_to(bytes_data=message)
        reply = await communicator.receive_json_from(timeout=10)
        assert reply["event"] == "error", (code, reply)
        assert (reply["data"]["code"], reply["data"]["id"]) == (code, client_id), reply
        assert set(reply["data"]) == {"code", "message", "details", "id"}
    settings.ANALYSIS_FRAME_MAX_BYTES = 1000
    too_large = await send_media(communicator, "frame", "f-5", frame)
    assert too_large["data"]["code"] == "media_too_large"
    assert too_large["data"]["details"] == {"limit": 1000, "size": len(frame)}
    await communicator.disconnect()
    assert not await database_sync_to_async(MediaItem.objects.filter(session=session).exists)()


async def test_the_rate_limit_applies_and_says_when_to_retry(
    candidate, session, shared_media, settings
) -> None:
    settings.ANALYSIS_RATE_MAX_UPLOADS = 1
    frame = (shared_media / FRAME).read_bytes()
    communicator = await open_socket(candidate, session)
    assert (await send_media(communicator, "frame", "f-1", frame))["event"] == "media.ack"
    assert (await send_media(communicator, "frame", "f-1", frame))["data"]["duplicate"] is True
    limited = await send_media(communicator, "frame", "f-2", frame)
    assert (limited["event"], limited["data"]["code"]) == ("error", "rate_limited")
    assert limited["data"]["details"]["retry_after"] >= 1
    await communicator.disconnect()


async def test_media_for_an_ended_session_is_refused_and_the_socket_closed(
    candidate, session, shared_media
) -> None:
    frame = (shared_media / FRAME).read_bytes()
    communicator = await open_socket(candidate, session)
    # Ended without the socket hearing of it (no channel layer message reaches it here).
    await database_sync_to_async(
        lambda: type(session).objects.filter(pk=session.pk).update(status="submitted")
    )()
    reply = await send_media(communicator, "frame", "f-1", frame)
    assert (reply["event"], reply["data"]["code"]) == ("error", "session_not_active")
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4409}
    assert not await database_sync_to_async(MediaItem.objects.filter(session=session).exists)()


async def test_binary_before_authentication_closes_the_socket(session) -> None:
    communicator = WebsocketCommunicator(application, f"/ws/exam/{session.pk}/", headers=ORIGIN)
    assert (await communicator.connect())[0]
    await communicator.send_to(bytes_data=media_message("frame", "f-1", b"\xff\xd8"))
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["data"]["code"] == "not_authenticated"
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_the_proctor_feed_takes_no_media(proctor) -> None:
    token = await database_sync_to_async(access_token_for)(proctor)
    communicator = WebsocketCommunicator(application, f"/ws/proctor/?token={token}", headers=ORIGIN)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["event"] == "ready"
    await communicator.send_to(bytes_data=media_message("frame", "f-1", b"\xff\xd8"))
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["data"]["code"] == "malformed_request"
    await communicator.disconnect()


async def test_the_analysis_app_registers_monitorings_media_handler() -> None:
    assert media_handler() is media_from_socket
