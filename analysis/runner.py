"""The one adapter between Django code and the plain-Python analyzers.

Everything the engine needs from ``analysis.analyzers`` goes through here (pipelines built from
the session policy, results flattened into storable columns, enrollment), so a change of the
analyzers' signatures is fixed in this module only. Pipelines are cached per process: a
django-q2 worker loads the models once and reuses them for every task.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings

from analysis.analyzers.errors import MediaError

logger = logging.getLogger(__name__)

# Which policy switch turns which label off (accommodations: e.g. voice_checks=false for a
# candidate who reads aloud). A label whose switch is off is neither stored nor aggregated.
LABEL_SWITCHES: dict[str, str] = {
    "no_face": "face_checks",
    "multiple_faces": "face_checks",
    "camera_obstructed": "face_checks",
    "low_quality": "face_checks",
    "looking_away": "gaze_checks",
    "identity_mismatch": "identity_checks",
    "background_voice": "voice_checks",
    "multiple_voices": "voice_checks",
}


@dataclass
class ItemAnalysis:
    """One analyzed frame or chunk, flattened for storage (see ``AnalysisResult``)."""

    ok: bool
    failure_reason: str = ""
    failure_message: str = ""
    labels: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    processing_ms: float = 0.0
    # Seconds of speech in an audio chunk: how much "another voice" evidence it carries.
    speech_s: float = 0.0
    duration_s: float | None = None


@dataclass
class FaceEnrollment:
    ok: bool
    template: list[float] | None = None
    version: str = ""
    samples_used: int = 0
    reason: str = ""
    message: str = ""
    image_index: int | None = None


def import_mediapipe_without_tensorflow() -> None:
    """Import MediaPipe while hiding TensorFlow.

    ``import mediapipe`` imports its Tasks API, whose optional-dependency probe imports all of
    TensorFlow (about 3 s and several hundred MB) only to fetch a docs decorator; it falls back
    cleanly on ModuleNotFoundError. None of our analyzers use TensorFlow, so a worker should not
    pay for it. The block is lifted right after, so other code may still import TensorFlow.
    """
    if "mediapipe" in sys.modules:
        return
    hide = "tensorflow" not in sys.modules
    if hide:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        import mediapipe  # noqa: F401
    finally:
        if hide and sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]


def policy_allows(policy: dict[str, Any], label: str) -> bool:
    switch = LABEL_SWITCHES.get(label)
    return switch is None or bool(policy.get(switch, True))


@lru_cache(maxsize=16)
def _frame_pipeline(pose: bool, identity: bool) -> Any:
    import_mediapipe_without_tensorflow()
    from analysis.analyzers.vision.pipeline import FramePipeline, VisionConfig

    config = VisionConfig(
        max_bytes=settings.ANALYSIS_FRAME_MAX_BYTES,
        max_pixels=settings.ANALYSIS_FRAME_MAX_PIXELS,
        pose_enabled=pose,
        identity_enabled=identity,
    )
    return FramePipeline(config)


@lru_cache(maxsize=4)
def _audio_pipeline(voice_checks: bool) -> Any:
    from analysis.analyzers.audio import AudioConfig, AudioPipeline

    return AudioPipeline(
        AudioConfig(count_voices=voice_checks, check_background_voice=voice_checks)
    )


def frame_pipeline_for(policy: dict[str, Any]) -> Any:
    return _frame_pipeline(bool(policy.get("gaze_checks", True)), identity_on(policy))


def audio_pipeline_for(policy: dict[str, Any]) -> Any:
    return _audio_pipeline(bool(policy.get("voice_checks", True)))


def identity_on(policy: dict[str, Any]) -> bool:
    return bool(policy.get("identity_checks", True))


def preload_models() -> None:
    """Load every model now (a worker calls this when it starts, so task one is not slow)."""
    started = time.perf_counter()
    import_mediapipe_without_tensorflow()
    from analysis.analyzers.audio import ge2e, vad
    from analysis.analyzers.vision import models

    models.preload()
    ge2e.get_encoder()
    vad.speech_probabilities(np.zeros(16000, dtype=np.float32))
    logger.info("analysis: models loaded in %.1f s", time.perf_counter() - started)


def _filtered(labels: list[str], policy: dict[str, Any]) -> list[str]:
    return sorted(label for label in labels if policy_allows(policy, label))


def frame_analyze(
    data: bytes,
    *,
    policy: dict[str, Any],
    face_template: list[float] | None,
    check_identity: bool,
) -> ItemAnalysis:
    """Run the vision pipeline on one encoded frame; never raises on bad media."""
    started = time.perf_counter()
    pipeline = frame_pipeline_for(policy)
    template = np.asarray(face_template, dtype=np.float32) if face_template else None
    result = pipeline.analyze(
        data,
        enrolled_template=template,
        check_identity=check_identity and template is not None and identity_on(policy),
    )
    elapsed = (time.perf_counter() - started) * 1000
    raw = result.to_dict()
    if not result.ok:
        return ItemAnalysis(
            ok=False,
            failure_reason=result.error_reason or "undecodable",
            failure_message=result.error_message or "",
            raw=raw,
            versions=dict(result.versions),
            processing_ms=elapsed,
        )
    pose = result.head_pose or {}
    gaze = result.gaze or {}
    return ItemAnalysis(
        ok=True,
        labels=_filtered(list(result.labels), policy),
        raw=raw,
        versions=dict(result.versions),
        processing_ms=elapsed,
        columns={
            "face_count": result.face_count,
            "head_yaw": pose.get("yaw"),
            "head_pitch": pose.get("pitch"),
            "head_roll": pose.get("roll"),
            "gaze_direction": gaze.get("direction") or "",
            "identity_similarity": result.identity_similarity,
        },
    )


@dataclass(frozen=True)
class FrameChange:
    """A frame's thumbnail (stored text) and its difference from a reference thumbnail."""

    thumbnail: str
    difference: float | None  # None: no usable reference to compare with
    threshold: float
    version: str

    @property
    def unchanged(self) -> bool:
        return self.difference is not None and self.difference < self.threshold


