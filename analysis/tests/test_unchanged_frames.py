"""Unchanged frames: a still candidate's frames reuse the last full analysis, a change never does.

Real media throughout: the webcam clip V_video/v01 (consecutive frames of a still candidate),
the same frames with the face painted out (full size and far, 0.2x), and with a second face
from A_single_frontal_face pasted beside the candidate.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile

from analysis import runner
from analysis.analyzers.vision import change
from analysis.capture_conditions import webcam_frame
from analysis.models import AnalysisResult, Enrollment, MediaItem
from analysis.services import media_analyze
from monitoring.models import Incident

W, H = 640, 480


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


@pytest.fixture(scope="module")
def webcam(shared_media: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(shared_media / "V_video/v01_pyfeat_single_face_webcam.mp4"))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(webcam_frame(frame))
    capture.release()
    assert len(frames) > 30
    return frames


def _face_box(image: np.ndarray) -> tuple[int, int, int, int]:
    result = runner.frame_pipeline_for({}).analyze(_jpeg(image), check_identity=False)
    face = result.faces[0]
    return int(face.x), int(face.y), int(face.w), int(face.h)


def _without_face(image: np.ndarray) -> np.ndarray:
    x, y, w, h = _face_box(image)
    mask = np.zeros(image.shape[:2], np.uint8)
    top, left = max(0, int(y - 0.6 * h)), max(0, int(x - 0.4 * w))
    mask[top : int(y + 1.5 * h), left : int(x + 1.4 * w)] = 255
    return cv2.inpaint(image, mask, 9, cv2.INPAINT_TELEA)


def _thumb(image: np.ndarray) -> np.ndarray:
    thumb = change.thumbnail(_jpeg(image))
    assert thumb is not None
    return thumb


# --- the thumbnail difference on real frames ---------------------------------------------------


def test_consecutive_webcam_frames_are_unchanged(webcam) -> None:
    thumbs = [_thumb(frame) for frame in webcam]
    diffs = [change.difference(a, b) for a, b in zip(thumbs, thumbs[1:], strict=False)]
    below = sum(d < change.CHANGE_THRESHOLD for d in diffs)
    assert below >= len(diffs) // 2  # a still candidate: most consecutive frames match
    assert change.difference(_thumb(webcam[0]), _thumb(webcam[0])) == 0.0


def test_a_face_leaving_is_a_change_also_when_far(webcam) -> None:
    frame = webcam[10]
    empty = _without_face(frame)
    assert change.difference(_thumb(frame), _thumb(empty)) > 4 * change.CHANGE_THRESHOLD
    background = cv2.GaussianBlur(empty, (0, 0), 3)
    for scale in (0.3, 0.2):
        small_face = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        small_empty = cv2.resize(empty, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        y0, x0 = (H - small_face.shape[0]) // 2, (W - small_face.shape[1]) // 2
        with_face, without = background.copy(), background.copy()
        with_face[y0 : y0 + small_face.shape[0], x0 : x0 + small_face.shape[1]] = small_face
        without[y0 : y0 + small_empty.shape[0], x0 : x0 + small_empty.shape[1]] = small_empty
        assert change.difference(_thumb(with_face), _thumb(without)) > 2 * change.CHANGE_THRESHOLD


def test_a_second_face_is_a_change(webcam, shared_media: Path) -> None:
    donor = cv2.imread(str(shared_media / "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg"))
    x, y, w, _ = _face_box(webcam[0])
    width = int(w * 0.6)  # a person further back than the candidate
    face = cv2.resize(donor, (width, int(donor.shape[0] * width / donor.shape[1])))
    visitor = webcam[0].copy()
    px = min(W - width, x + w + 30)
    h = min(face.shape[0], H - y)
    visitor[y : y + h, px : px + width] = face[:h]
    assert change.difference(_thumb(webcam[0]), _thumb(visitor)) > 2 * change.CHANGE_THRESHOLD


def test_thumbnails_round_trip_and_reject_garbage(webcam) -> None:
    thumb = _thumb(webcam[0])
    assert thumb.shape == (change.THUMB_H, change.THUMB_W)
    assert np.array_equal(change.decode(change.encode(thumb)), thumb)
    assert change.decode("not base64!") is None
    assert change.thumbnail(b"not an image") is None


# --- the worker: unchanged results, the forced interval, identity cadence -----------------------


def _stored(session, data: bytes, seconds: float) -> MediaItem:
    media = MediaItem(
        session=session,
        kind="frame",
        captured_at=session.started_at + timedelta(seconds=seconds),
        size_bytes=len(data),
    )
    media.file.save("f.jpg", ContentFile(data), save=False)
    media.save()
    return media


def _analyze(session, frames: list[bytes], every_s: float = 3.0, start: int = 0) -> list:
    results = []
    for i, data in enumerate(frames):
        media = _stored(session, data, (start + i) * every_s)
        media_analyze(media_id=media.pk)
        results.append(AnalysisResult.objects.get(media=media))
    return results


@pytest.mark.django_db
def test_a_still_candidate_reuses_the_last_full_analysis_up_to_the_forced_interval(
    session, webcam, settings
) -> None:
    settings.ANALYSIS_UNCHANGED_MAX_RUN = 3
    # Consecutive frames of the clip, the candidate still (3 s apart, as the page sends).
    frames = [_jpeg(webcam[i]) for i in range(8)]
    results = _analyze(session, frames)
    unchanged = ["unchanged" in r.raw for r in results]
    assert unchanged[0] is False
    assert any(unchanged)
    run = 0
    for flag in unchanged:  # never more than MAX_RUN in a row
        run = run + 1 if flag else 0
        assert run <= 3
    full = [r for r in results if "unchanged" not in r.raw]
    for result in results:
        assert result.status == "ok"
        if "unchanged" in result.raw:
            matched = AnalysisResult.objects.get(pk=result.raw["unchanged"]["matched_result_id"])
            assert "unchanged" not in matched.raw
            assert result.labels == matched.labels
            assert result.face_count == matched.face_count == 1
            assert result.raw["unchanged"]["difference"] < change.CHANGE_THRESHOLD
            assert result.raw["unchanged"]["matched_media_id"] == matched.media_id
    assert all(r.raw["change"]["thumbnail"] for r in full)


@pytest.mark.django_db
def test_a_face_leaving_is_analysed_and_flagged(session, webcam, settings) -> None:
    settings.ANALYSIS_UNCHANGED_MAX_RUN = 100  # only the thumbnail can force the analysis
    settings.ANALYSIS_UNCHANGED_MAX_AGE_S = 10_000
    still = [_jpeg(webcam[i]) for i in range(3)]
    gone = [_jpeg(_without_face(webcam[3 + i])) for i in range(8)]
    results = _analyze(session, still + gone)
    first_gone = results[3]
    assert "unchanged" not in first_gone.raw
    assert "no_face" in first_gone.labels
    assert all("no_face" in r.labels for r in results[3:])
    assert Incident.objects.filter(session=session, kind="no_face").exists()


@pytest.mark.django_db
def test_old_references_and_the_switch_force_full_analyses(session, webcam, settings) -> None:
    frames = [_jpeg(webcam[0])] * 3
    settings.ANALYSIS_UNCHANGED_MAX_AGE_S = 10
    spaced = _analyze(session, frames, every_s=11)  # each reference is too old
    assert not any("unchanged" in r.raw for r in spaced)
    settings.ANALYSIS_SKIP_UNCHANGED_FRAMES = False
    off = _analyze(session, frames, start=100)
    assert not any("unchanged" in r.raw for r in off)


@pytest.mark.django_db
def test_identity_checks_keep_their_cadence(session, shared_media, webcam) -> None:
    enroll = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    enrollment = runner.face_enroll([enroll])
    assert enrollment.ok
    Enrollment.objects.create(
        session=session, kind="face", template=enrollment.template, model_version="t"
    )
    results = _analyze(session, [_jpeg(webcam[0])] * 11)
    checked = [r.identity_similarity is not None for r in results]
    assert checked == [i % 5 == 0 for i in range(11)]
    assert all("unchanged" not in r.raw for r, due in zip(results, checked, strict=True) if due)
    assert any("unchanged" in r.raw for r in results)
