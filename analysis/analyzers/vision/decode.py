"""Turn uploaded image bytes into a BGR array, refusing bad or hostile input early."""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from PIL import Image

from analysis.analyzers.errors import MediaError

VERSION = "decode-1"

# Formats a browser can send from a canvas or a webcam capture. Anything else (GIF, TIFF, PDF...)
# is refused rather than handed to a decoder we never test.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 4096 * 4096

_JPEG_SOS = b"\xff\xda"
_JPEG_EOI = b"\xff\xd9"


def _jpeg_is_complete(data: bytes) -> bool:
    # 0xFFD9 cannot occur inside entropy-coded data (0xFF is byte-stuffed there), so a complete
    # JPEG has an end-of-image marker after its last start-of-scan. Comparing with the *last*
    # SOS keeps an EXIF thumbnail's own EOI from hiding a truncated main image.
    return data.rfind(_JPEG_EOI) > data.rfind(_JPEG_SOS) >= 0


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode JPEG/PNG/WebP bytes into a ``uint8`` BGR array of shape (h, w, 3).

    Raises :class:`MediaError` with a stable ``reason``:
    ``empty`` (no bytes), ``too_large`` (more than ``max_bytes``), ``not_an_image`` (unknown or
    unsupported format), ``too_many_pixels`` (header dimensions above ``max_pixels``: checked
    from the header before any pixel is decoded, so a decompression bomb costs nothing),
    ``truncated`` (the file ends before the image does) and ``undecodable`` (a header that
    parses but pixels that do not).
    """
    if not data:
        raise MediaError("empty", "The image is empty.")
    if len(data) > max_bytes:
        raise MediaError(
            "too_large",
            f"The image is {len(data)} bytes; the limit is {max_bytes} bytes.",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and above 2x its own limit raises) on huge headers; we apply our own
            # lower limit just below, so its warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:
                image_format = header.format
                width, height = header.size
    except Image.DecompressionBombError as exc:
        raise MediaError(
            "too_many_pixels", f"The image header claims too many pixels: {exc}"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError("not_an_image", "The data is not a readable image.") from exc
    if image_format not in ACCEPTED_FORMATS:
        raise MediaError(
            "not_an_image",
            f"Unsupported image format {image_format}; send JPEG, PNG or WebP.",
        )
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise MediaError(
            "too_many_pixels",
            f"The image is {width}x{height}; the limit is {max_pixels} pixels.",
        )
    if image_format == "JPEG" and not _jpeg_is_complete(data):
        raise MediaError("truncated", "The JPEG image is truncated (no end-of-image marker).")
    if image_format == "PNG" and b"IEND" not in data[-64:]:
        raise MediaError("truncated", "The PNG image is truncated (no IEND chunk).")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        reason = "truncated" if image_format == "PNG" else "undecodable"
        raise MediaError(reason, "The image data could not be decoded.")
    # imdecode applies EXIF orientation, which may swap width and height.
    if sorted(image.shape[:2]) != sorted((height, width)):
        raise MediaError("undecodable", "The decoded image does not match its header.")
    return image
