"""The live thumbnail: the worker keeps the newest analysed frame, small, and tells the feed."""

from __future__ import annotations

import asyncio
import io

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from PIL import Image

from analysis.live import live_thumbnail_exists, live_thumbnail_jpeg, live_thumbnail_read
from analysis.services import media_analyze
from exams.services import session_end
from proctoring_site.realtime import PROCTOR_FEED_GROUP

from .test_tasks import _stored

pytestmark = pytest.mark.django_db


async def _receive_all(channel: str) -> list[dict]:
    layer = get_channel_layer()
    found = []
    while True:
        try:
            found.append(await asyncio.wait_for(layer.receive(channel), timeout=0.5))
        except TimeoutError:
            return found


def test_an_analysed_frame_becomes_the_live_thumbnail_and_is_announced(
    session, shared_media, django_capture_on_commit_callbacks
) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(PROCTOR_FEED_GROUP, channel)
    face = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        result = media_analyze(media_id=_stored(session, face).pk)

    [event] = [m for m in async_to_sync(_receive_all)(channel) if m["event"] == "frame.analyzed"]
    assert event["data"]["session_id"] == str(session.pk)
    assert event["data"]["result_id"] == result.pk
    assert event["data"]["face_count"] == 1
    thumbnail = Image.open(io.BytesIO(live_thumbnail_read(session_id=session.pk)))
    original = Image.open(io.BytesIO(face))
    assert thumbnail.width == 240
    assert thumbnail.height == round(original.height * 240 / original.width)

    with django_capture_on_commit_callbacks(execute=True):
        session_end(session=session, actor=session.candidate)
    assert not live_thumbnail_exists(session_id=session.pk)  # gone with the session


def test_bytes_that_are_no_image_make_no_thumbnail() -> None:
    assert live_thumbnail_jpeg(b"not a picture") is None
