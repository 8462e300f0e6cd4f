"""Push notifications to websocket groups after the database change is committed.

The database is the durable record; these messages only tell connected pages and proctors to
look. Consumers (monitoring/consumers.py) receive ``{"type": "feed.event", "event", "data"}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

PROCTOR_FEED_GROUP = "proctor-feed"


def proctor_exam_group(exam_id: int) -> str:
    return f"{PROCTOR_FEED_GROUP}.exam.{exam_id}"


def session_group(session_id: UUID | str) -> str:
    return f"session.{session_id}"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _send(groups: list[str], event: str, data: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "feed.event", "event": event, "data": _jsonable(data)}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a notification must never break the write that caused it
            logger.exception("realtime: could not send %s to %s", event, group)


def proctor_feed_publish(*, event: str, data: dict[str, Any], exam_id: int | None) -> None:
    """Tell proctors watching all sessions (and this exam's) about ``event`` after commit."""
    groups = [PROCTOR_FEED_GROUP]
    if exam_id is not None:
        groups.append(proctor_exam_group(exam_id))
    transaction.on_commit(lambda: _send(groups, event, data))


def session_publish(*, session_id: UUID | str, event: str, data: dict[str, Any]) -> None:
    """Tell the candidate's exam page (its websocket) about ``event`` after commit."""
    transaction.on_commit(lambda: _send([session_group(session_id)], event, data))
