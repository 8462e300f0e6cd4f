"""The proctor feed hears a session's state now (session.state) when it changes, not per batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from monitoring.services import events_ingest
from monitoring.services.monitors import LIVE_REPEAT_S
from proctoring_site.realtime import PROCTOR_FEED_GROUP

pytestmark = pytest.mark.django_db


def _channel() -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(PROCTOR_FEED_GROUP, channel)
    return channel


async def _receive_all(channel: str) -> list[dict]:
    layer = get_channel_layer()
    found = []
    while True:
        try:
            found.append(await asyncio.wait_for(layer.receive(channel), timeout=0.5))
        except TimeoutError:
            return found


def _states(channel: str) -> list[dict]:
    return [
        m["data"] for m in async_to_sync(_receive_all)(channel) if m["event"] == "session.state"
    ]


def _send(session, seq: int, kind: str, committed) -> None:  # noqa: ANN001
    with committed(execute=True):
        events_ingest(
            session=session,
            raw_events=[{"seq": seq, "type": kind, "ts": timezone.now().isoformat()}],
        )


def test_state_changes_are_pushed_and_repeats_are_not(
    session, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    committed = django_capture_on_commit_callbacks
    channel = _channel()
    _send(session, 1, "heartbeat", committed)
    [first] = _states(channel)
    assert first["session_id"] == str(session.pk)
    assert (first["connection"], first["tab_hidden"], first["camera_off"]) == (
        "connected",
        False,
        False,
    )

    channel = _channel()
    _send(session, 2, "heartbeat", committed)  # nothing changed: nothing sent
    _send(session, 3, "tab_hidden", committed)
    _send(session, 4, "camera_off", committed)
    states = _states(channel)
    assert [(s["tab_hidden"], s["camera_off"]) for s in states] == [(True, False), (True, True)]

    # An unchanged state is repeated after a while, so the page can tell a connected candidate
    # from a quiet one without asking.
    from monitoring.services import monitors

    key, at = monitors._live_published[session.pk]
    monitors._live_published[session.pk] = (key, at - timedelta(seconds=LIVE_REPEAT_S + 1))
    channel = _channel()
    _send(session, 5, "heartbeat", committed)
    assert len(_states(channel)) == 1
