"""Uploads: frames and audio chunks checked from their headers, stored, queued for analysis."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from analysis import runner
from analysis.analyzers.errors import MediaError
from analysis.models import Enrollment, MediaItem, MediaKind
from exams.models import ExamSession
from exams.selectors import session_require_active
from proctoring_site.exceptions import (
    ApplicationError,
    InvalidInputError,
    PayloadTooLargeError,
    RateLimitedError,
)

from .queueing import media_analysis_enqueue

logger = logging.getLogger(__name__)

# MediaError reasons (analyzers) -> stable API error codes.
MEDIA_ERROR_CODES = {
    "empty": "empty_media",
    "too_large": "media_too_large",
    "not_an_image": "not_an_image",
    "too_many_pixels": "image_too_many_pixels",
    "truncated": "truncated_media",
    "undecodable": "undecodable_media",
    "not_wav": "not_wav",
    "not_pcm16": "audio_not_pcm16",
    "not_mono": "audio_not_mono",
    "wrong_sample_rate": "audio_wrong_sample_rate",
    "too_long": "audio_too_long",
    "no_speech": "no_speech",
}


def media_error_as_api_error(exc: MediaError) -> ApplicationError:
    code = MEDIA_ERROR_CODES.get(exc.reason, exc.reason)
    details = {"reason": exc.reason}
    if exc.reason == "too_large":
        return PayloadTooLargeError(exc.message, code=code, details=details)
    return InvalidInputError(exc.message, code=code, details=details)


def _captured_at(session: ExamSession, captured_at: datetime | None) -> datetime:
    """The client's capture time (a queued upload may lag), within the allowed clock skew."""
    now = timezone.now()
    if captured_at is None:
        return now
    skew = timedelta(seconds=settings.ANALYSIS_MAX_CLOCK_SKEW_S)
    if captured_at > now + skew:
        raise InvalidInputError(
            "captured_at is in the future.", code="invalid_timestamp", details={"now": now}
        )
    earliest = session.started_at or session.created_at
    if earliest and captured_at < earliest - skew:
        raise InvalidInputError(
            "captured_at is before the session started.", code="invalid_timestamp"
        )
    return captured_at


