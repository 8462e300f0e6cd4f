"""Media over the exam page's websocket: the binary message format and the media hook.

The exam page sends each webcam frame and audio chunk on ``ws/exam/<session>/`` as one binary
message instead of an HTTP upload (an HTTP upload costs daphne a request's parsing and thread
hops each time, and delays the acks of the same event loop). A message is::

    2 bytes   n, the header's length (big-endian, 1..MEDIA_HEADER_MAX_BYTES)
    n bytes   a UTF-8 JSON object: {"type": "frame" | "audio", "id": "<client id>",
              "captured_at": "<ISO 8601>" (optional)}
    the rest  the JPEG/PNG frame or the WAV chunk, byte for byte as the HTTP body would be

Storing media belongs to the analysis app, which stands above this one, so this module only
parses the frame and calls the handler the analysis app registers in ``AppConfig.ready``
(``media_handler_register``); with none registered the socket answers ``unsupported`` and
the page keeps using HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MEDIA_HEADER_MAX_BYTES = 1024
MEDIA_KINDS = ("frame", "audio")


@dataclass(frozen=True)
class MediaMessage:
    kind: str
    client_id: str
    captured_at: str | None
    data: bytes


class MediaMessageError(Exception):
    """A binary message that is not a media message (code ``malformed_request``)."""

    def __init__(self, message: str, *, client_id: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.client_id = client_id


def media_message_parse(raw: bytes) -> MediaMessage:
    """Split a binary message into its header and bytes; MediaMessageError when malformed."""
    if len(raw) < 2:
        raise MediaMessageError("A media message starts with its header's length.")
    size = int.from_bytes(raw[:2], "big")
    if not 0 < size <= MEDIA_HEADER_MAX_BYTES or len(raw) < 2 + size:
        raise MediaMessageError(
            f"The media header must be 1-{MEDIA_HEADER_MAX_BYTES} bytes and inside the message."
        )
    try:
        header = json.loads(raw[2 : 2 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MediaMessageError("The media header is not JSON.") from None
    if not isinstance(header, dict):
        raise MediaMessageError("The media header must be a JSON object.")
    client_id = header.get("id")
    if header.get("type") not in MEDIA_KINDS:
        raise MediaMessageError(
            f"The media header's type must be one of {', '.join(MEDIA_KINDS)}.",
            client_id=client_id,
        )
    if not isinstance(client_id, str) or not client_id:
        raise MediaMessageError("The media header needs an id (a string).", client_id=client_id)
    captured_at = header.get("captured_at")
    if captured_at is not None and not isinstance(captured_at, str):
        raise MediaMessageError("captured_at must be an ISO 8601 string.", client_id=client_id)
    return MediaMessage(header["type"], client_id, captured_at, raw[2 + size :])


# handler(user=..., session_id=..., message=...) -> the ack's data; raises ApplicationError.
MediaHandler = Callable[..., dict[str, Any]]
_handler: list[MediaHandler] = []


def media_handler_register(handler: MediaHandler) -> None:
    """Store media received on ws/exam/ with ``handler`` (synchronous, runs in the ingest
    pool, so the pool's threads bound its database connections as for HTTP uploads)."""
    _handler[:] = [handler]


def media_handler() -> MediaHandler | None:
    return _handler[0] if _handler else None