def frame_change(data: bytes, reference: str | None) -> FrameChange | None:
    """Thumbnail ``data`` and compare it with ``reference`` (a stored thumbnail); None when
    the frame does not decode (the full analysis then reports why)."""
    from analysis.analyzers.vision import change

    thumb = change.thumbnail(data)
    if thumb is None:
        return None
    ref = change.decode(reference) if reference else None
    return FrameChange(
        thumbnail=change.encode(thumb),
        difference=None if ref is None else round(change.difference(thumb, ref), 2),
        threshold=change.CHANGE_THRESHOLD,
        version=change.VERSION,
    )


@dataclass(frozen=True)
class RecentChunk:
    """An earlier audio chunk of the session: its media id, seconds before the chunk being
    analyzed, and its stored window embeddings (``AudioResult.window_embeddings``)."""

    media_id: int | None
    seconds_before: float
    window_embeddings: list[str]


def audio_analyze(
    data: bytes,
    *,
    policy: dict[str, Any],
    voice_template: list[float] | None,
    recent: list[RecentChunk] | None = None,
) -> ItemAnalysis:
    """Run the audio pipeline on one WAV chunk; never raises on bad media.

    With ``recent`` (the session's chunks of the last ``ANALYSIS_VOICE_WINDOW_S``), voices are
    also judged over that window: the chunk is labelled when a voice other than the main one
    (the candidate's, when enrolled) speaks in it, and ``raw["session_voices"]`` names the
    earlier chunks where that voice spoke (the incident's evidence).
    """
    started = time.perf_counter()
    pipeline = audio_pipeline_for(policy)
    enrolled = np.asarray(voice_template, dtype=np.float32) if voice_template else None
    result = pipeline.analyze_wav(
        data, enrolled_voice=enrolled, max_seconds=settings.ANALYSIS_AUDIO_MAX_SECONDS
    )
    raw = result.to_dict()
    if result.ok and recent is not None and policy_allows(policy, "multiple_voices"):
        _judge_session_voices(result, raw, recent, enrolled)
    elapsed = (time.perf_counter() - started) * 1000
    if not result.ok:
        return ItemAnalysis(
            ok=False,
            failure_reason=result.error_reason or "undecodable",
            raw=raw,
            versions=dict(result.versions),
            processing_ms=elapsed,
        )
    speech_s = sum(end - start for start, end in result.speech_segments)
    # "speech" is a description, not something to flag: it stays in raw, not in the labels.
    labels = [label for label in result.labels if label != "speech"]
    return ItemAnalysis(
        ok=True,
        labels=_filtered(labels, policy),
        raw=raw,
        versions=dict(result.versions),
        processing_ms=elapsed,
        speech_s=round(speech_s, 3),
        duration_s=result.duration_s,
        columns={
            "speech_prob": result.speech_prob_max,
            "speaker_count": result.speaker_count,
            "loudness_dbfs": result.loudness_dbfs,
        },
    )


