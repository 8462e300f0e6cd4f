"""Frames and audio chunks from the exam page's websocket (monitoring/media_socket.py).

The same checks, limits, rate limit and answer as ``POST /api/monitoring/frames`` and
``/audio``: the caller's own session (read afresh, so a session that ended is refused with
``session_not_active``), the kind's size limit (``media_too_large``), the header fields
validated by the HTTP path's serializer, then ``media_ingest`` with the message's id as the
``client_id``. Registered as monitoring's media handler in ``AnalysisConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import User
from exams.selectors import session_for_user
from monitoring.media_socket import MediaMessage
from proctoring_site.exceptions import InvalidInputError, NotFoundError, PayloadTooLargeError

from . import services
from .models import MediaKind
from .serializers import MediaAcceptedOutputSerializer, MediaUploadInputSerializer

LIMITS = {MediaKind.FRAME: "ANALYSIS_FRAME_MAX_BYTES", MediaKind.AUDIO: "ANALYSIS_AUDIO_MAX_BYTES"}


def media_from_socket(*, user: User, session_id: str, message: MediaMessage) -> dict[str, Any]:
    """Store one media message; returns the HTTP path's 200/202 body with the stored item's id
    as ``media_id`` (ApplicationError when refused)."""
    limit = getattr(settings, LIMITS[message.kind])
    if len(message.data) > limit:
        raise PayloadTooLargeError(
            f"The file is {len(message.data)} bytes; the limit is {limit} bytes.",
            code="media_too_large",
            details={"limit": limit, "size": len(message.data)},
        )
    fields = MediaUploadInputSerializer(
        data={
            "session_id": session_id,
            "captured_at": message.captured_at,
            "client_id": message.client_id,
        }
    )
    if not fields.is_valid():
        raise InvalidInputError(
            "The media header is not valid.", code="invalid", details={"fields": fields.errors}
        )
    session = session_for_user(user=user, session_id=session_id)
    if session.candidate_id != user.pk:
        raise NotFoundError("No such session.")
    accepted = services.media_ingest(
        session=session,
        kind=message.kind,
        data=message.data,
        captured_at=fields.validated_data.get("captured_at"),
        client_id=message.client_id,
    )
    context = {"duplicate": accepted.duplicate}
    body = dict(MediaAcceptedOutputSerializer(accepted.media, context=context).data)
    body["media_id"] = body.pop("id")  # the ack's "id" is the message's (the client id)
    return body
