"""Validation of one event from the exam page, independent of the database.

An event is ``{"seq": int >= 1, "type": EventType, "ts": ISO 8601 string or epoch
milliseconds, "payload": object}``. A bad event becomes a ``Rejection`` with a stable code, so
a batch can store its good events and tell the page exactly which ones are wrong and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from .chain import canonical_json
from .models import EventType

# Sequence numbers come from a JavaScript counter: keep them within its safe integer range.
MAX_SEQ = 2**53 - 1
EVENT_TYPES = frozenset(EventType.values)
# Event payloads are small, flat facts; deep nesting is refused before anything recurses.
MAX_PAYLOAD_DEPTH = 8


def _nesting_within(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


@dataclass(frozen=True)
class ParsedEvent:
    seq: int
    type: str
    client_ts: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    index: int
    seq: int | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "seq": self.seq, "code": self.code, "message": self.message}


def _parse_ts(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000.0, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            return None
    return None


def event_parse(raw: Any, *, index: int, now: datetime) -> ParsedEvent | Rejection:
    """Check one raw event; a ParsedEvent ready to store, or the first reason it is refused."""
    if not isinstance(raw, dict):
        return Rejection(index, None, "invalid_event", "An event must be a JSON object.")
    seq = raw.get("seq")
    if seq is None:
        return Rejection(index, None, "missing_seq", "The event has no seq.")
    if isinstance(seq, bool) or not isinstance(seq, int):
        return Rejection(index, None, "invalid_seq", "seq must be an integer.")
    if seq < 1 or seq > MAX_SEQ:
        return Rejection(index, seq, "invalid_seq", f"seq must be between 1 and {MAX_SEQ}.")

    event_type = raw.get("type")
    if not event_type:
        return Rejection(index, seq, "missing_type", "The event has no type.")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        return Rejection(
            index, seq, "unknown_type", f"Unknown event type {str(event_type)[:40]!r}."
        )

    if raw.get("ts") is None:
        return Rejection(index, seq, "missing_ts", "The event has no ts.")
    client_ts = _parse_ts(raw["ts"])
    if client_ts is None:
        return Rejection(
            index, seq, "invalid_ts", "ts must be an ISO 8601 time or epoch milliseconds."
        )
    skew = timedelta(seconds=settings.MONITORING_MAX_FUTURE_SKEW_S)
    if client_ts > now + skew:
        return Rejection(
            index,
            seq,
            "timestamp_in_future",
            f"ts is more than {settings.MONITORING_MAX_FUTURE_SKEW_S} s ahead of the server.",
        )

    payload = raw.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        return Rejection(index, seq, "invalid_payload", "payload must be a JSON object.")
    if not _nesting_within(payload, MAX_PAYLOAD_DEPTH):
        return Rejection(
            index, seq, "invalid_payload", f"payload nests deeper than {MAX_PAYLOAD_DEPTH} levels."
        )
    try:
        encoded = canonical_json(payload)
    except ValueError:
        return Rejection(index, seq, "invalid_payload", "payload must not contain NaN/Infinity.")
    size = len(encoded.encode("utf-8"))
    if size > settings.MONITORING_PAYLOAD_MAX_BYTES:
        return Rejection(
            index,
            seq,
            "payload_too_large",
            f"payload is {size} bytes; the limit is {settings.MONITORING_PAYLOAD_MAX_BYTES}.",
        )
    if "\\u0000" in encoded:
        # PostgreSQL's jsonb cannot store NUL characters; refuse rather than fail the batch.
        return Rejection(index, seq, "invalid_payload", "payload must not contain NUL characters.")
    # Round-trip so what we hash is exactly what the database will give back.
    return ParsedEvent(seq, event_type, client_ts, json.loads(encoded))
