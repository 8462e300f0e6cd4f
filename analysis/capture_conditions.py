"""Fairness audit by capture condition (plain Python, no Django).

Skin-tone bias in face analysis shows up as faces missed in poor light; skin tone cannot be
labelled honestly here, but the capture conditions that drive it can be measured. This module
degrades real frames along one axis at a time and reports, per level, what the analyzers say:
face-present rate, enrollment accepted, identity same-person and stranger rates, looking-away
false alarms, false flags, and how often the result says ``low_quality`` instead. A flag
raised on a frame the quality gate calls unreliable is counted as a defect.

    .venv/bin/python bench/fairness.py            # the table in docs/FAIRNESS.md
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from analysis.analyzers.vision.identity import cosine_similarity
from analysis.analyzers.vision.pipeline import FramePipeline, FrameResult
from analysis.evaluation import parse_labels

FLAGS = {"no_face", "multiple_faces", "looking_away", "identity_mismatch"}
QUALITY_SAYS = {"low_quality", "camera_obstructed"}


def webcam_frame(image: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The photo letterboxed into a webcam frame, as the exam page would capture it."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return canvas


def brightness(frame: np.ndarray, factor: float) -> np.ndarray:
    return np.clip(frame.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def contrast(frame: np.ndarray, factor: float) -> np.ndarray:
    mean = frame.reshape(-1, 3).mean(axis=0)
    return np.clip((frame.astype(np.float32) - mean) * factor + mean, 0, 255).astype(np.uint8)


def noise(frame: np.ndarray, sigma: float) -> np.ndarray:
    rng = np.random.default_rng(int(sigma * 10))
    noisy = frame.astype(np.float32) + rng.normal(0, sigma, frame.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def blur(frame: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma) if sigma > 0 else frame


def jpeg(frame: np.ndarray, quality: float) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def resolution(frame: np.ndarray, width: float) -> np.ndarray:
    """The whole webcam frame at a lower resolution (176 -> 176x144 QCIF, letterboxed)."""
    height = int(round(width * 144 / 176)) if width == 176 else int(round(width * 3 / 4))
    return cv2.resize(frame, (int(width), height), interpolation=cv2.INTER_AREA)


def distance(frame: np.ndarray, factor: float) -> np.ndarray:
    """The person further from the camera: the scene shrunk by ``factor`` in the same frame."""
    if factor >= 1:
        return frame
    small = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    # A plain wall of the frame's mean colour behind: a blurred copy of the scene would keep a
    # large blurred face of the same person for the detectors to find.
    canvas = np.empty_like(frame)
    canvas[:] = frame.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    y0 = (frame.shape[0] - small.shape[0]) // 2
    x0 = (frame.shape[1] - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return canvas


@dataclass(frozen=True)
class Axis:
    name: str
    levels: tuple[float, ...]
    apply: Callable[[np.ndarray, float], np.ndarray]
    unit: str = ""


AXES: tuple[Axis, ...] = (
    Axis("brightness", (1.0, 0.5, 0.25, 0.125), brightness, "x light"),
    Axis("contrast", (1.0, 0.5, 0.25), contrast, "x contrast"),
    Axis("noise", (0.0, 10.0, 25.0, 40.0), noise, "sigma"),
    Axis("blur", (0.0, 1.5, 3.0, 6.0), blur, "sigma px"),
    Axis("jpeg", (95.0, 30.0, 10.0), jpeg, "quality"),
    Axis("resolution", (640.0, 320.0, 176.0), resolution, "px wide"),
    Axis("distance", (1.0, 0.5, 0.3, 0.2), distance, "x size"),
)


@dataclass
class Photo:
    path: str
    labels: dict[str, str]
    frame: np.ndarray

    @property
    def has_face(self) -> bool:
        return self.labels.get("face_present") == "1"

    @property
    def single(self) -> bool:
        return self.has_face and self.labels.get("multiple_faces") == "0"

    @property
    def frontal(self) -> bool:
        return self.single and self.labels.get("attention") == "screen"

    @property
    def person(self) -> str:
        return self.labels.get("person", "")


def load_photos(manifest: Path) -> list[Photo]:
    """Every image of the manifest as a 640x480 webcam frame."""
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "image"]
    photos = []
    for row in rows:
        image = cv2.imread(str(manifest.parent / row["path"]), cv2.IMREAD_COLOR)
        if image is not None:
            photos.append(Photo(row["path"], parse_labels(row["labels"]), webcam_frame(image)))
    return photos


@dataclass
class LevelReport:
    axis: str
    level: float
    frames: int = 0
    face_frames: int = 0
    face_found: int = 0
    enroll_tried: int = 0
    enroll_ok: int = 0
    same_tried: int = 0
    same_matched: int = 0
    same_mismatch_flag: int = 0
    stranger_tried: int = 0
    stranger_matched: int = 0
    frontal_frames: int = 0
    looking_away_false: int = 0
    false_flags: int = 0
    low_quality_said: int = 0
    unreliable_with_flag: int = 0
    refusals: dict[str, int] = field(default_factory=dict)

    def rates(self) -> dict[str, float | int | None]:
        def rate(a: int, b: int) -> float | None:
            return None if b == 0 else round(a / b, 3)

        return {
            "face_present": rate(self.face_found, self.face_frames),
            "enroll_accepted": rate(self.enroll_ok, self.enroll_tried),
            "same_person_matched": rate(self.same_matched, self.same_tried),
            "stranger_matched": rate(self.stranger_matched, self.stranger_tried),
            "looking_away_false_alarm": rate(self.looking_away_false, self.frontal_frames),
            "false_flags": self.false_flags,
            "low_quality_said": self.low_quality_said,
            "flag_on_unreliable": self.unreliable_with_flag,
        }


def _false_flags(photo: Photo, result: FrameResult) -> set[str]:
    labels = set(result.labels)
    wrong = set()
    if photo.has_face and "no_face" in labels:
        wrong.add("no_face")
    if photo.single and "multiple_faces" in labels:
        wrong.add("multiple_faces")
    if photo.labels.get("attention") == "screen" and "looking_away" in labels:
        wrong.add("looking_away")
    if not photo.has_face and "multiple_faces" in labels:
        wrong.add("multiple_faces")
    return wrong


def audit_level(
    pipeline: FramePipeline, photos: list[Photo], axis: Axis, level: float
) -> LevelReport:
    """Analyze every photo degraded to ``level`` on ``axis``; enroll and match the people."""
    report = LevelReport(axis.name, level)
    templates = {}
    for photo in photos:
        if photo.frontal and photo.person and photo.person not in templates:
            clean = pipeline.enroll([photo.frame])
            if clean.ok:
                templates[photo.person] = clean.template
    for photo in photos:
        degraded = axis.apply(photo.frame, level)
        result = pipeline.analyze(degraded, want_embeddings=bool(photo.person))
        labels = set(result.labels)
        report.frames += 1
        said_quality = bool(labels & QUALITY_SAYS)
        report.low_quality_said += said_quality
        if said_quality and labels & FLAGS:
            report.unreliable_with_flag += 1
        if photo.has_face:
            report.face_frames += 1
            report.face_found += result.face_count > 0
        if photo.frontal:
            report.frontal_frames += 1
            report.looking_away_false += "looking_away" in labels
            report.enroll_tried += 1
            enrolled = pipeline.enroll([degraded])
            report.enroll_ok += enrolled.ok
            if not enrolled.ok:
                reason = enrolled.error_reason or "?"
                report.refusals[reason] = report.refusals.get(reason, 0) + 1
        report.false_flags += len(_false_flags(photo, result))
        if photo.single and photo.person and photo.person in templates:
            checked = pipeline.analyze(degraded, enrolled_template=templates[photo.person])
            report.same_tried += 1
            report.same_matched += checked.identity_status == "matched"
            report.same_mismatch_flag += "identity_mismatch" in checked.labels
            report.false_flags += "identity_mismatch" in checked.labels
            if set(checked.labels) & QUALITY_SAYS and "identity_mismatch" in checked.labels:
                report.unreliable_with_flag += 1
        if photo.single and result.embeddings:
            threshold = pipeline.config.identity_threshold
            for person, template in templates.items():
                if person != photo.person:
                    report.stranger_tried += 1
                    similarity = cosine_similarity(result.embeddings[0], template)
                    report.stranger_matched += similarity >= threshold
    return report


def audit(
    manifest: Path, axes: tuple[Axis, ...] = AXES, pipeline: FramePipeline | None = None
) -> list[LevelReport]:
    pipeline = pipeline or FramePipeline()
    photos = load_photos(manifest)
    return [audit_level(pipeline, photos, axis, level) for axis in axes for level in axis.levels]


# --------------------------------------------------------------------------- production buckets

BRIGHTNESS_BUCKETS = ((40.0, "dark (<40)"), (80.0, "dim (40-80)"), (180.0, "normal (80-180)"))
FACE_BUCKETS = ((56.0, "small face (<56 px)"), (120.0, "medium face (56-120 px)"))
RESOLUTION_BUCKETS = ((240, "low (<240 px)"), (480, "medium (240-479 px)"))
NO_FRAME = "no frame evidence"


def capture_buckets(
    *,
    brightness: float | None,
    face_px: float | None,
    frame_width: int | None,
    frame_height: int | None,
) -> dict[str, str]:
    """The capture-condition bucket of a frame (or an incident's evidence) on each dimension."""
    if brightness is None and not frame_width:
        return {"brightness": NO_FRAME, "face_size": NO_FRAME, "resolution": NO_FRAME}
    light = "bright (>=180)"
    for limit, name in BRIGHTNESS_BUCKETS:
        if brightness is not None and brightness < limit:
            light = name
            break
    if brightness is None:
        light = "unknown"
    face = "no face found" if not face_px else "large face (>=120 px)"
    for limit, name in FACE_BUCKETS:
        if face_px and face_px < limit:
            face = name
            break
    shorter = min(frame_width or 0, frame_height or 0)
    res = "high (>=480 px)" if shorter else "unknown"
    for limit, name in RESOLUTION_BUCKETS:
        if shorter and shorter < limit:
            res = name
            break
    return {"brightness": light, "face_size": face, "resolution": res}


def proportion_interval(
    successes: int, n: int, *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float | None, float | None]:
    """Bootstrap percentile interval of a rate (resampling n Bernoulli items = binomial draws)."""
    if n == 0:
        return None, None
    rng = np.random.default_rng(seed)
    draws = rng.binomial(n, successes / n, resamples) / n
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def difference_interval(
    a: tuple[int, int],
    b: tuple[int, int],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Bootstrap interval of rate(a) - rate(b) for two independent groups (successes, n)."""
    if a[1] == 0 or b[1] == 0:
        return None, None
    rng = np.random.default_rng(seed)
    draws = (
        rng.binomial(a[1], a[0] / a[1], resamples) / a[1]
        - rng.binomial(b[1], b[0] / b[1], resamples) / b[1]
    )
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)
