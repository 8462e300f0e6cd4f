"""Face detection: MediaPipe short-range + full-range, YuNet as an independent second opinion.

Why three detectors (observed on the shared media, see docs/ANALYZERS.md "Vision"):
- the short-range model misses small faces in group photos; the full-range model finds them
  but misses some large or turned faces the short-range model finds;
- both MediaPipe models fire on an apple (same training family, same mistake), so two
  MediaPipe detections agreeing is no evidence; YuNet is a different network and does not fire
  there, while it finds the most faces in groups but has its own weak false positives.
A face is accepted when a MediaPipe model and YuNet agree on it with a moderate mean
confidence, or when any one detector is strongly confident on its own.

Cascade (the cost, docs/BENCHMARKS.md): the short-range model runs first, alone; the
full-range model and YuNet run only when it is not sure (no face, or any face below
strong_confidence). On a webcam frame of one candidate the short-range model is sure, so
detection costs 2.6 instead of 9.0 ms of CPU; on every shared image the accepted faces give the
same evaluate_analyzers figures as running all three (docs/ANALYZERS.md).

Fallback, only when all of that accepted no face (so a frame with a face pays nothing): a
noisy frame (``quality.estimate_noise``) is searched again on a median-filtered copy with
the same detectors and rules; any other frame by YuNet on a copy enlarged 2x, a box accepted
alone at ``upscaled_confidence`` when narrower than ``upscaled_max_face_px``. Far-away faces
(5-15 px at 0.2-0.3 of their size, below what MediaPipe's 128/192-px inputs keep) and faces
drowned in sensor noise were reported as ``no_face`` before (docs/FAIRNESS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from analysis.analyzers.vision.models import get_model
from analysis.analyzers.vision.quality import NOISY_SIGMA, estimate_noise

VERSION = "faces-3(mp-short>mp-full+yunet-2023mar;empty>denoised|yunet-2x)"


@dataclass(frozen=True)
class FaceDetectionConfig:
    """Decision thresholds, chosen on the whole shared image set (docs/ANALYZERS.md).

    ``strong_confidence``: a detection accepted without confirmation. Real faces found by a
    single detector on the set score >= 0.86; detections of no face (apple, empty garage,
    crowd and background patches) score <= 0.78.
    """

    strong_confidence: float = 0.85
    # A MediaPipe and a YuNet detection of the same box: accepted when the mean of their two
    # confidences reaches this. Every real face on the set agrees at a mean >= 0.76; a blurred
    # crowd patch behind the two men in b04 agrees at 0.58 (MediaPipe) and 0.42-0.50 (YuNet).
    agreement_confidence: float = 0.7
    # Two detectors "agree" on a face when their boxes overlap this much (MediaPipe boxes are
    # tighter than YuNet's, so the IoU of the same face is often only 0.4-0.6), or when the
    # centre of one box lies inside the other.
    match_iou: float = 0.3
    # "auto": run YuNet only when MediaPipe is not sure (no face, or a face below
    # strong_confidence); "always"; "never".
    second_opinion: str = "auto"
    # Cascade: run ``first_detector`` alone and the other MediaPipe model only when it is not
    # sure (no face, or a face below strong_confidence), like YuNet. Off: both on every frame.
    cascade: bool = True
    first_detector: str = "mp_short"
    # Detection runs on a copy with this long side at most: MediaPipe letterboxes to 128/192 px
    # anyway, and YuNet's cost grows with the pixel count. At 480 px YuNet finds the same faces
    # as at 640 on every shared image (letterboxed to 640x480 or not) in ~55% of the time; at
    # 320 it loses faces in b04 and b06.
    max_side: int = 640
    yunet_max_side: int = 480
    # Fallback when nothing was accepted (see the module docstring), chosen on the shared
    # media degraded along every axis of docs/FAIRNESS.md (25 levels x 22 images):
    # - YuNet on the 2x copy finds the faces the first pass misses at 0.2-0.5 of their size
    #   6-27 px wide (in detection-copy pixels) at 0.83-0.94. In frames without a face it
    #   also fires: a 32-33 px box on the garage wall of c06 at 0.84-0.85 (as taken), and
    #   boxes under 30 px at up to 0.79 (c06 at JPEG 30, c02 at 0.76). The fallback is for
    #   faces too small for the first pass, so only boxes narrower than
    #   ``upscaled_max_face_px`` count, from ``upscaled_confidence`` (midway between 0.79 and
    #   0.83: a thin margin on a small set, see docs/FAIRNESS.md).
    # - A median-filtered noisy frame gives frames without a face at most 0.59 (YuNet) and
    #   0.58 (MediaPipe), under the first pass's rules, which apply unchanged.
    fallback: bool = True
    noisy_sigma: float = NOISY_SIGMA
    denoise_kernel: int = 5
    upscale_factor: int = 2
    upscaled_confidence: float = 0.81
    upscaled_max_face_px: int = 30


@dataclass
class Face:
    """One accepted face, in pixels of the analyzed image."""

    x: int
    y: int
    w: int
    h: int
    confidence: float
    source: str  # detectors that found it, joined by "+", e.g. "mp_full+yunet"
    # YuNet's 15-value row (box, 5 landmarks, score) in image pixels, when YuNet found this
    # face: SFace aligns the face crop with it.
    yunet_row: np.ndarray | None = field(default=None, repr=False)
    # Eyes (image-left first) and nose tip, 3x2 pixels: a coarse head-turn cue when the face
    # mesh cannot fit (profiles).
    keypoints: np.ndarray | None = field(default=None, repr=False)

    @property
    def area(self) -> int:
        return self.w * self.h

    def to_dict(self) -> dict[str, object]:
        return {
            "x": self.x,
            "y": self.y,
            "w": self.w,
            "h": self.h,
            "confidence": round(self.confidence, 4),
            "source": self.source,
        }


@dataclass
class _Candidate:
    box: np.ndarray  # x, y, w, h as float, in pixels of the detection copy
    confidence: float
    source: str
    yunet_row: np.ndarray | None = None
    keypoints: np.ndarray | None = None  # eyes (image-left first), nose; detection-copy pixels


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _centre_inside(a: np.ndarray, b: np.ndarray) -> bool:
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return bool(b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3])


def _same_face(a: np.ndarray, b: np.ndarray, match_iou: float) -> bool:
    if _iou(a, b) >= match_iou:
        return True
    # Containment only counts between boxes of similar size: a big false box around a group
    # must not swallow the small faces inside it.
    ratio = (a[2] * a[3]) / max(b[2] * b[3], 1e-6)
    return 0.25 <= ratio <= 4.0 and (_centre_inside(a, b) or _centre_inside(b, a))


def _mediapipe(name: str, rgb: np.ndarray) -> list[_Candidate]:
    model, lock = get_model(name)
    with lock:
        result = model.process(rgb)
    height, width = rgb.shape[:2]
    out = []
    for detection in result.detections or []:
        rel = detection.location_data.relative_bounding_box
        box = np.array(
            [
                rel.xmin * width,
                rel.ymin * height,
                rel.width * width,
                rel.height * height,
            ],
            dtype=np.float64,
        )
        # MediaPipe keypoints: right eye, left eye, nose tip, mouth, ears.
        kps = detection.location_data.relative_keypoints
        points = np.array([(kps[i].x * width, kps[i].y * height) for i in range(3)])
        out.append(_Candidate(box, float(detection.score[0]), name, None, _eyes_sorted(points)))
    return out


def _yunet(bgr: np.ndarray, max_side: int) -> list[_Candidate]:
    scale = min(1.0, max_side / max(bgr.shape[:2]))
    if scale < 1.0:
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    model, lock = get_model("yunet")
    height, width = bgr.shape[:2]
    with lock:
        model.setInputSize((width, height))
        _, rows = model.detect(bgr)
    if rows is None:
        return []
    candidates = []
    for row in rows:
        row = row.copy()
        row[:14] /= scale
        candidates.append(
            _Candidate(
                row[:4].astype(np.float64),
                float(row[14]),
                "yunet",
                row,
                _eyes_sorted(row[4:10].reshape(3, 2).astype(np.float64)),
            )
        )
    return candidates


def _eyes_sorted(points: np.ndarray) -> np.ndarray:
    # Detectors name eyes from different points of view; order them by image x instead.
    if points[0, 0] > points[1, 0]:
        points = points[[1, 0, 2]]
    return points


def _plausible(candidates: list[_Candidate]) -> list[_Candidate]:
    # On noise images only a few pixels tall the detectors have returned infinite boxes; drop
    # anything that is not a finite box of positive size.
    return [
        c
        for c in candidates
        if np.all(np.isfinite(c.box))
        and c.box[2] > 0
        and c.box[3] > 0
        and (c.keypoints is None or np.all(np.isfinite(c.keypoints)))
    ]


def _group(candidates: list[_Candidate], match_iou: float) -> list[list[_Candidate]]:
    # Greedy clustering, most confident first, like NMS but keeping the members so we know
    # which detectors agreed.
    groups: list[list[_Candidate]] = []
    for cand in sorted(candidates, key=lambda c: c.confidence, reverse=True):
        for group in groups:
            if _same_face(cand.box, group[0].box, match_iou):
                group.append(cand)
                break
        else:
            groups.append([cand])
    return groups


def _all_strong(candidates: list[_Candidate], cfg: FaceDetectionConfig) -> bool:
    groups = _group(candidates, cfg.match_iou)
    return bool(groups) and all(g[0].confidence >= cfg.strong_confidence for g in groups)


def _candidates(small: np.ndarray, cfg: FaceDetectionConfig) -> tuple[list[_Candidate], bool]:
    """The three detectors' plausible boxes on the detection copy (the cascade), and whether
    YuNet ran."""
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    if cfg.cascade:
        candidates = _plausible(_mediapipe(cfg.first_detector, rgb))
        if not _all_strong(candidates, cfg):
            other = "mp_short" if cfg.first_detector == "mp_full" else "mp_full"
            candidates += _plausible(_mediapipe(other, rgb))
    else:
        candidates = _plausible(_mediapipe("mp_short", rgb) + _mediapipe("mp_full", rgb))

    mp_sure = _all_strong(candidates, cfg)
    run_yunet = cfg.second_opinion == "always" or (cfg.second_opinion == "auto" and not mp_sure)
    if run_yunet:
        candidates += _plausible(_yunet(small, cfg.yunet_max_side))
    return candidates, run_yunet


def _upscaled_yunet(small: np.ndarray, cfg: FaceDetectionConfig) -> list[_Candidate]:
    """YuNet on the detection copy enlarged ``upscale_factor`` x, boxes in detection-copy
    pixels, tagged ``yunet@2x``: it alone sees faces too small for the first pass."""
    factor = cfg.upscale_factor
    big = cv2.resize(small, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    found = []
    for cand in _plausible(_yunet(big, max(big.shape[:2]))):
        if cand.box[2] / factor >= cfg.upscaled_max_face_px:
            continue
        row = cand.yunet_row.copy()
        row[:14] /= factor
        found.append(
            _Candidate(
                cand.box / factor,
                cand.confidence,
                f"yunet@{factor}x",
                row,
                cand.keypoints / factor if cand.keypoints is not None else None,
            )
        )
    return found


def _accepted(
    candidates: list[_Candidate],
    cfg: FaceDetectionConfig,
    scale: float,
    size: tuple[int, int],
    alone: float,
) -> list[Face]:
    """The faces the rules accept among ``candidates``, in pixels of the analyzed image: a
    MediaPipe and a YuNet box agreeing at ``agreement_confidence``, or one box at ``alone``."""
    width, height = size
    faces: list[Face] = []
    for group in _group(candidates, cfg.match_iou):
        sources = {c.source for c in group}
        confidence = max(c.confidence for c in group)
        best_yunet = max((c.confidence for c in group if c.source.startswith("yunet")), default=0.0)
        best_mp = max(
            (c.confidence for c in group if not c.source.startswith("yunet")), default=0.0
        )
        agreed = best_yunet > 0 and best_mp > 0
        agreed = agreed and (best_yunet + best_mp) / 2 >= cfg.agreement_confidence
        if not (agreed or confidence >= alone):
            continue
        yunet_member = next((c for c in group if c.source.startswith("yunet")), None)
        best = yunet_member or group[0]
        box = best.box / scale
        row = None
        if yunet_member is not None and yunet_member.yunet_row is not None:
            row = yunet_member.yunet_row.copy()
            row[:14] /= scale
        x0, y0 = max(0, round(float(box[0]))), max(0, round(float(box[1])))
        x1 = min(width, round(float(box[0] + box[2])))
        y1 = min(height, round(float(box[1] + box[3])))
        if x1 <= x0 or y1 <= y0:
            continue
        keypoints = best.keypoints / scale if best.keypoints is not None else None
        faces.append(
            Face(
                x=x0,
                y=y0,
                w=x1 - x0,
                h=y1 - y0,
                confidence=confidence,
                source="+".join(sorted(sources)),
                yunet_row=row,
                keypoints=keypoints,
            )
        )
    return faces


def detect_faces(
    image_bgr: np.ndarray, config: FaceDetectionConfig | None = None
) -> tuple[list[Face], bool]:
    """Find the faces in a BGR image.

    Returns the accepted faces, largest first (boxes in pixels of ``image_bgr``), and whether
    the YuNet second opinion ran. When nothing is accepted the fallback (module docstring)
    searches once more; a face found there has ``denoised`` or ``yunet@2x`` in its source.
    """
    cfg = config or FaceDetectionConfig()
    height, width = image_bgr.shape[:2]
    scale = min(1.0, cfg.max_side / max(height, width))
    small = (
        image_bgr
        if scale == 1.0
        else cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    candidates, run_yunet = _candidates(small, cfg)
    faces = _accepted(candidates, cfg, scale, (width, height), cfg.strong_confidence)
    if not faces and cfg.fallback:
        if estimate_noise(small) >= cfg.noisy_sigma:
            # Noise, not distance: enlarging would enlarge the noise. The same detectors and
            # rules on a median-filtered copy (keeps edges, removes most of the grain).
            candidates, _ = _candidates(cv2.medianBlur(small, cfg.denoise_kernel), cfg)
            faces = _accepted(candidates, cfg, scale, (width, height), cfg.strong_confidence)
            for face in faces:
                face.source += "+denoised"
        else:
            candidates = _upscaled_yunet(small, cfg)
            faces = _accepted(candidates, cfg, scale, (width, height), cfg.upscaled_confidence)
        run_yunet = True
    faces.sort(key=lambda f: f.area, reverse=True)
    return faces, run_yunet
