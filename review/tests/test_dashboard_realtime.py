"""Warnings and terminations reach the candidate's page over the real websocket consumer.

Through the real ASGI application and ``monitoring.consumers`` with whichever channel layer the
settings choose (in-memory by default, Redis when REDIS_URL is set).
"""

from __future__ import annotations

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from conftest import access_token_for
from exams.models import ExamSession
from monitoring.incidents import incident_create
from monitoring.models import Incident
from proctoring_site.asgi import application
from review import services as review_services
from review.models import ProctorAction

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


async def _open(path: str, user) -> WebsocketCommunicator:  # noqa: ANN001
    token = await database_sync_to_async(access_token_for)(user)
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "auth", "token": token})
    ready = await communicator.receive_json_from(timeout=3)
    assert ready["event"] == "ready"
    return communicator


async def _next(communicator: WebsocketCommunicator, event: str) -> dict:
    """The next message named ``event`` (other notifications may come first)."""
    for _ in range(10):
        message = await communicator.receive_json_from(timeout=3)
        if message["event"] == event:
            return message["data"]
    raise AssertionError(f"no {event} message")


async def test_warning_reaches_the_candidates_page_at_once(session, candidate, proctor):
    page = await _open(f"/ws/exam/{session.pk}/", candidate)
    action = await database_sync_to_async(review_services.session_warn)(
        session=session, actor=proctor, message="Please keep your face in the camera."
    )
    data = await _next(page, "session.warning")
    assert data["session_id"] == str(session.pk)
    assert data["message"] == "Please keep your face in the camera."
    assert data["action_id"] == action.pk
    row = await database_sync_to_async(ProctorAction.objects.get)(pk=action.pk)
    assert (row.kind, row.actor_id) == ("warning", proctor.pk)
    await page.disconnect()


async def test_termination_reaches_the_page_and_closes_it(session, candidate, proctor):
    page = await _open(f"/ws/exam/{session.pk}/", candidate)
    await database_sync_to_async(review_services.session_terminate_by_proctor)(
        session=session, actor=proctor, reason="A second person answered for you."
    )
    status = await _next(page, "session.status")
    assert status["status"] == "terminated"
    data = await _next(page, "session.terminated")
    assert data == {"session_id": str(session.pk), "reason": "A second person answered for you."}
    closed = await page.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4410}
    refreshed = await database_sync_to_async(ExamSession.objects.get)(pk=session.pk)
    assert refreshed.status == "terminated"


async def test_another_candidates_page_hears_nothing(
    session, exam, other_candidate, start_session, proctor
):
    other_session, _ = await database_sync_to_async(start_session)(other_candidate, exam)
    other_page = await _open(f"/ws/exam/{other_session.pk}/", other_candidate)
    await database_sync_to_async(review_services.session_warn)(
        session=session, actor=proctor, message="Only for Alice."
    )
    assert await other_page.receive_nothing(timeout=0.5)
    await other_page.disconnect()


async def test_proctor_feed_hears_verdicts_and_warnings(session, proctor):
    feed = await _open("/ws/proctor/", proctor)

    def make_incident() -> Incident:
        return incident_create(
            session=session,
            kind=Incident.Kind.NO_FACE,
            source=Incident.Source.ANALYZER,
            started_at=session.started_at,
        )

    incident = await database_sync_to_async(make_incident)()
    created = await _next(feed, "incident.created")
    assert created["id"] == incident.pk
    await database_sync_to_async(review_services.incident_verdict_record)(
        incident=incident, reviewer=proctor, verdict="confirmed", notes=""
    )
    updated = await _next(feed, "incident.updated")
    assert (updated["id"], updated["review_status"]) == (incident.pk, "confirmed")
    await database_sync_to_async(review_services.session_warn)(
        session=session, actor=proctor, message="Look at the screen."
    )
    warning = await _next(feed, "session.warning")
    assert warning["message"] == "Look at the screen."
    await feed.disconnect()
