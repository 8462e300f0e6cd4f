"""Websocket tests through the real ASGI application (origin check, routing, consumers).

They use whichever channel layer the settings choose: in-memory by default, Redis when
REDIS_URL is set (CI runs both).
"""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from conftest import access_token_for
from exams.services import session_terminate
from monitoring.ingest_pool import ingest_pool_close_connections
from monitoring.models import Incident, MonitoringLog
from proctoring_site.asgi import application

from .conftest import event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver")]


@pytest_asyncio.fixture(autouse=True)
async def fresh_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()
    yield
    if hasattr(layer, "flush"):
        await layer.flush()
    # The consumers' database threads outlive the test; let the test database be dropped.
    await database_sync_to_async(connections.close_all)()
    await sync_to_async(ingest_pool_close_connections, thread_sensitive=False)()


def exam_socket(session, token: str | None = None) -> WebsocketCommunicator:
    path = f"/ws/exam/{session.pk}/"
    if token:
        path += f"?token={token}"
    return WebsocketCommunicator(application, path, headers=ORIGIN)


def proctor_socket(token: str, exam_id: int | None = None) -> WebsocketCommunicator:
    path = f"/ws/proctor/?token={token}"
    if exam_id is not None:
        path += f"&exam={exam_id}"
    return WebsocketCommunicator(application, path, headers=ORIGIN)


async def test_invalid_token_is_refused_at_the_handshake(session) -> None:
    communicator = exam_socket(session, token="not-a-jwt")
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_messages_before_authentication_close_the_socket(session) -> None:
    communicator = exam_socket(session)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "events", "events": [event(1)]})
    reply = await communicator.receive_json_from(timeout=2)
    assert reply["data"]["code"] == "not_authenticated"
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4401}
    assert await database_sync_to_async(MonitoringLog.objects.count)() == 0


async def test_a_silent_unauthenticated_socket_is_closed(session, settings) -> None:
    settings.MONITORING_WS_AUTH_TIMEOUT_S = 0.2
    communicator = exam_socket(session)
    assert (await communicator.connect())[0]
    reply = await communicator.receive_json_from(timeout=2)
    assert reply["data"]["code"] == "auth_timeout"
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_bad_token_in_first_message_closes(session) -> None:
    communicator = exam_socket(session)
    await communicator.connect()
    await communicator.send_json_to({"type": "auth", "token": "garbage"})
    reply = await communicator.receive_json_from(timeout=2)
    assert reply["event"] == "error"
    closed = await communicator.receive_output(timeout=2)
    assert closed["code"] == 4401


async def test_candidate_cannot_join_another_session(session, other_candidate) -> None:
    token = await database_sync_to_async(access_token_for)(other_candidate)
    communicator = exam_socket(session, token=token)
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4404


async def test_candidate_cannot_open_the_proctor_feed(candidate) -> None:
    token = await database_sync_to_async(access_token_for)(candidate)
    connected, code = await proctor_socket(token).connect()
    assert not connected
    assert code == 4403


async def test_events_over_the_socket_are_acked_and_idempotent(candidate, session) -> None:
    token = await database_sync_to_async(access_token_for)(candidate)
    communicator = exam_socket(session)
    await communicator.connect()
    await communicator.send_json_to({"type": "auth", "token": token})
    ready = await communicator.receive_json_from(timeout=2)
    assert ready == {
        "event": "ready",
        "data": {"session_id": str(session.pk), "highest_contiguous_seq": 0, "max_seq": 0},
    }
    batch = [event(1), event(2), {"seq": 3, "type": "bogus", "ts": event(3)["ts"]}]
    await communicator.send_json_to({"type": "events", "id": "m1", "events": batch})
    ack = await communicator.receive_json_from(timeout=2)
    assert ack["event"] == "ack"
    assert ack["data"]["id"] == "m1"
    assert ack["data"]["accepted"] == [1, 2]
    assert ack["data"]["rejected"][0]["code"] == "unknown_type"
    await communicator.send_json_to({"type": "events", "id": "m2", "events": batch[:2]})
    again = await communicator.receive_json_from(timeout=2)
    assert again["data"]["duplicates"] == [1, 2]
    await communicator.send_to(text_data="{oops")
    malformed = await communicator.receive_json_from(timeout=2)
    assert malformed["data"]["code"] == "malformed_request"
    await communicator.disconnect()
    count = await database_sync_to_async(MonitoringLog.objects.filter(session=session).count)()
    assert count == 2