def _judge_session_voices(
    result: Any, raw: dict[str, Any], recent: list[RecentChunk], enrolled: np.ndarray | None
) -> None:
    """Voices over the recent window (analyzers/audio/voices.py); updates ``result.labels``
    and records the judgement in ``raw``."""
    from analysis.analyzers.audio import voices

    current = voices.ChunkWindows(None, 0.0, voices.decode_embeddings(result.window_embeddings))
    if not len(current.embeddings):
        return
    chunks = [
        voices.ChunkWindows(
            chunk.media_id, -chunk.seconds_before, voices.decode_embeddings(chunk.window_embeddings)
        )
        for chunk in recent
        if chunk.seconds_before < settings.ANALYSIS_VOICE_WINDOW_S
    ]
    session = voices.judge(
        [*chunks, current],
        voices.VoiceRules(window_s=settings.ANALYSIS_VOICE_WINDOW_S),
        enrolled,
    )
    session_labels = voices.chunk_labels(session, None, enrolled is not None)
    if session_labels:
        result.speaker_count = max(result.speaker_count, session.voices, 2)
    labels = set(result.labels) | session_labels
    if enrolled is not None and "multiple_voices" in labels:
        labels.discard("background_voice")
    result.labels = sorted(labels)
    raw["labels"] = result.labels
    raw["session_voices"] = {
        "voices": session.voices,
        "chunks": len(chunks) + 1,
        "other_voice_media": [key for key in session.other_voice_chunks if key is not None],
    }


def face_enroll(images: list[bytes]) -> FaceEnrollment:
    """Build the identity template from enrollment frames (refusal has a stable reason)."""
    pipeline = _frame_pipeline(True, True)
    result = pipeline.enroll(images)
    if not result.ok or result.template is None:
        return FaceEnrollment(
            ok=False,
            reason=result.error_reason or "face_not_usable",
            message=result.message,
            image_index=result.image_index,
        )
    return FaceEnrollment(
        ok=True,
        template=[round(float(v), 6) for v in result.template],
        version=result.version,
        samples_used=result.images_used,
    )


def voice_enroll(data: bytes) -> tuple[list[float], str]:
    """The voice print from a WAV of the candidate reading; MediaError with a reason if not."""
    from analysis.analyzers.audio import decode_wav

    pipeline = _audio_pipeline(True)
    pcm = decode_wav(data, max_seconds=settings.ANALYSIS_AUDIO_MAX_SECONDS)
    template = pipeline.enroll(pcm)
    return [round(float(v), 6) for v in template], pipeline.versions()["speaker"]


# Header checks at upload: cheap (no pixel decoding), so a bad upload gets its 4xx at once.

_ACCEPTED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass
class ImageHeader:
    content_type: str
    extension: str
    width: int
    height: int


def image_header_check(data: bytes) -> ImageHeader:
    """Check an uploaded frame from its header only; MediaError with a stable reason if bad."""
    from PIL import Image

    if not data:
        raise MediaError("empty", "The image is empty.")
    limit = settings.ANALYSIS_FRAME_MAX_BYTES
    if len(data) > limit:
        raise MediaError("too_large", f"The image is {len(data)} bytes; the limit is {limit}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:
                image_format, (width, height) = header.format, header.size
    except Image.DecompressionBombError:
        raise MediaError("too_many_pixels", "The image header claims too many pixels.") from None
    except (OSError, ValueError, SyntaxError):
        raise MediaError("not_an_image", "The data is not a JPEG or PNG image.") from None
    if image_format not in _ACCEPTED_IMAGE_FORMATS:
        raise MediaError("not_an_image", f"Unsupported image format {image_format}; send JPEG/PNG.")
    max_pixels = settings.ANALYSIS_FRAME_MAX_PIXELS
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise MediaError(
            "too_many_pixels", f"The image is {width}x{height}; the limit is {max_pixels} pixels."
        )
    # Truncation shows in the last bytes: a JPEG ends with EOI after its last scan, a PNG with
    # its IEND chunk. Checking bytes is cheap; the worker's full decode catches the rest.
    if image_format == "JPEG" and not data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") >= 0:
        raise MediaError("truncated", "The JPEG image is truncated (no end-of-image marker).")
    if image_format == "PNG" and b"IEND" not in data[-64:]:
        raise MediaError("truncated", "The PNG image is truncated (no IEND chunk).")
    extension = "jpg" if image_format == "JPEG" else "png"
    return ImageHeader(_ACCEPTED_IMAGE_FORMATS[image_format], extension, width, height)


def wav_header_check(data: bytes) -> float:
    """Check an uploaded audio chunk is 16 kHz mono PCM16 WAV; its duration in seconds."""
    from analysis.analyzers.audio import decode_wav

    limit = settings.ANALYSIS_AUDIO_MAX_BYTES
    if len(data) > limit:
        raise MediaError("too_large", f"The audio is {len(data)} bytes; the limit is {limit}.")
    pcm = decode_wav(data, max_seconds=settings.ANALYSIS_AUDIO_MAX_SECONDS)
    return round(pcm.size / 16000, 3)


def media_error_reason(exc: BaseException) -> str:
    return getattr(exc, "reason", "") or "undecodable"
