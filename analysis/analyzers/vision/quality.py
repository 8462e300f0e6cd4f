"""Image quality: is the camera covered, too dark, overexposed or blurred?

A dark or covered camera must not be reported as the candidate leaving (``no_face``): the
pipeline uses this stage to replace ``no_face`` with ``camera_obstructed`` / ``low_quality``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

VERSION = "quality-1"

# Measured on a copy scaled to this long side: the statistics then do not depend on the upload
# resolution (the Laplacian variance in particular grows with resolution) and cost < 1 ms.
_ANALYSIS_LONG_SIDE = 320


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds on 8-bit grey levels of the 320-px copy. See docs/ANALYZERS.md, "Vision".

    On the 22 real photos of the shared media the ranges are: mean brightness 61-147,
    contrast (std) 29-103, Laplacian variance 70-1995, saturated fraction <= 0.17. The
    thresholds sit well outside those ranges so no real photo is flagged.
    """

    black_mean: float = 20.0  # lens covered or camera off: almost no light at all
    uniform_std: float = 10.0  # a hand, tape or paper over the lens: one flat colour
    dark_mean: float = 40.0
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

    @property
    def low_quality(self) -> bool:
        return not self.obstructed and bool(self.issues)

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
    if contrast < t.uniform_std:
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
