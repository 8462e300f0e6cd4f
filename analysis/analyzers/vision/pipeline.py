"""The frame pipeline: decode -> quality -> faces -> mesh/pose/gaze -> identity -> labels.

One :class:`FramePipeline` per worker process is enough; the models behind it are shared
process-wide (see ``models.py``). Bad media never raises out of :meth:`FramePipeline.analyze`:
it returns a result with ``ok=False`` and a stable ``error_reason`` so the queue keeps moving.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from analysis.analyzers.errors import MediaError
from analysis.analyzers.vision import decode, faces, identity, pose, quality
from analysis.analyzers.vision.faces import Face, FaceDetectionConfig, detect_faces
from analysis.analyzers.vision.identity import (
    SFACE_COSINE_THRESHOLD,
    build_template,
    cosine_similarity,
    face_embedding,
)
from analysis.analyzers.vision.pose import (
    AttentionConfig,
    direction_from_keypoints,
    estimate_pose_and_gaze,
)
from analysis.analyzers.vision.quality import QualityThresholds, gate

logger = logging.getLogger(__name__)

VERSION = "vision-pipeline-2"

VERSIONS = {
    "pipeline": VERSION,
    "decode": decode.VERSION,
    "quality": quality.VERSION,
    "faces": faces.VERSION,
    "pose": pose.VERSION,
    "identity": identity.VERSION,
}

LABEL_NO_FACE = "no_face"
LABEL_MULTIPLE_FACES = "multiple_faces"
LABEL_LOOKING_AWAY = "looking_away"
LABEL_IDENTITY_MISMATCH = "identity_mismatch"
LABEL_CAMERA_OBSTRUCTED = "camera_obstructed"
LABEL_LOW_QUALITY = "low_quality"

# The flags a frame the quality gate calls unreliable never raises (it says why instead).
JUDGED_LABELS = {LABEL_NO_FACE, LABEL_MULTIPLE_FACES, LABEL_LOOKING_AWAY, LABEL_IDENTITY_MISMATCH}


def upscale_low_resolution(
    bgr: np.ndarray, min_side: int, max_factor: int
) -> tuple[np.ndarray, int]:
    """A frame whose shorter side is under ``min_side`` enlarged by an integer factor.

    At 176x144 a webcam face is 25-55 px wide: the detectors find it, but the mesh and the
    56-px identity rule refuse it. SFace still separates people on those faces once enlarged
    (same person 0.79-0.96, strangers <= 0.22 on the shared media, docs/FAIRNESS.md).
    """
    shorter = min(bgr.shape[:2])
    factor = min(max_factor, -(-min_side // shorter)) if shorter < min_side else 1
    if factor <= 1:
        return bgr, 1
    return cv2.resize(bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), factor


def _in_source_pixels(found: list[Face], factor: int) -> list[Face]:
    if factor == 1:
        return found
    return [
        replace(
            face, x=face.x // factor, y=face.y // factor, w=face.w // factor, h=face.h // factor
        )
        for face in found
    ]


@dataclass(frozen=True)
class VisionConfig:
    """What the pipeline runs and with which thresholds.

    Stages can be switched off per exam or per candidate (an accommodation: e.g. gaze off for
    a candidate who cannot hold their head still). A stage that is off reports null values and
    raises none of its labels.
    """

    max_bytes: int = decode.DEFAULT_MAX_BYTES
    max_pixels: int = decode.DEFAULT_MAX_PIXELS
    quality_enabled: bool = True
    # Off: no face detection and therefore no pose or identity either (a frame-quality-only
    # mode, e.g. while a candidate with a facial difference is reviewed by a person instead).
    faces_enabled: bool = True
    pose_enabled: bool = True
    identity_enabled: bool = True
    identity_threshold: float = SFACE_COSINE_THRESHOLD
    # Faces compared with the template on identity frames: the candidate may not be the
    # largest face when someone leans in (that case raises multiple_faces anyway).
    identity_max_faces: int = 3
    # Faces narrower than this are not compared: SFace looks at a 112x112 crop, and a face under
    # half that is mostly interpolation. On the shared media the only different-person pair
    # that came near the threshold (0.357) was two ~30 px faces (b02, d06).
    identity_min_face_px: int = 56
    enhance_dark: bool = True
    # Frames with a shorter side under this are enlarged (x2, x3) before analysis.
    upscale_min_side: int = 360
    upscale_max_factor: int = 3
    faces: FaceDetectionConfig = field(default_factory=FaceDetectionConfig)
    attention: AttentionConfig = field(default_factory=AttentionConfig)
    quality: QualityThresholds = field(default_factory=QualityThresholds)


@dataclass
class FrameResult:
    """Everything the pipeline found in one frame. ``to_dict()`` is JSON-serialisable."""

    ok: bool
    error_reason: str | None = None
    error_message: str | None = None
    width: int = 0
    height: int = 0
    face_count: int = 0
    faces: list[Face] = field(default_factory=list)
    head_pose: dict[str, float] | None = None
    gaze: dict[str, Any] | None = None
    attention: str | None = None  # "screen", "away", or None when not judged
    identity_similarity: float | None = None
    # matched / mismatch / face_too_small / unalignable / no_face / not_checked
    identity_status: str = "not_checked"
    quality: dict[str, Any] | None = None
    labels: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSIONS))
    second_opinion_used: bool = False
    # Normalised SFace embeddings of the faces compared (largest first); not serialised:
    # biometric data stays in memory unless the caller decides to store it.
    embeddings: list[np.ndarray] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error_reason": self.error_reason,
            "error_message": self.error_message,
            "width": self.width,
            "height": self.height,
            "face_count": self.face_count,
            "faces": [f.to_dict() for f in self.faces],
            "head_pose": self.head_pose,
            "gaze": self.gaze,
            "attention": self.attention,
            "identity_similarity": (
                None if self.identity_similarity is None else round(self.identity_similarity, 4)
            ),
            "identity_status": self.identity_status,
            "quality": self.quality,
            "labels": sorted(self.labels),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "versions": dict(self.versions),
            "second_opinion_used": self.second_opinion_used,
        }


@dataclass
class EnrollmentResult:
    """Outcome of an enrollment. On refusal ``template`` is None and ``error_reason`` says why:
    ``no_face``, ``multiple_faces``, ``camera_obstructed``, ``low_quality``, ``face_too_small``,
    ``face_not_usable`` (found but not alignable), ``no_images``, or a decode reason
    (``not_an_image``, ``truncated``...). ``image_index`` is the refused image's position."""

    ok: bool
    error_reason: str | None = None
    message: str = ""
    image_index: int | None = None
    template: np.ndarray | None = field(default=None, repr=False)
    images_used: int = 0
    version: str = identity.VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error_reason": self.error_reason,
            "message": self.message,
            "image_index": self.image_index,
            "template": None if self.template is None else [float(v) for v in self.template],
            "images_used": self.images_used,
            "version": self.version,
        }


