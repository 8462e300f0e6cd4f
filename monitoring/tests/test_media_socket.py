"""The binary media message format of ws/exam/ (monitoring/media_socket.py)."""

from __future__ import annotations

import json

import pytest

from monitoring.media_socket import (
    MEDIA_HEADER_MAX_BYTES,
    MediaMessageError,
    media_message_parse,
)


def framed(header: object, data: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return len(encoded).to_bytes(2, "big") + encoded + data


def test_a_message_splits_into_its_header_and_bytes() -> None:
    data = bytes(range(256)) * 3  # any bytes, including what looks like JSON or a header
    message = media_message_parse(
        framed({"type": "audio", "id": "a-1", "captured_at": "2026-12-01T10:00:00Z"}, data)
    )
    assert (message.kind, message.client_id, message.captured_at) == (
        "audio",
        "a-1",
        "2026-12-01T10:00:00Z",
    )
    assert message.data == data
    assert media_message_parse(framed({"type": "frame", "id": "f"})).captured_at is None


@pytest.mark.parametrize(
    ("raw", "client_id"),
    [
        (b"", None),
        (b"\x00", None),
        (b"\x00\x00{}", None),  # a zero-length header
        ((MEDIA_HEADER_MAX_BYTES + 1).to_bytes(2, "big") + b"{" * 2000, None),
        (b"\x00\x10{}", None),  # the header runs past the message
        (framed(b"\xff\xfe"), None),
        (framed(["frame"]), None),
        (framed({"type": "video", "id": "v"}), "v"),
        (framed({"type": "frame"}), None),
        (framed({"type": "frame", "id": ""}), ""),
        (framed({"type": "frame", "id": "f", "captured_at": 5}), "f"),
    ],
)
def test_malformed_messages_are_refused_with_the_id_when_known(raw: bytes, client_id) -> None:  # noqa: ANN001
    with pytest.raises(MediaMessageError) as caught:
        media_message_parse(raw)
    assert caught.value.client_id == client_id
