"""Capture conditions on the shared media: analyzers stay right, or say low_quality and flag
nothing (a flag on a frame the quality gate calls unreliable is a defect)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from analysis.analyzers.vision.pipeline import JUDGED_LABELS, FramePipeline
from analysis.capture_conditions import (
    AXES,
    blur,
    brightness,
    capture_buckets,
    difference_interval,
    load_photos,
    proportion_interval,
    resolution,
)

QUALITY = {"low_quality", "camera_obstructed"}


@pytest.fixture(scope="module")
def photos(shared_media):
    return load_photos(shared_media / "MANIFEST.tsv")


@pytest.fixture(scope="module")
def pipeline() -> FramePipeline:
    return FramePipeline()


def _frontal_with_person(photos):
    """Frontal single faces with a person id, one photo each (d08's cut face is not one)."""
    chosen = {}
    for photo in photos:
        if photo.frontal and photo.person and photo.path.startswith("A_"):
            chosen.setdefault(photo.person, photo)
    return list(chosen.values())


@pytest.mark.parametrize(
    ("degrade", "level"), [(resolution, 176), (brightness, 0.25)], ids=["176x144", "quarter-light"]
)
def test_frontal_faces_enroll_and_match_at_176x144_and_a_quarter_of_the_light(
    photos, pipeline, degrade, level
):
    people = _frontal_with_person(photos)
    assert len(people) >= 4
    templates = {p.person: pipeline.enroll([p.frame]).template for p in people}
    for photo in people:
        frame = degrade(photo.frame, level)
        enrolled = pipeline.enroll([frame])
        assert enrolled.ok, (photo.path, enrolled.error_reason)
        checked = pipeline.analyze(frame, enrolled_template=templates[photo.person])
        assert checked.identity_status == "matched", (photo.path, checked.identity_similarity)
        assert not set(checked.labels) & (JUDGED_LABELS | QUALITY), (photo.path, checked.labels)
        for other, template in templates.items():
            if other != photo.person:
                stranger = pipeline.analyze(frame, enrolled_template=template)
                assert "identity_mismatch" in stranger.labels, (photo.path, other)


def test_face_boxes_stay_in_the_frames_own_pixels_when_enlarged(photos, pipeline):
    photo = _frontal_with_person(photos)[0]
    frame = resolution(photo.frame, 176)
    result = pipeline.analyze(frame)
    assert (result.width, result.height) == (176, 144)
    [face] = result.faces
    assert face.x >= 0 and face.x + face.w <= 176 and face.y + face.h <= 144 + 2


@pytest.mark.parametrize(
    ("degrade", "level"), [(brightness, 0.125), (blur, 6.0)], ids=["eighth-light", "blur-6"]
)
def test_unreliable_frames_say_so_and_raise_no_flag(photos, pipeline, degrade, level):
    said = 0
    for photo in photos:
        result = pipeline.analyze(degrade(photo.frame, level))
        labels = set(result.labels)
        if labels & QUALITY:
            said += 1
            assert not labels & JUDGED_LABELS, (photo.path, labels)
            assert result.quality["reliable"] is False
    assert said >= len(photos) // 2  # the gate does speak up on these frames


def test_a_dim_unreliable_frame_is_refused_at_enrollment(photos, pipeline):
    photo = _frontal_with_person(photos)[0]
    result = pipeline.enroll([blur(photo.frame, 8.0)])
    assert not result.ok and result.error_reason == "low_quality"


def test_every_axis_has_the_levels_the_audit_promises():
    levels = {axis.name: axis.levels for axis in AXES}
    assert 0.125 in levels["brightness"] and 30 in levels["jpeg"] and 176 in levels["resolution"]
    assert set(levels) == {
        "brightness",
        "contrast",
        "noise",
        "blur",
        "jpeg",
        "resolution",
        "distance",
    }
    frame = np.full((480, 640, 3), 100, np.uint8)
    assert resolution(frame, 176).shape[:2] == (144, 176)
    assert cv2.mean(brightness(frame, 0.25))[0] == pytest.approx(25, abs=1)


def test_buckets_and_intervals():
    assert capture_buckets(brightness=30, face_px=40, frame_width=176, frame_height=144) == {
        "brightness": "dark (<40)",
        "face_size": "small face (<56 px)",
        "resolution": "low (<240 px)",
    }
    assert (
        capture_buckets(brightness=None, face_px=None, frame_width=None, frame_height=None)[
            "brightness"
        ]
        == "no frame evidence"
    )
    low, high = proportion_interval(30, 100)
    assert low < 0.3 < high and high - low < 0.25
    low, high = difference_interval((60, 100), (30, 100))
    assert low > 0
    low, high = difference_interval((31, 100), (30, 100))
    assert low < 0 < high
