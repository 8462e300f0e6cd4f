"""A verdict set simulated from real analysis results on the shared media.

Real photos are analyzed by the real frame pipeline under three capture conditions (as taken,
dimmed to 1/6 of the light, and the person far from the camera: the photo shrunk into a
640x480 frame). Incidents of the frame kinds get those results as evidence; simulated
reviewers then confirm most incidents on good frames and dismiss most raised on dark or tiny
faces, which the hand-set rules cannot know. With ``signal=False`` verdicts are coin flips.
Used by the tests and by ``bench/risk_model.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.utils import timezone

PHOTOS = (
    "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg",
    "A_single_frontal_face/a04_skimage_astronaut.png",
    "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg",
    "A_single_frontal_face/a06_face_recognition_obama.jpg",
    "A_single_frontal_face/a07_opencv_portrait_227943776_1.jpg",
    "B_multiple_faces/b04_ultralytics_zidane_2people.jpg",
    "D_head_not_frontal/d04_pyfeat_yaw45.jpg",
    "D_head_not_frontal/d06_opencv_messi_looking_down.jpg",
)
CONDITIONS = ("good", "dark", "far")
FRAME_KINDS = ("no_face", "looking_away", "multiple_faces", "identity_mismatch")


@dataclass(frozen=True)
class AnalyzedFrame:
    photo: str
    condition: str
    raw: dict[str, Any]


def degrade(bgr: np.ndarray, condition: str) -> np.ndarray:
    if condition == "dark":
        return (bgr.astype(np.float32) / 6.0).astype(np.uint8)
    if condition == "far":
        canvas = np.full((480, 640, 3), 96, dtype=np.uint8)
        scale = 160.0 / max(bgr.shape[:2])
        small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        canvas[40 : 40 + small.shape[0], 300 : 300 + small.shape[1]] = small
        return canvas
    return bgr


def analyze_conditions(shared_media: Path) -> list[AnalyzedFrame]:
    """Run the real frame pipeline on every photo under every condition."""
    from analysis.analyzers.vision.pipeline import FramePipeline

    pipeline = FramePipeline()
    frames = []
    for photo in PHOTOS:
        bgr = cv2.imread(str(shared_media / photo), cv2.IMREAD_COLOR)
        for condition in CONDITIONS:
            result = pipeline.analyze(degrade(bgr, condition))
            frames.append(AnalyzedFrame(photo, condition, result.to_dict()))
    return frames


def confirm_probability(condition: str, confidence: float, signal: bool) -> float:
    if not signal:
        return 0.5
    base = 0.85 if condition == "good" else 0.1
    return min(0.97, base * (0.8 + 0.3 * confidence))


def verdicts_simulate(
    frames: list[AnalyzedFrame],
    *,
    exam: Any,
    reviewer: Any,
    incidents: int = 400,
    per_session: int = 20,
    signal: bool = True,
    seed: int = 0,
) -> dict[str, int]:
    """Create sessions, evidence results, incidents and one verdict each; counts by label."""
    from accounts.models import User
    from analysis.models import AnalysisResult, MediaItem
    from exams.models import ExamSession
    from monitoring.models import Incident
    from review.models import IncidentVerdict

    rng = np.random.default_rng(seed)
    now = timezone.now()
    counts = {"confirmed": 0, "dismissed": 0}
    sessions: list[ExamSession] = []
    for index in range(0, incidents, per_session):
        user = User.objects.create_user(
            username=f"sim{seed}-{index}",
            email=f"sim{seed}-{index}@example.com",
            password="x-9-long-pass",
        )
        sessions.append(
            ExamSession.objects.create(
                candidate=user,
                exam=exam,
                status="submitted",
                token_hash=hashlib.sha256(f"{seed}-{index}".encode()).hexdigest(),
                started_at=now - timedelta(hours=2),
                accommodations={"extra_time": 1.5} if rng.random() < 0.2 else {},
            )
        )
    for number in range(incidents):
        session = sessions[number // per_session]
        frame = frames[int(rng.integers(len(frames)))]
        start = session.started_at + timedelta(seconds=float(rng.uniform(0, 3600)))
        evidence = []
        for k in range(int(rng.integers(1, 4))):
            media = MediaItem.objects.create(
                session=session,
                kind="frame",
                captured_at=start + timedelta(seconds=3 * k),
                width=frame.raw["width"],
                height=frame.raw["height"],
                is_evidence=True,
            )
            AnalysisResult.objects.create(
                session=session,
                media=media,
                kind="frame",
                captured_at=media.captured_at,
                raw=frame.raw,
                face_count=frame.raw["face_count"],
                labels=frame.raw["labels"],
            )
            evidence.append({"type": "frame", "id": media.pk})
        confidence = float(rng.uniform(0.5, 1.0))
        incident = Incident.objects.create(
            session=session,
            kind=FRAME_KINDS[int(rng.integers(len(FRAME_KINDS)))],
            severity="medium",
            source="analyzer",
            started_at=start,
            ended_at=start + timedelta(seconds=float(rng.uniform(3, 90))),
            confidence=confidence,
            evidence=evidence,
        )
        confirmed = rng.random() < confirm_probability(frame.condition, confidence, signal)
        verdict = "confirmed" if confirmed else "dismissed"
        IncidentVerdict.objects.create(incident=incident, verdict=verdict, reviewer=reviewer)
        Incident.objects.filter(pk=incident.pk).update(review_status=verdict)
        counts[verdict] += 1
    return counts
