"""The face detectors' fallback on the shared media: far-away and noisy faces are found, and a
frame without a face stays ``no_face`` (faces.py, docs/FAIRNESS.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis.analyzers.vision import faces as faces_module
from analysis.analyzers.vision.faces import FaceDetectionConfig, detect_faces
from analysis.analyzers.vision.pipeline import FramePipeline, VisionConfig
from analysis.analyzers.vision.quality import NOISY_SIGMA, estimate_noise
from analysis.capture_conditions import AXES, distance, load_photos, noise


@pytest.fixture(scope="module")
def photos(shared_media):
    return load_photos(shared_media / "MANIFEST.tsv")


@pytest.fixture(scope="module")
def pipeline() -> FramePipeline:
    return FramePipeline()


@pytest.fixture(scope="module")
def without_fallback() -> FramePipeline:
    return FramePipeline(VisionConfig(faces=replace(FaceDetectionConfig(), fallback=False)))


def _named(photos, *prefixes: str):
    return [p for p in photos if p.path.split("/")[-1].startswith(prefixes)]


@pytest.mark.parametrize("factor", [0.3, 0.2])
def test_faces_far_from_the_camera_are_found_not_called_absent(
    photos, pipeline, without_fallback, factor
):
    # Every image with a face; before the fallback 5-6 of them said no_face at these sizes.
    rescued = 0
    for photo in (p for p in photos if p.has_face):
        frame = distance(photo.frame, factor)
        result = pipeline.analyze(frame)
        assert "no_face" not in result.labels, (photo.path, result.labels)
        if not without_fallback.analyze(frame).faces and result.faces:
            rescued += 1
            assert any("yunet@2x" in face.source for face in result.faces)
    assert rescued >= 4  # the fallback, not luck, found them


@pytest.mark.parametrize("sigma", [25.0, 40.0])
def test_a_profile_drowned_in_noise_is_found_on_the_denoised_copy(
    photos, pipeline, without_fallback, sigma
):
    [profile] = _named(photos, "d01")
    frame = noise(profile.frame, sigma)
    assert without_fallback.analyze(frame).face_count == 0
    result = pipeline.analyze(frame)
    assert result.face_count == 1 and "no_face" not in result.labels
    assert result.faces[0].source.endswith("+denoised")


def test_frames_without_a_face_stay_no_face_under_every_degradation(photos, pipeline):
    empty = [p for p in photos if not p.has_face]
    assert len(empty) >= 7  # C_no_face and the face hidden behind a chessboard
    for axis in AXES:
        for level in axis.levels:
            for photo in empty:
                result = pipeline.analyze(axis.apply(photo.frame, level))
                assert result.face_count == 0, (axis.name, level, photo.path, result.faces)
                assert "multiple_faces" not in result.labels


def test_the_noise_estimate_separates_noisy_frames_on_the_whole_set(photos):
    for axis in AXES:
        for level in axis.levels:
            noisy = axis.name == "noise" and level >= 25
            for photo in photos:
                sigma = estimate_noise(axis.apply(photo.frame, level))
                assert (sigma >= NOISY_SIGMA) == noisy, (axis.name, level, photo.path, sigma)


def test_the_fallback_never_runs_when_a_face_is_found(photos, monkeypatch):
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("fallback ran on a frame with a face")

    monkeypatch.setattr(faces_module, "_upscaled_yunet", refuse)
    monkeypatch.setattr(faces_module, "estimate_noise", refuse)
    for photo in _named(photos, "a0", "b0"):
        found, _ = detect_faces(photo.frame)
        assert found, photo.path
