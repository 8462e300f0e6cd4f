"""What the face detectors' fallback costs (analysis/analyzers/vision/faces.py).

The fallback (a denoised retry on a noisy frame, YuNet on a 2x copy otherwise) runs only when
the first pass accepted no face. This times ``detect_faces`` with the fallback on and off, in
the same run, interleaved and in alternating order, on the shared images letterboxed to
640x480: frames with a face (the fallback never runs; the difference is the cost of the
``if``), frames without one (the cost of a candidate's absence), and the degraded frames it
was written for.

    .venv/bin/python bench/faces_fallback.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", REPO.parent / "shared" / "media"))
sys.path.insert(0, str(REPO))


def main() -> None:
    import cv2

    # One core, one OpenCV thread, as bench/analyzers.py: a worker process's share.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    from analysis.analyzers.vision.faces import FaceDetectionConfig, detect_faces
    from analysis.capture_conditions import distance, load_photos, noise

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    photos = load_photos(MEDIA / "MANIFEST.tsv")
    on = FaceDetectionConfig()
    off = replace(on, fallback=False)
    sets = {
        "with a face (as taken)": [p.frame for p in photos if p.has_face],
        "without a face (as taken)": [p.frame for p in photos if not p.has_face],
        "far away (0.2 x size), with a face": [
            distance(p.frame, 0.2) for p in photos if p.has_face
        ],
        "noise sigma 40, without a face": [noise(p.frame, 40.0) for p in photos if not p.has_face],
    }
    for frame in sets["with a face (as taken)"][:3]:  # load the models, warm the caches
        detect_faces(frame, on)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        "| frames | n | fallback off ms | fallback on ms | extra ms (median of paired "
        "differences) | found off -> on |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for name, frames in sets.items():
        times: dict[str, list[float]] = {"off": [], "on": []}
        paired: list[float] = []
        found = {"off": 0, "on": 0}
        for repeat in range(args.repeats):
            order = (("off", off), ("on", on)) if repeat % 2 == 0 else (("on", on), ("off", off))
            for frame in frames:
                took = {}
                for key, cfg in order:
                    start = time.perf_counter()
                    faces, _ = detect_faces(frame, cfg)
                    took[key] = (time.perf_counter() - start) * 1000
                    times[key].append(took[key])
                    found[key] += bool(faces)
                paired.append(took["on"] - took["off"])
        off_ms, on_ms = statistics.median(times["off"]), statistics.median(times["on"])
        print(
            f"| {name} | {len(frames)} | {off_ms:.1f} | {on_ms:.1f} | "
            f"{statistics.median(paired):+.1f} | "
            f"{found['off'] // args.repeats} -> {found['on'] // args.repeats} |"
        )
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
