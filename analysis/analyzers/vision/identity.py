"""Identity: SFace embeddings of aligned face crops, compared by cosine similarity."""

from __future__ import annotations

import cv2
import numpy as np

from analysis.analyzers.vision.faces import Face
from analysis.analyzers.vision.models import get_model

VERSION = "identity-1(sface-2021dec-int8bq)"

# SFace's published cosine threshold (OpenCV model zoo, LFW): at or above it two faces are the
# same person. On the shared media every same-person pair scores above it and every
# different-person pair below it (docs/ANALYZERS.md "Vision" lists the margins).
SFACE_COSINE_THRESHOLD = 0.363

_CROP_MARGIN = 2.0
_CROP_SIDE = 320


def _normalised(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _yunet_row_for(image_bgr: np.ndarray, face: Face) -> np.ndarray | None:
    # The face was found without YuNet (MediaPipe was sure) and has no mesh: run YuNet on a crop
    # around it to get the five landmarks SFace aligns with. Cheap: the crop is small.
    height, width = image_bgr.shape[:2]
    side = max(face.w, face.h) * _CROP_MARGIN
    cx, cy = face.x + face.w / 2, face.y + face.h / 2
    x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    x1, y1 = min(width, int(cx + side / 2)), min(height, int(cy + side / 2))
    crop = image_bgr[y0:y1, x0:x1]
    scale = min(1.0, _CROP_SIDE / max(crop.shape[:2]))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    model, lock = get_model("yunet")
    with lock:
        model.setInputSize((crop.shape[1], crop.shape[0]))
        _, rows = model.detect(crop)
    if rows is None:
        return None
    row = max(rows, key=lambda r: r[2] * r[3]).copy()
    row[:14] /= scale
    row[0:14:2] += x0
    row[1:14:2] += y0
    return row


def face_embedding(
    image_bgr: np.ndarray, face: Face, align_points: np.ndarray | None = None
) -> np.ndarray | None:
    """L2-normalised SFace embedding (128 floats) of ``face``, or None if it cannot be aligned.

    Alignment uses, in order of preference: YuNet's landmarks for this face, the five points
    given in ``align_points`` (eyes, nose, mouth corners, e.g. from the face mesh), or a YuNet
    run on a crop around the face.
    """
    row = face.yunet_row
    if row is None and align_points is not None:
        row = np.zeros(15, dtype=np.float32)
        row[:4] = (face.x, face.y, face.w, face.h)
        row[4:14] = np.asarray(align_points, dtype=np.float32).ravel()
        row[14] = face.confidence
    if row is None:
        row = _yunet_row_for(image_bgr, face)
    if row is None:
        return None
    model, lock = get_model("sface")
    with lock:
        aligned = model.alignCrop(image_bgr, np.asarray(row, dtype=np.float32).reshape(1, 15))
        feature = model.feature(aligned)
    return _normalised(feature)


def build_template(embeddings: list[np.ndarray]) -> np.ndarray:
    """Enrollment template: the re-normalised mean of normalised embeddings (averaging several
    frames smooths out one frame's pose and lighting)."""
    if not embeddings:
        raise ValueError("no embeddings to build a template from")
    return _normalised(np.mean([_normalised(e) for e in embeddings], axis=0))


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings/templates, in [-1, 1]."""
    return float(_normalised(a) @ _normalised(b))
