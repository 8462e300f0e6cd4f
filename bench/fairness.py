"""Fairness audit by capture condition on the shared media: the table of docs/FAIRNESS.md.

Every image of the manifest is letterboxed into a 640x480 webcam frame, then degraded along
one axis at a time (brightness, contrast, Gaussian noise, blur, JPEG quality, resolution down
to 176x144, the person further from the camera). Per level: face-present rate (images with a
face), enrollment accepted (single frontal faces), identity same-person rate (template from
the clean frame) and stranger rate (others' templates), looking-away false alarms (frontal
faces), false flags, frames where the result says low_quality / camera_obstructed, and flags
raised on such frames (a defect: must be 0).

    .venv/bin/python bench/fairness.py [--axis brightness] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", REPO.parent / "shared" / "media"))
sys.path.insert(0, str(REPO))


def _fmt(value: object) -> str:
    return "-" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))


def main() -> None:
    from analysis.capture_conditions import AXES, audit

    parser = argparse.ArgumentParser()
    parser.add_argument("--axis", action="append", help="Only these axes (repeatable).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    manifest = MEDIA / "MANIFEST.tsv"
    if not manifest.exists():
        sys.exit(f"shared media not found at {MEDIA} (set SHARED_MEDIA_DIR)")
    axes = tuple(a for a in AXES if not args.axis or a.name in args.axis)
    start = time.perf_counter()
    reports = audit(manifest, axes)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps([{**vars(r), **r.rates()} for r in reports], indent=2))
        return
    units = {a.name: a.unit for a in AXES}
    print(
        "| axis | level | face present | enrolled | same person | stranger accepted | "
        "looking-away false alarm | false flags | low_quality said | flag on unreliable | "
        "enrollment refusals |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in reports:
        rates = r.rates()
        refusals = ", ".join(f"{k} {v}" for k, v in sorted(r.refusals.items())) or "-"
        print(
            f"| {r.axis} | {r.level:g} {units[r.axis]} | {_fmt(rates['face_present'])} | "
            f"{_fmt(rates['enroll_accepted'])} | {_fmt(rates['same_person_matched'])} | "
            f"{_fmt(rates['stranger_matched'])} | {_fmt(rates['looking_away_false_alarm'])} | "
            f"{r.false_flags} | {r.low_quality_said}/{r.frames} | {r.unreliable_with_flag} | "
            f"{refusals} |"
        )
    load = os.getloadavg()
    print(f"\n{len(reports)} levels in {seconds:.0f} s; load average {load[0]:.2f} {load[1]:.2f}")


if __name__ == "__main__":
    main()
