"""Head pose and gaze from MediaPipe face mesh (with irises) on the main face.

Angles are in degrees, in the candidate's own frame of reference: ``yaw`` > 0 when the
candidate turns their head to their left, ``pitch`` > 0 when they look up, ``roll`` > 0 when
the head tilts toward their left shoulder. Gaze directions use the same frame: ``left`` means
the candidate's left (the right side of an unmirrored webcam image).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from analysis.analyzers.vision.faces import Face
from analysis.analyzers.vision.models import get_model

VERSION = "pose-1(mp-facemesh-iris+solvepnp6)"

# Mesh indices: nose tip, chin, eye outer corners, mouth corners (image-left first).
_PNP_INDICES = [1, 152, 33, 263, 61, 291]
# The same six vertices of MediaPipe's canonical face model (canonical_face_model.obj, in cm,
# y up and z toward the viewer), converted to camera axes: x to the image right, y down, z away
# from the camera. Using the mesh's own model (not a generic head) keeps the chin and mouth at
# the depths the mesh puts them, so a frontal face reads ~0 pitch.
_PNP_MODEL = np.array(
    [
        [0.0, 1.126865, -7.475604],
        [0.0, 9.403378, -4.264492],
        [-4.445859, -2.663991, -3.173422],
        [4.445859, -2.663991, -3.173422],
        [-2.456206, 4.342621, -4.283884],
        [2.456206, 4.342621, -4.283884],
    ],
    dtype=np.float64,
)
# Eye corners (image-left, image-right), lids (upper, lower) and iris centre, per eye.
_EYES = (
    {"corners": (33, 133), "lids": (159, 145), "iris": 468},
    {"corners": (362, 263), "lids": (386, 374), "iris": 473},
)
# Mesh points SFace's alignment expects, in YuNet's order: right eye, left eye (as seen in the
# image: image-left eye first), nose tip, mouth corners image-left then image-right.
_ALIGN_POINTS = (468, 473, 1, 61, 291)

_USED_POINTS = sorted(
    {*_PNP_INDICES, *_ALIGN_POINTS}
    | {i for eye in _EYES for key in ("corners", "lids") for i in eye[key]}
    | {eye["iris"] for eye in _EYES}
)

# The crop around the face handed to the mesh: the face fills it, so the mesh's own
# short-range detector finds faces that are small in the full frame.
_CROP_MARGIN = 1.7
_CROP_SIDE = 256


@dataclass(frozen=True)
class AttentionConfig:
    """When is the candidate looking away? See docs/ANALYZERS.md "Vision" for the choice.

    A candidate reading the screen turns their head by up to ~15-20 degrees and their eyes
    further; laptop cameras sit above the screen, so looking at the screen reads as a slight
    downward pitch. The limits leave that room.
    """

    # Horizontal gaze = head yaw + eye-in-head angle; away beyond this many degrees.
    yaw_limit: float = 25.0
    pitch_down_limit: float = -25.0
    pitch_up_limit: float = 20.0
    # Eye-in-head angle per unit of iris offset across the eye: the iris travels about 0.3 of
    # the eye's width for a 45-degree eye turn, so 45 / 0.3 = 150 degrees per unit.
    eye_gain_deg: float = 150.0


@dataclass
class HeadPose:
    yaw: float
    pitch: float
    roll: float

    def to_dict(self) -> dict[str, float]:
        return {
            "yaw": round(self.yaw, 1),
            "pitch": round(self.pitch, 1),
            "roll": round(self.roll, 1),
        }


@dataclass
class Gaze:
    direction: str  # screen, left, right, up, down
    iris_x: float  # 0..1 across the eye, 0.5 = centred; > 0.5 toward the candidate's left
    iris_y: float  # 0..1 from upper to lower lid, 0.5 = centred

    def to_dict(self) -> dict[str, object]:
        return {
            "direction": self.direction,
            "iris_x": round(self.iris_x, 3),
            "iris_y": round(self.iris_y, 3),
        }


@dataclass
class MeshResult:
    pose: HeadPose
    gaze: Gaze
    attention: str  # screen / away
    align_points: np.ndarray  # 5x2, image pixels, for SFace alignment


def _crop(image_bgr: np.ndarray, face: Face) -> tuple[np.ndarray, int, int, float]:
    height, width = image_bgr.shape[:2]
    side = max(face.w, face.h) * _CROP_MARGIN
    cx, cy = face.x + face.w / 2, face.y + face.h / 2
    x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    x1, y1 = min(width, int(cx + side / 2)), min(height, int(cy + side / 2))
    crop = image_bgr[y0:y1, x0:x1]
    scale = _CROP_SIDE / max(crop.shape[:2])
    crop = cv2.resize(
        crop,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    return crop, x0, y0, scale


def _euler(rvec: np.ndarray, tvec: np.ndarray) -> tuple[float, float, float]:
    rotation, _ = cv2.Rodrigues(rvec)
    angles, *_ = cv2.RQDecomp3x3(rotation)
    pitch_cam, yaw_cam, roll_cam = angles
    tx, ty, tz = (float(v) for v in tvec.ravel())
    # Angles relative to the camera's optical axis make a face that looks straight at the
    # camera from the top of the picture read as "looking down". What matters is the angle to
    # the line of sight toward the camera, so subtract the line of sight's own angles.
    los_yaw = float(np.degrees(np.arctan2(-tx, tz)))
    los_pitch = float(np.degrees(np.arctan2(ty, tz)))
    # RQDecomp3x3 gives rotations about the camera axes (x right, y down, z away). A positive
    # turn about +y points the nose (-z) toward the image left, the candidate's right; about +x
    # it points the nose down; about +z it tilts the head top toward the image right, the
    # candidate's left shoulder.
    return -yaw_cam - los_yaw, -pitch_cam - los_pitch, roll_cam


def _gaze(points: np.ndarray) -> tuple[float, float]:
    xs, ys = [], []
    for eye in _EYES:
        a, b = points[eye["corners"][0]], points[eye["corners"][1]]
        axis = b - a
        length2 = float(axis @ axis)
        if length2 <= 1e-6:
            continue
        iris = points[eye["iris"]]
        xs.append(float((iris - a) @ axis) / length2)
        top, bottom = points[eye["lids"][0]], points[eye["lids"][1]]
        span = float(bottom[1] - top[1])
        if span > 1e-3:
            ys.append(float(iris[1] - top[1]) / span)
    # Measured from the image-left corner, so > 0.5 is toward the image right: the candidate's
    # left, the same orientation as yaw.
    return (float(np.mean(xs)) if xs else 0.5), (float(np.mean(ys)) if ys else 0.5)


def _direction(pose: HeadPose, iris_x: float, cfg: AttentionConfig) -> str:
    # Eyes add to the head's yaw horizontally. Vertically only the head counts: the eyelids
    # follow the iris up and down, so the iris position between the lids says little.
    horizontal = (pose.yaw + cfg.eye_gain_deg * (iris_x - 0.5)) / cfg.yaw_limit
    vertical = (
        pose.pitch / cfg.pitch_up_limit if pose.pitch > 0 else pose.pitch / -cfg.pitch_down_limit
    )
    if max(abs(horizontal), abs(vertical)) < 1.0:
        return "screen"
    if abs(horizontal) >= abs(vertical):
        return "left" if horizontal > 0 else "right"
    return "up" if vertical > 0 else "down"


def direction_from_keypoints(face: Face) -> str:
    """Coarse side a face is turned to, from the detector's eye and nose points.

    Used only when the mesh cannot fit the face (profiles): the nose then sits far to one side
    of the eyes. Returns left/right in the candidate's frame, or "unknown".
    """
    if face.keypoints is None:
        return "unknown"
    left_eye, right_eye, nose = face.keypoints
    # Nose toward the image right = head turned to the candidate's left.
    return "left" if nose[0] > (left_eye[0] + right_eye[0]) / 2 else "right"


def estimate_pose_and_gaze(
    image_bgr: np.ndarray, face: Face, config: AttentionConfig | None = None
) -> MeshResult | None:
    """Run the face mesh on a crop around ``face`` and estimate head pose, iris position and
    attention. Returns None when the mesh finds no face in the crop (strongly turned or hidden
    faces: the caller decides what that means)."""
    cfg = config or AttentionConfig()
    crop, x0, y0, scale = _crop(image_bgr, face)
    mesh, lock = get_model("mesh")
    with lock:
        result = mesh.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
    if not result.multi_face_landmarks:
        return None
    crop_h, crop_w = crop.shape[:2]
    landmarks = result.multi_face_landmarks[0].landmark
    # Only the ~20 points used below are read: converting all 478 protobuf points costs more
    # than the pose maths. Unused rows stay zero.
    points = np.zeros((len(landmarks), 2), dtype=np.float64)
    for index in _USED_POINTS:
        point = landmarks[index]
        points[index] = (point.x * crop_w / scale + x0, point.y * crop_h / scale + y0)

    height, width = image_bgr.shape[:2]
    focal = float(max(width, height))  # ~55-60 degree field of view, typical for webcams
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    ok, rvec, tvec = cv2.solvePnP(
        _PNP_MODEL, points[_PNP_INDICES], camera, None, flags=cv2.SOLVEPNP_SQPNP
    )
    if not ok:
        return None
    yaw, pitch, roll = _euler(rvec, tvec)
    pose = HeadPose(yaw=yaw, pitch=pitch, roll=roll)
    iris_x, iris_y = _gaze(points)
    direction = _direction(pose, iris_x, cfg)
    return MeshResult(
        pose=pose,
        gaze=Gaze(direction=direction, iris_x=iris_x, iris_y=iris_y),
        attention="screen" if direction == "screen" else "away",
        align_points=points[list(_ALIGN_POINTS)].astype(np.float32),
    )
