"""Image quality: is the camera covered, too dark, overexposed or blurred?

A dark or covered camera must not be reported as the candidate leaving (``no_face``): the
pipeline uses this stage to replace ``no_face`` with ``camera_obstructed`` / ``low_quality``.
``estimate_noise`` measures sensor noise for the face detectors' fallback (``faces.py``): it
runs only on a frame where nothing was found, so ordinary frames never pay for it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

VERSION = "quality-2"

# Measured on a copy scaled to this long side: the statistics then do not depend on the upload
# resolution (the Laplacian variance in particular grows with resolution) and cost < 1 ms.
_ANALYSIS_LONG_SIDE = 320
# Noise is measured at the face detectors' own resolution (FaceDetectionConfig.max_side): the
# 320-px copy would average most of it away.
_NOISE_LONG_SIDE = 640
# Immerkaer's noise estimate (grey levels) from which a frame counts as noisy. On the shared
# photos letterboxed to 640x480 (docs/FAIRNESS.md): as taken and under every other degradation
# 0.0-4.8 (the highest: small frames, texture), Gaussian noise sigma 10 4.8-7.1, sigma 25
# 11.4-16.5, sigma 40 17.9-26.2 (clipping at 0 and 255 and the black letterbox keep it under
# the added sigma). At sigma 25 the detectors start losing faces (d01's profile); 9 sits in
# the middle of the gap between 7.1 and 11.4.
NOISY_SIGMA = 9.0
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def estimate_noise(image_bgr: np.ndarray) -> float:
    """Standard deviation of the sensor noise in grey levels (J. Immerkaer, "Fast noise
    variance estimation", 1996): a Laplacian-difference mask cancels smooth image structure,
    the mean absolute response scales to sigma. ~1 ms on a 640x480 frame."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    scale = _NOISE_LONG_SIDE / max(grey.shape)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if min(grey.shape) < 3:
        return 0.0
    response = cv2.filter2D(grey.astype(np.float32), -1, _NOISE_KERNEL)[1:-1, 1:-1]
    return float(math.sqrt(math.pi / 2) * float(np.abs(response).mean()) / 6.0)


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds on 8-bit grey levels of the 320-px copy. See docs/ANALYZERS.md, "Vision".

    On the 22 real photos of the shared media the ranges are: mean brightness 61-147,
    contrast (std) 29-103, Laplacian variance 70-1995, saturated fraction <= 0.17. The
    thresholds sit well outside those ranges so no real photo is flagged.
    """

    black_mean: float = 8.0  # lens covered or camera off: almost no light at all
    # A hand, tape or paper over the lens: one flat colour, i.e. a small spread both in grey
    # levels and relative to the brightness (a dim room at 1/8 of the light keeps its relative
    # spread: std/mean ~0.3-0.7 on the shared photos, a covered lens < 0.1).
    uniform_std: float = 10.0
    uniform_relative_std: float = 0.15
    dark_mean: float = 40.0
    # A dark frame is lifted by a gamma curve that takes its mean towards this level (gamma at
    # least ``min_gamma``; highlights never clip, unlike a linear gain on a frame with a lamp
    # or a white shirt in it) and measured again; below ``dark_floor_mean`` it is not trusted
    # whatever the lift gives.
    enhance_target_mean: float = 110.0
    min_gamma: float = 0.3
    dark_floor_mean: float = 10.0
    bright_mean: float = 220.0
    saturated_fraction: float = 0.5  # half the pixels clipped: pointed at a light/window
    blur_laplacian_var: float = 25.0


@dataclass
class QualityResult:
    brightness: float
    contrast: float
    sharpness: float
    saturated_fraction: float
    obstructed: bool
    issues: list[str]  # subset of: black, uniform, dark, overexposed, blurred
    # A dark frame the pipeline lifted (``gate``) and found usable after the lift: the
    # analyzers then judge it like any other frame.
    enhanced: bool = False
    reliable: bool | None = None  # None: not gated (plain ``assess_quality``)

    @property
    def low_quality(self) -> bool:
        if self.obstructed:
            return False
        return (not self.reliable) if self.reliable is not None else bool(self.issues)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["low_quality"] = self.low_quality
        return data


def assess_quality(
    image_bgr: np.ndarray, thresholds: QualityThresholds | None = None
) -> QualityResult:
    """Measure brightness (mean grey), contrast (grey std), sharpness (variance of the
    Laplacian) and the fraction of clipped pixels, and say whether the camera looks obstructed
    (black or one flat colour) or merely of low quality (dark, overexposed, blurred)."""
    t = thresholds or QualityThresholds()
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    scale = _ANALYSIS_LONG_SIDE / max(grey.shape)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mean, std = cv2.meanStdDev(grey)
    brightness, contrast = float(mean[0, 0]), float(std[0, 0])
    sharpness = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    saturated = float(np.count_nonzero(grey >= 250)) / grey.size

    issues: list[str] = []
    if brightness < t.black_mean:
        issues.append("black")
    if contrast < t.uniform_std and contrast < t.uniform_relative_std * max(brightness, 1.0):
        issues.append("uniform")
    obstructed = bool(issues)
    if not obstructed:
        if brightness < t.dark_mean:
            issues.append("dark")
        if brightness > t.bright_mean or saturated > t.saturated_fraction:
            issues.append("overexposed")
        if sharpness < t.blur_laplacian_var:
            issues.append("blurred")
    return QualityResult(
        brightness=round(brightness, 2),
        contrast=round(contrast, 2),
        sharpness=round(sharpness, 2),
        saturated_fraction=round(saturated, 4),
        obstructed=obstructed,
        issues=issues,
    )


def gate(
    image_bgr: np.ndarray, thresholds: QualityThresholds | None = None, *, enhance: bool = True
) -> tuple[np.ndarray, QualityResult]:
    """The quality gate: the image the analyzers should see and whether to trust them on it.

    A covered camera, an overexposed or blurred frame is unreliable: the pipeline then says
    ``camera_obstructed`` / ``low_quality`` and raises no other flag. A dark frame (not black)
    is lifted by a gamma curve and measured again; it is reliable when the lifted copy has no
    issue left and the original was not darker than ``dark_floor_mean``. On the shared photos
    that keeps frontal faces usable down to 1/4 of the light (see docs/FAIRNESS.md).
    """
    t = thresholds or QualityThresholds()
    q = assess_quality(image_bgr, t)
    if q.obstructed or q.issues != ["dark"] or not enhance:
        q.reliable = not q.issues
        return image_bgr, q
    gamma = math.log(t.enhance_target_mean / 255.0) / math.log(max(q.brightness, 1.0) / 255.0)
    gamma = min(1.0, max(t.min_gamma, gamma))
    table = np.array([((i / 255.0) ** gamma) * 255 for i in range(256)], dtype=np.uint8)
    lifted = cv2.LUT(image_bgr, table)
    after = assess_quality(lifted, t)
    q.enhanced = True
    q.reliable = not after.issues and q.brightness >= t.dark_floor_mean
    return lifted, q
