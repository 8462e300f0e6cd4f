#!/usr/bin/env python
"""Choose the unchanged-frame threshold on the whole shared media set (issue 14).

Prints the thumbnail difference (``analysis/analyzers/vision/change.py``) for two families of
frame pairs, all 640x480 JPEG q85 as the exam page sends them:

- same state (what may be skipped): every pair of frames of the webcam clip V_video/v01 up to
  ``--max-gap`` frames apart, and the frames of V_video/v02 before the face leaves (2.7 s);
- state changes (what must never be skipped), built from the real media:
  * face leaves: v02 across 2.7 s; each v01 frame against itself with the face painted out
    (``cv2.inpaint`` over the detected head box: a smear of the surrounding colours, which is
    *closer* to the face than a real background would be, so the test is conservative), with
    the candidate at full size and scaled to 0.5x, 0.3x and 0.2x (far faces);
  * second person: each v01 frame with a face from A_single_frontal_face pasted beside the
    candidate at the candidate's face size, 0.5x and 0.3x of it;
  * head turn: the candidate's head region replaced by the same region shifted sideways (the
    face turned off-centre) and each still of D_head_not_frontal against the v01 frame it
    would replace (a different scene: an upper bound only).
  * the still photos against each other (face / no face / group / turned head).

Then it reports, per threshold, how many same-state pairs fall below it (skipped) and how many
state changes do (must be 0). The chosen threshold is the largest one that keeps every state
change above it with a 2x margin.

    .venv/bin/python bench/frame_change.py --media ../shared/media
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.analyzers.vision import change  # noqa: E402
from analysis.capture_conditions import webcam_frame  # noqa: E402

W, H = 640, 480


def jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def thumb(image: np.ndarray) -> np.ndarray:
    out = change.thumbnail(jpeg(image))
    assert out is not None
    return out


def video(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(webcam_frame(frame))
    capture.release()
    return frames, fps


def face_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    from analysis.analyzers.vision.faces import FaceDetectionConfig, detect_faces
    from analysis.runner import import_mediapipe_without_tensorflow

    import_mediapipe_without_tensorflow()
    found, _ = detect_faces(image, FaceDetectionConfig())
    if not found:
        return None
    face = found[0]
    return int(face.x), int(face.y), int(face.w), int(face.h)


_PIPELINE = None


def frame_labels(image: np.ndarray) -> tuple[str, ...]:
    global _PIPELINE
    if _PIPELINE is None:
        from analysis.analyzers.vision.pipeline import FramePipeline
        from analysis.runner import import_mediapipe_without_tensorflow

        import_mediapipe_without_tensorflow()
        _PIPELINE = FramePipeline()
    result = _PIPELINE.analyze(jpeg(image), check_identity=False)
    return tuple(sorted(result.labels))


def head_region(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, ...]:
    x, y, w, h = box
    x0, y0 = max(0, int(x - 0.4 * w)), max(0, int(y - 0.6 * h))
    x1, y1 = min(shape[1], int(x + 1.4 * w)), min(shape[0], int(y + 1.5 * h))
    return x0, y0, x1, y1


def paint_out(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = head_region(box, image.shape)
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return cv2.inpaint(image, mask, 9, cv2.INPAINT_TELEA)


def far(image: np.ndarray, background: np.ndarray, scale: float) -> np.ndarray:
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = background.copy()
    y0, x0 = (H - small.shape[0]) // 2, (W - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def paste(image: np.ndarray, face: np.ndarray, width: int, x: int, y: int) -> np.ndarray:
    scaled = cv2.resize(face, (width, int(face.shape[0] * width / face.shape[1])))
    out = image.copy()
    h, w = scaled.shape[:2]
    h, w = min(h, H - y), min(w, W - x)
    out[y : y + h, x : x + w] = scaled[:h, :w]
    return out


def summary(values: list[float]) -> str:
    a = np.asarray(values)
    return (
        f"n={a.size} min={a.min():.2f} p50={np.median(a):.2f} p95={np.percentile(a, 95):.2f} "
        f"p99={np.percentile(a, 99):.2f} max={a.max():.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument("--max-gap", type=int, default=71, help="v01 frames apart, at most")
    args = parser.parse_args()
    media: Path = args.media

    v01, _ = video(media / "V_video/v01_pyfeat_single_face_webcam.mp4")
    v02, fps02 = video(media / "V_video/v02_pyfeat_face_then_noface.mov")
    t01 = [thumb(f) for f in v01]
    same: dict[str, list[float]] = {"v01 pairs": [], "v02 face part": []}
    # The pipeline's own labels on every video frame: a pair that would be skipped must have
    # the same labels (else skipping it would hide a change the analyzers see).
    labels01 = [frame_labels(f) for f in v01]
    labelled_pairs: list[tuple[float, bool]] = []
    for i, j in combinations(range(len(v01)), 2):
        if j - i <= args.max_gap:
            d = change.difference(t01[i], t01[j])
            same["v01 pairs"].append(d)
            labelled_pairs.append((d, labels01[i] == labels01[j]))
    leave_at = int(2.7 * fps02)
    t02 = [thumb(f) for f in v02]
    labels02 = [frame_labels(f) for f in v02]
    face_part = t02[: max(0, leave_at - 5)]
    for i, j in combinations(range(len(face_part)), 2):
        same["v02 face part"].append(change.difference(face_part[i], face_part[j]))
    for i, j in combinations(range(len(v02)), 2):
        labelled_pairs.append((change.difference(t02[i], t02[j]), labels02[i] == labels02[j]))

    changes: dict[str, list[float]] = {}

    def add(kind: str, a: np.ndarray, b: np.ndarray) -> None:
        changes.setdefault(kind, []).append(change.difference(thumb(a), thumb(b)))

    for i in range(max(0, leave_at - 10), min(len(v02), leave_at)):
        for j in range(leave_at + 5, len(v02), 5):
            add("face leaves (v02 across 2.7 s)", v02[i], v02[j])

    box = face_box(v01[0])
    assert box is not None, "no face found in v01 frame 0"
    stills = {
        p.name: webcam_frame(cv2.imread(str(p)))
        for folder in ("A_single_frontal_face", "B_multiple_faces", "C_no_face")
        for p in sorted((media / folder).iterdir())
        if p.suffix in (".jpg", ".png")
    }
    turned = {
        p.name: webcam_frame(cv2.imread(str(p)))
        for p in sorted((media / "D_head_not_frontal").iterdir())
        if p.suffix in (".jpg", ".png")
    }
    donors = []
    for name, image in stills.items():
        if name.startswith("a"):
            donor_box = face_box(image)
            if donor_box is not None:
                x0, y0, x1, y1 = head_region(donor_box, image.shape)
                donors.append(image[y0:y1, x0:x1])
    x, y, w, h = box
    for index in range(0, len(v01), 6):
        frame = v01[index]
        empty = paint_out(frame, box)
        add("face leaves (1.0x)", frame, empty)
        for scale in (0.5, 0.3, 0.2):
            background = cv2.GaussianBlur(empty, (0, 0), 3)
            pair = far(frame, background, scale), far(empty, background, scale)
            add(f"face leaves ({scale}x, far)", *pair)
        for donor in donors:
            for size in (1.0, 0.5, 0.3, 0.2):
                width = max(12, int(w * 1.8 * size))
                for px in (max(0, x - width - 20), min(W - width, x + w + 30)):
                    add(f"second person ({size}x)", frame, paste(frame, donor, width, px, y))
        x0, y0, x1, y1 = head_region(box, frame.shape)
        shifted = frame.copy()
        shift = (x1 - x0) // 4
        shifted[y0:y1, x0 + shift : x1] = frame[y0:y1, x0 : x1 - shift]
        add("head moved sideways (1/4 head)", frame, shifted)
        for image in turned.values():
            add("turned head still vs v01", frame, image)
    for a, b in combinations(list(stills.values()) + list(turned.values()), 2):
        add("still photo pairs", a, b)

    print("same state (may be skipped):")
    for kind, values in same.items():
        print(f"  {kind:34s} {summary(values)}")
    print("state changes (must not be skipped):")
    for kind, values in changes.items():
        print(f"  {kind:34s} {summary(values)}")
    all_same = np.concatenate([np.asarray(v) for v in same.values()])
    all_change = np.concatenate([np.asarray(v) for v in changes.values()])
    weakest = float(all_change.min())
    print(f"\nweakest state change: {weakest:.2f}")
    print("threshold  same-state pairs below (skipped)  state changes below (missed)")
    for threshold in (2, 4, 6, 8, 12, 16, 20, 24, 26, 30, 40):
        skipped = float((all_same < threshold).mean())
        missed = int((all_change < threshold).sum())
        print(f"  {threshold:6.1f}   {skipped:8.1%}                        {missed}")
    differing = sorted(d for d, equal in labelled_pairs if not equal)
    print(
        f"\nvideo frame pairs whose pipeline labels differ: {len(differing)} of "
        f"{len(labelled_pairs)}; smallest difference among them: "
        f"{differing[0] if differing else float('nan'):.2f}"
    )
    print(
        f"\nin use: CHANGE_THRESHOLD={change.CHANGE_THRESHOLD} "
        f"(margin to the weakest change {weakest / change.CHANGE_THRESHOLD:.2f}x; "
        f"same-state pairs skipped {(all_same < change.CHANGE_THRESHOLD).mean():.1%})"
    )


if __name__ == "__main__":
    main()