async def test_proctor_receives_a_new_incident_within_a_second(
    candidate, session, proctor, exam
) -> None:
    proctor_token = await database_sync_to_async(access_token_for)(proctor)
    feed = proctor_socket(proctor_token)
    exam_feed = proctor_socket(proctor_token, exam_id=exam.pk)
    other_exam_feed = proctor_socket(proctor_token, exam_id=exam.pk + 1000)
    snapshots = []
    for socket in (feed, exam_feed, other_exam_feed):
        connected, _ = await socket.connect()
        assert connected
        ready = await socket.receive_json_from(timeout=1)
        assert ready["event"] == "ready"
        snapshots.append(ready["data"]["sessions"])
    # The opening snapshot: the running session, in the all-exams and its exam's feed only.
    assert [s["session_id"] for s in snapshots[0]] == [str(session.pk)]
    assert [s["session_id"] for s in snapshots[1]] == [str(session.pk)]
    assert snapshots[2] == []
    assert snapshots[0][0]["open_incidents"] == 0

    candidate_token = await database_sync_to_async(access_token_for)(candidate)
    page = exam_socket(session, token=candidate_token)
    assert (await page.connect())[0]
    await page.receive_json_from(timeout=1)  # ready
    await page.send_json_to({"type": "events", "events": [event(1, "paste", size=5000)]})
    await page.receive_json_from(timeout=2)  # ack

    for socket in (feed, exam_feed):
        # Other feed events (e.g. risk.updated from the new incident) may come first; the
        # incident itself must arrive within a second.
        deadline = asyncio.get_running_loop().time() + 1.0
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            message = await socket.receive_json_from(timeout=max(remaining, 0.01))
            if message["event"] == "incident.created":
                break
        assert message["data"]["kind"] == "large_paste"
        assert message["data"]["session_id"] == str(session.pk)
    assert await other_exam_feed.receive_nothing(timeout=0.3)
    for socket in (feed, exam_feed, other_exam_feed, page):
        await socket.disconnect()
    assert await database_sync_to_async(Incident.objects.count)() == 1


async def test_candidate_is_told_of_termination_at_once(candidate, session, proctor) -> None:
    token = await database_sync_to_async(access_token_for)(candidate)
    page = exam_socket(session, token=token)
    assert (await page.connect())[0]
    await page.receive_json_from(timeout=1)  # ready
    await database_sync_to_async(session_terminate)(
        session=session, actor=proctor, reason="Second person in the room."
    )
    seen = []
    while True:
        output = await page.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            assert output["code"] == 4410
            break
        seen.append(json.loads(output["text"]))
    assert seen[-1] == {
        "event": "session.terminated",
        "data": {"session_id": str(session.pk), "reason": "Second person in the room."},
    }
    # Termination revoked the candidate's tokens; with a fresh one, the ended session still
    # refuses new connections.
    connected, code = await exam_socket(session, token=token).connect()
    assert (connected, code) == (False, 4401)
    fresh = await database_sync_to_async(access_token_for)(candidate)
    connected, code = await exam_socket(session, token=fresh).connect()
    assert not connected
    assert code == 4409


async def test_an_idle_socket_stays_open(candidate, session) -> None:
    # With the Redis layer, a consumer blocks in BZPOPMIN for 5 s at a time; a read timeout
    # as short as that (redis-py 8's default) used to kill quiet sockets after a few seconds.
    token = await database_sync_to_async(access_token_for)(candidate)
    page = exam_socket(session, token=token)
    assert (await page.connect())[0]
    await page.receive_json_from(timeout=1)  # ready
    await asyncio.sleep(11)
    await page.send_json_to({"type": "ping", "id": 7})
    assert await page.receive_json_from(timeout=2) == {"event": "pong", "data": {"id": 7}}
    await page.disconnect()
