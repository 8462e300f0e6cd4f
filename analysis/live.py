"""The newest analysed frame of each running session, small, for the proctor's live page.

The worker already holds the frame's bytes when it analyses them; it keeps one downscaled
JPEG per session (``live/<session id>.jpg`` in the media storage, overwritten by the next
frame, deleted when the session ends) and tells the proctor feed (``frame.analyzed``). The
page then loads that one tile's picture: nothing polls every tile.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from proctoring_site.realtime import proctor_feed_publish

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 240
THUMBNAIL_QUALITY = 70


def live_thumbnail_path(session_id: Any) -> str:
    return f"live/{session_id}.jpg"


def live_thumbnail_jpeg(image: bytes) -> bytes | None:
    """A JPEG at most THUMBNAIL_WIDTH wide, or None when the bytes are not an image."""
    decoded = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        return None
    height, width = decoded.shape[:2]
    if width > THUMBNAIL_WIDTH:
        decoded = cv2.resize(
            decoded,
            (THUMBNAIL_WIDTH, max(1, round(height * THUMBNAIL_WIDTH / width))),
            interpolation=cv2.INTER_AREA,
        )
    ok, encoded = cv2.imencode(".jpg", decoded, [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_QUALITY])
    return encoded.tobytes() if ok else None


def live_thumbnail_store(*, session_id: Any, image: bytes) -> bool:
    """Replace the session's live thumbnail with this frame's. False if it is no image."""
    jpeg = live_thumbnail_jpeg(image)
    if jpeg is None:
        return False
    path = live_thumbnail_path(session_id)
    try:
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, ContentFile(jpeg))
    except OSError:
        logger.exception("live thumbnail of session %s not stored", session_id)
        return False
    return True


def live_thumbnail_exists(*, session_id: Any) -> bool:
    return default_storage.exists(live_thumbnail_path(session_id))


def live_thumbnail_read(*, session_id: Any) -> bytes | None:
    path = live_thumbnail_path(session_id)
    try:
        with default_storage.open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def live_thumbnail_delete(*, session_id: Any) -> None:
    path = live_thumbnail_path(session_id)
    try:
        if default_storage.exists(path):
            default_storage.delete(path)
    except OSError:
        logger.exception("live thumbnail of session %s not deleted", session_id)


def live_frame_publish(*, session: Any, result: Any, image: bytes) -> bool:
    """Keep this analysed frame as the session's live thumbnail and tell the proctor feed.

    ``frame.analyzed`` carries the result id (the thumbnail's version), when it was captured,
    the face count and labels; it goes out after commit like every feed event.
    """
    if not live_thumbnail_store(session_id=session.pk, image=image):
        return False
    proctor_feed_publish(
        event="frame.analyzed",
        data={
            "session_id": str(session.pk),
            "result_id": result.pk,
            "captured_at": result.captured_at,
            "face_count": result.face_count,
            "labels": result.labels,
        },
        exam_id=session.exam_id,
    )
    return True