def _rate_limit(session: ExamSession, kind: str) -> None:
    """RateLimitedError (429) past ANALYSIS_RATE_MAX_UPLOADS per window for this session/kind.

    A fixed window in the Django cache (Redis when configured, so all server processes count
    together): cheap, and enough to stop a runaway or hostile client from filling the queue.
    """
    window = max(1, settings.ANALYSIS_RATE_WINDOW_S)
    now = time.time()
    slot = int(now // window)
    key = f"analysis-rate:{kind}:{session.pk}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > settings.ANALYSIS_RATE_MAX_UPLOADS:
        raise RateLimitedError(
            f"Too many {kind} uploads for this session; slow down.",
            retry_after=int((slot + 1) * window - now) + 1,
        )


CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class MediaAccepted:
    """A stored upload; ``duplicate`` when the client id was stored before (nothing new)."""

    media: MediaItem
    duplicate: bool


def _stored_before(session: ExamSession, kind: str, client_id: str) -> MediaItem | None:
    media = MediaItem.objects.filter(session=session, client_id=client_id).first()
    if media is not None and media.kind != kind:
        raise InvalidInputError(
            f"client_id {client_id!r} was already used for a {media.kind}.",
            code="client_id_conflict",
            details={"client_id": client_id, "kind": media.kind},
        )
    return media


def media_ingest(
    *,
    session: ExamSession,
    kind: str,
    data: bytes,
    captured_at: datetime | None = None,
    client_id: str = "",
) -> MediaAccepted:
    """Check an uploaded frame or audio chunk, store it and queue its analysis.

    Header checks only (no pixel decoding, no model): bad media is refused here with a 4xx and
    nothing is stored. The analysis task is enqueued after the row is committed. With a
    ``client_id`` an upload is stored at most once per session: a resend (the ack was lost,
    the page fell back from the websocket to HTTP) is answered with the stored item and
    ``duplicate=True``, costs no rate-limit slot and queues no second analysis.
    """
    session_require_active(session)
    if client_id:
        if not CLIENT_ID_PATTERN.match(client_id):
            raise InvalidInputError(
                "client_id must be 1-64 letters, digits or _.:-",
                code="invalid",
                details={"fields": {"client_id": ["Invalid client id."]}},
            )
        stored = _stored_before(session, kind, client_id)
        if stored is not None:
            return MediaAccepted(stored, duplicate=True)
    _rate_limit(session, kind)
    at = _captured_at(session, captured_at)
    fields: dict[str, object] = {}
    try:
        if kind == MediaKind.FRAME:
            header = runner.image_header_check(data)
            extension, content_type = header.extension, header.content_type
            fields = {"width": header.width, "height": header.height}
        elif kind == MediaKind.AUDIO:
            if not data:
                raise MediaError("empty", "The audio is empty.")
            fields = {"duration_s": runner.wav_header_check(data)}
            extension, content_type = "wav", "audio/wav"
        else:  # pragma: no cover - the API only passes the two kinds
            raise InvalidInputError(f"Unknown media kind {kind}.")
    except MediaError as exc:
        raise media_error_as_api_error(exc) from None

    media = MediaItem(
        session=session,
        kind=kind,
        content_type=content_type,
        size_bytes=len(data),
        captured_at=at,
        client_id=client_id,
        **fields,
    )
    media.file.save(f"upload.{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            media.save()
            media_id = media.pk
            session_id = session.pk
            transaction.on_commit(
                lambda: media_analysis_enqueue(session_id=session_id, media_id=media_id)
            )
    except Exception as exc:
        with contextlib.suppress(OSError):
            media.file.storage.delete(media.file.name)
        # The same client id stored concurrently (a resend racing its original): keep theirs.
        stored = (
            _stored_before(session, kind, client_id)
            if client_id and isinstance(exc, IntegrityError)
            else None
        )
        if stored is None:
            raise
        return MediaAccepted(stored, duplicate=True)
    return MediaAccepted(media, duplicate=False)


def enrollment_face_create(*, session: ExamSession, images: list[bytes]) -> Enrollment:
    """Store the candidate's face template from enrollment frames (the frames are not kept).

    Every frame must show exactly one usable face; otherwise InvalidInputError with code
    ``no_face``, ``multiple_faces``, ``camera_obstructed``, ``face_not_usable`` or a media code,
    and ``details.image_index`` naming the first bad frame.
    """
    session_require_active(session)
    if not images:
        raise InvalidInputError("Send at least one enrollment frame.", code="no_images")
    if len(images) > _max_enroll_frames():
        raise InvalidInputError(
            f"Send at most {_max_enroll_frames()} enrollment frames.", code="too_many_images"
        )
    for index, data in enumerate(images):
        try:
            runner.image_header_check(data)
        except MediaError as exc:
            error = media_error_as_api_error(exc)
            error.details["image_index"] = index
            raise error from None
    outcome = runner.face_enroll(images)
    if not outcome.ok:
        raise InvalidInputError(
            outcome.message or "The enrollment frames were refused.",
            code=MEDIA_ERROR_CODES.get(outcome.reason, outcome.reason),
            details={"reason": outcome.reason, "image_index": outcome.image_index},
        )
    enrollment, _ = Enrollment.objects.update_or_create(
        session=session,
        kind=Enrollment.Kind.FACE,
        defaults={
            "template": outcome.template,
            "model_version": outcome.version,
            "samples_used": outcome.samples_used,
        },
    )
    if settings.ANALYSIS_KEEP_ENROLLMENT_FRAMES:
        _enrollment_frames_replace(session=session, images=images)
    logger.info("analysis: face enrolled for session %s", session.pk)
    return enrollment


@transaction.atomic
def _enrollment_frames_replace(*, session: ExamSession, images: list[bytes]) -> None:
    """Keep the accepted enrollment frames as evidence, replacing an earlier enrollment's."""
    storage = MediaItem._meta.get_field("file").storage
    old = list(
        MediaItem.objects.filter(
            session=session, kind=MediaKind.ENROLLMENT, file_deleted_at__isnull=True
        )
    )
    old_names = [item.file.name for item in old if item.file]
    MediaItem.objects.filter(pk__in=[item.pk for item in old]).update(
        file_deleted_at=timezone.now()
    )
    now = timezone.now()
    for data in images:
        header = runner.image_header_check(data)
        media = MediaItem(
            session=session,
            kind=MediaKind.ENROLLMENT,
            content_type=header.content_type,
            size_bytes=len(data),
            width=header.width,
            height=header.height,
            captured_at=now,
            is_evidence=True,
            analysis_leased_at=None,  # evidence only, never analyzed
        )
        media.file.save(f"enroll.{header.extension}", ContentFile(data), save=False)
        media.save()

    def delete_old_files() -> None:
        for name in old_names:
            with contextlib.suppress(OSError):
                storage.delete(name)

    transaction.on_commit(delete_old_files)


def enrollment_voice_create(*, session: ExamSession, data: bytes) -> Enrollment:
    """Store the candidate's voice print from a WAV of them reading a sentence aloud."""
    session_require_active(session)
    try:
        if not data:
            raise MediaError("empty", "The audio is empty.")
        template, version = runner.voice_enroll(data)
    except MediaError as exc:
        raise media_error_as_api_error(exc) from None
    enrollment, _ = Enrollment.objects.update_or_create(
        session=session,
        kind=Enrollment.Kind.VOICE,
        defaults={"template": template, "model_version": version, "samples_used": 1},
    )
    logger.info("analysis: voice enrolled for session %s", session.pk)
    return enrollment


def _max_enroll_frames() -> int:
    return settings.ANALYSIS_ENROLL_MAX_FRAMES
