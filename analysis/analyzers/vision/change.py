"""Has a frame changed since the last one analysed in full? A small grey thumbnail says.

A still candidate sends near-identical frames every few seconds; running every model on each
of them repeats the same answer. The worker keeps the thumbnail of the session's last fully
analysed frame and compares each new frame with it: below ``CHANGE_THRESHOLD`` the new frame
is reported unchanged (with the matched frame's labels) instead of analysed again.

The thumbnail is 64x48 grey pixels (JPEG decoded at 1/8 scale, so it costs a fraction of a full
decode). The difference is the largest mean absolute difference over its 4x4-pixel cells (each
cell is ~40x40 pixels of a 640x480 frame), not the mean over the whole frame: a small, far face
leaving the picture changes a few cells completely and the rest not at all, which a whole-frame
mean would average away. Comparing with the last *fully analysed* frame (not the previous
frame) means slow drift adds up until it is analysed. The threshold is chosen on the shared
media set (``bench/frame_change.py``, docs/BENCHMARKS.md): below every measured state change
(a face leaving, far faces at 0.3x and 0.2x size, a second person, a head turn) with a margin.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np

THUMB_W, THUMB_H = 64, 48
CELL = 4
VERSION = "thumb64x48-cellmax-v1"
# Grey levels (0-255), largest cell mean absolute difference; see bench/frame_change.py.
CHANGE_THRESHOLD = 20.0


def thumbnail(image: bytes | np.ndarray) -> np.ndarray | None:
    """The 64x48 grey thumbnail of an encoded frame or a BGR array; None if undecodable."""
    if isinstance(image, np.ndarray):
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    else:
        buffer = np.frombuffer(image, dtype=np.uint8)
        # JPEG decodes at 1/8 scale in the DCT (cheap); PNG decodes fully, then shrinks.
        grey = cv2.imdecode(buffer, cv2.IMREAD_REDUCED_GRAYSCALE_8) if buffer.size else None
        if grey is None or min(grey.shape[:2]) < 8:
            grey = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE) if buffer.size else None
    if grey is None or not grey.size:
        return None
    return cv2.resize(grey, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest mean absolute grey difference over the thumbnails' 4x4 cells (0-255)."""
    if a.shape != b.shape:
        return 255.0
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).astype(np.float32)
    cells = diff.reshape(THUMB_H // CELL, CELL, THUMB_W // CELL, CELL).mean(axis=(1, 3))
    return float(cells.max())


def encode(thumb: np.ndarray) -> str:
    """A thumbnail as text for a JSON column (PNG, base64: ~2-3 kB)."""
    ok, data = cv2.imencode(".png", thumb)
    if not ok:  # pragma: no cover - a uint8 array always encodes
        raise ValueError("thumbnail could not be encoded")
    return base64.b64encode(data.tobytes()).decode("ascii")


def decode(text: str) -> np.ndarray | None:
    """The thumbnail stored by :func:`encode`; None when missing or corrupt."""
    try:
        data = np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8)
    except (ValueError, TypeError):
        return None
    thumb = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if thumb is None or thumb.shape != (THUMB_H, THUMB_W):
        return None
    return thumb
