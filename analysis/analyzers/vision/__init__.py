"""Vision analyzers: faces, head pose and gaze, identity, image quality.

Plain Python (no Django). A worker creates one :class:`FramePipeline` (models are shared per
process; call :func:`preload` at start-up so the first frame is not slow) and calls
``analyze(jpeg_bytes, enrolled_template=..., check_identity=...)`` per frame and
``enroll([...])`` once per session.
"""

from __future__ import annotations

from analysis.analyzers.vision.decode import decode_image
from analysis.analyzers.vision.identity import SFACE_COSINE_THRESHOLD, cosine_similarity
from analysis.analyzers.vision.models import preload
from analysis.analyzers.vision.pipeline import (
    LABEL_CAMERA_OBSTRUCTED,
    LABEL_IDENTITY_MISMATCH,
    LABEL_LOOKING_AWAY,
    LABEL_LOW_QUALITY,
    LABEL_MULTIPLE_FACES,
    LABEL_NO_FACE,
    VERSION,
    VERSIONS,
    EnrollmentResult,
    FramePipeline,
    FrameResult,
    VisionConfig,
)

__all__ = [
    "LABEL_CAMERA_OBSTRUCTED",
    "LABEL_IDENTITY_MISMATCH",
    "LABEL_LOOKING_AWAY",
    "LABEL_LOW_QUALITY",
    "LABEL_MULTIPLE_FACES",
    "LABEL_NO_FACE",
    "SFACE_COSINE_THRESHOLD",
    "VERSION",
    "VERSIONS",
    "EnrollmentResult",
    "FramePipeline",
    "FrameResult",
    "VisionConfig",
    "cosine_similarity",
    "decode_image",
    "preload",
]