class FramePipeline:
    """Analyze webcam frames; see :meth:`analyze` and :meth:`enroll`."""

    def __init__(self, config: VisionConfig | None = None) -> None:
        self.config = config or VisionConfig()

    def _to_image(self, image: bytes | np.ndarray) -> np.ndarray:
        if isinstance(image, np.ndarray):
            if image.dtype == np.uint8 and image.ndim == 2 and image.size:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or not image.size:
                raise MediaError("not_an_image", "Expected a uint8 BGR array of shape (h, w, 3).")
            if min(image.shape[:2]) < decode.MIN_SIDE:
                raise MediaError("too_small", f"Each side needs {decode.MIN_SIDE} pixels.")
            return image
        return decode.decode_image(
            bytes(image),
            max_bytes=self.config.max_bytes,
            max_pixels=self.config.max_pixels,
        )

    def analyze(
        self,
        image: bytes | np.ndarray,
        *,
        enrolled_template: np.ndarray | None = None,
        check_identity: bool = True,
        want_embeddings: bool = False,
    ) -> FrameResult:
        """Analyze one frame (encoded bytes or a BGR array).

        Never raises on bad media: returns ``ok=False`` with ``error_reason``. Identity runs
        when ``check_identity`` is true and a template is given (or ``want_embeddings`` asks
        for the embeddings alone); callers check it on every Nth frame to save time.
        """
        timings: dict[str, float] = {}
        start = time.perf_counter()
        try:
            bgr = self._to_image(image)
        except MediaError as exc:
            timings["decode"] = (time.perf_counter() - start) * 1000
            return FrameResult(
                ok=False,
                error_reason=exc.reason,
                error_message=exc.message,
                timings_ms=timings,
            )
        timings["decode"] = (time.perf_counter() - start) * 1000
        try:
            return self._analyze_image(
                bgr, timings, start, enrolled_template, check_identity, want_embeddings
            )
        except (cv2.error, ValueError, ArithmeticError) as exc:
            # Decoded media the models still choke on (none known since the size and box
            # checks, kept so one odd frame can never stop a worker's queue).
            logger.warning("frame analysis failed: %s", exc)
            return FrameResult(
                ok=False,
                error_reason="analysis_failed",
                error_message=f"The frame could not be analyzed: {type(exc).__name__}",
                width=bgr.shape[1],
                height=bgr.shape[0],
                timings_ms=timings,
            )

    def _analyze_image(
        self,
        bgr: np.ndarray,
        timings: dict[str, float],
        start: float,
        enrolled_template: np.ndarray | None,
        check_identity: bool,
        want_embeddings: bool,
    ) -> FrameResult:
        cfg = self.config
        tick = time.perf_counter()
        result = FrameResult(ok=True, width=bgr.shape[1], height=bgr.shape[0])
        labels: set[str] = set()

        bad_quality = False
        lifted = False
        if cfg.quality_enabled:
            bgr, q = gate(bgr, cfg.quality, enhance=cfg.enhance_dark)
            result.quality = q.to_dict()
            if q.obstructed:
                labels.add(LABEL_CAMERA_OBSTRUCTED)
            elif q.low_quality:
                labels.add(LABEL_LOW_QUALITY)
            bad_quality = not q.reliable
            lifted = q.enhanced
        bgr, upscale = upscale_low_resolution(bgr, cfg.upscale_min_side, cfg.upscale_max_factor)
        tock = time.perf_counter()
        timings["quality"] = (tock - tick) * 1000
        tick = tock

        found: list[Face] = []
        if cfg.faces_enabled:
            found, result.second_opinion_used = detect_faces(bgr, cfg.faces)
        if lifted and not found and not bad_quality:
            # A lifted dark frame shows faces well, but not small ones (d06 at 1/4 of the
            # light): an empty one is too uncertain to call the candidate absent.
            bad_quality = True
            labels.add(LABEL_LOW_QUALITY)
            result.quality = {**(result.quality or {}), "reliable": False, "low_quality": True}
        result.faces = _in_source_pixels(found, upscale)
        result.face_count = len(found)
        if cfg.faces_enabled and not found and not bad_quality:
            # A black, covered, dark or blurred frame is reported as such, not as an absence.
            labels.add(LABEL_NO_FACE)
        if len(found) >= 2:
            labels.add(LABEL_MULTIPLE_FACES)
        tock = time.perf_counter()
        timings["faces"] = (tock - tick) * 1000
        tick = tock

        align_points = None
        if cfg.pose_enabled and cfg.faces_enabled:
            if not found:
                result.attention = None if bad_quality else "away"
            else:
                mesh = estimate_pose_and_gaze(bgr, found[0], cfg.attention)
                if mesh is not None:
                    align_points = mesh.align_points
                    result.head_pose = mesh.pose.to_dict()
                    result.gaze = mesh.gaze.to_dict()
                    result.attention = mesh.attention
                elif not bad_quality:
                    # The mesh fits any face turned less than ~60 degrees; a detected face it
                    # cannot fit is a profile or half-hidden face: away from the screen.
                    result.gaze = {
                        "direction": direction_from_keypoints(found[0]),
                        "iris_x": None,
                        "iris_y": None,
                    }
                    result.attention = "away"
                if result.attention == "away":
                    labels.add(LABEL_LOOKING_AWAY)
        tock = time.perf_counter()
        timings["mesh_pose"] = (tock - tick) * 1000
        tick = tock

        wants_identity = enrolled_template is not None or want_embeddings
        if cfg.faces_enabled and cfg.identity_enabled and check_identity and wants_identity:
            result.identity_status = self._identity(
                bgr, found, align_points, enrolled_template, result, labels
            )
        tock = time.perf_counter()
        timings["identity"] = (tock - tick) * 1000
        timings["total"] = (tock - start) * 1000

        if bad_quality:
            # What the analyzers measured stays in the result; the flags do not.
            labels -= JUDGED_LABELS
        result.labels = sorted(labels)
        result.timings_ms = timings
        return result

    def _identity(
        self,
        bgr: np.ndarray,
        found: list[Face],
        align_points: np.ndarray | None,
        template: np.ndarray | None,
        result: FrameResult,
        labels: set[str],
    ) -> str:
        cfg = self.config
        if not found:
            return "no_face"
        candidates = found[: cfg.identity_max_faces]
        for index, face in enumerate(candidates):
            if face.w < cfg.identity_min_face_px:
                continue
            embedding = face_embedding(bgr, face, align_points if index == 0 else None)
            if embedding is not None:
                result.embeddings.append(embedding)
        if not result.embeddings:
            too_small = all(f.w < cfg.identity_min_face_px for f in candidates)
            return "face_too_small" if too_small else "unalignable"
        if template is None:
            return "not_checked"
        result.identity_similarity = max(cosine_similarity(e, template) for e in result.embeddings)
        if result.identity_similarity < cfg.identity_threshold:
            labels.add(LABEL_IDENTITY_MISMATCH)
            return "mismatch"
        return "matched"

    def enroll(self, images: list[bytes | np.ndarray]) -> EnrollmentResult:
        """Build an identity template from enrollment frames.

        Every frame must show exactly one usable face; otherwise the enrollment is refused
        with a reason naming the first bad frame, so the exam page can ask for a retake.
        """
        if not images:
            return EnrollmentResult(
                ok=False,
                error_reason="no_images",
                message="No enrollment images were sent.",
            )
        embeddings = []
        for index, image in enumerate(images):
            try:
                bgr = self._to_image(image)
            except MediaError as exc:
                return EnrollmentResult(
                    ok=False,
                    error_reason=exc.reason,
                    message=exc.message,
                    image_index=index,
                )
            bgr, q = gate(bgr, self.config.quality, enhance=self.config.enhance_dark)
            if q.obstructed:
                return EnrollmentResult(
                    ok=False,
                    error_reason="camera_obstructed",
                    message="The camera looks covered or black; uncover it and retake.",
                    image_index=index,
                )
            if q.low_quality:
                return EnrollmentResult(
                    ok=False,
                    error_reason="low_quality",
                    message="The picture is too dark, bright or blurred to recognise a face; "
                    "improve the light and retake.",
                    image_index=index,
                )
            bgr, _ = upscale_low_resolution(
                bgr, self.config.upscale_min_side, self.config.upscale_max_factor
            )
            found, _ = detect_faces(bgr, self.config.faces)
            if not found:
                return EnrollmentResult(
                    ok=False,
                    error_reason="no_face",
                    message="No face was found; face the camera in good light and retake.",
                    image_index=index,
                )
            if len(found) > 1:
                return EnrollmentResult(
                    ok=False,
                    error_reason="multiple_faces",
                    message=f"{len(found)} faces were found; only the candidate may be visible.",
                    image_index=index,
                )
            if found[0].w < self.config.identity_min_face_px:
                return EnrollmentResult(
                    ok=False,
                    error_reason="face_too_small",
                    message="The face is too small; sit closer to the camera and retake.",
                    image_index=index,
                )
            mesh = estimate_pose_and_gaze(bgr, found[0], self.config.attention)
            embedding = face_embedding(bgr, found[0], mesh.align_points if mesh else None)
            if embedding is None:
                return EnrollmentResult(
                    ok=False,
                    error_reason="face_not_usable",
                    message="The face could not be aligned; face the camera and retake.",
                    image_index=index,
                )
            embeddings.append(embedding)
        return EnrollmentResult(
            ok=True, template=build_template(embeddings), images_used=len(embeddings)
        )
