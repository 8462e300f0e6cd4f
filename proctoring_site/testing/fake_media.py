"""A fake camera and microphone for Chromium, made from real photos and recordings.

Chromium's ``--use-file-for-fake-video-capture`` plays a Y4M (raw YUV 4:2:0) file in a loop
and ``--use-file-for-fake-audio-capture`` a PCM WAV. Both are written here with OpenCV and
numpy from ``../shared/media`` (no ffmpeg), at test time, into a temporary folder.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import cv2
import numpy as np

WIDTH = 640
HEIGHT = 480
AUDIO_RATE = 16000

# Real media from ../shared/media (see its MANIFEST.tsv): a webcam frame with one frontal
# face, a desk with objects and no face, and one person speaking.
FACE_IMAGE = "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg"
NO_FACE_IMAGE = "C_no_face/c01_opencv_desk_objects.jpg"
SPEECH_WAV = "E_speech_single_speaker/e01_jfk_inaugural_16k.wav"


def shared_media_dir() -> Path:
    """../shared/media beside the repository, or SHARED_MEDIA_DIR (as the root conftest)."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "media"
    return Path(os.environ.get("SHARED_MEDIA_DIR", default))


def cover(image: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """Scale ``image`` to cover width x height and crop the centre, as a webcam frames it."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    top = (resized.shape[0] - height) // 2
    left = (resized.shape[1] - width) // 2
    return resized[top : top + height, left : left + width]


def write_y4m(image_path: Path, out_path: Path, *, frames: int = 20, fps: int = 10) -> Path:
    """A 640x480 Y4M clip of ``image_path`` with a little camera noise and sway per frame.

    The noise and a one- or two-pixel sway keep consecutive frames from being identical, as
    with a real webcam, without changing what is in the picture.
    """
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read image {image_path}")
    base = cover(image)
    rng = np.random.default_rng(7)
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii")
    with out_path.open("wb") as out:
        out.write(header)
        for index in range(frames):
            shift = np.float32([[1, 0, round(2 * np.sin(index / 3))], [0, 1, 0]])
            frame = cv2.warpAffine(base, shift, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REPLICATE)
            noise = rng.normal(0, 2.0, frame.shape)
            frame = np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)
            # I420: the Y plane, then the quarter-size U and V planes, as Y4M's C420 expects.
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out_path


def write_wav_16k(source: Path, out_path: Path) -> Path:
    """``source`` as 16 kHz mono PCM16 (resampled with linear interpolation if needed)."""
    with wave.open(str(source), "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width != 2:
        raise ValueError(f"{source}: expected 16-bit PCM, got {8 * width}-bit")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32).reshape(-1, channels).mean(1)
    if rate != AUDIO_RATE:
        positions = np.arange(0, len(samples), rate / AUDIO_RATE)
        samples = np.interp(positions, np.arange(len(samples)), samples)
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2")
    with wave.open(str(out_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes(pcm.tobytes())
    return out_path


def fake_media_create(folder: Path, media: Path | None = None) -> dict[str, Path]:
    """Write face.y4m, noface.y4m and speech.wav into ``folder``; returns their paths by name."""
    media = media or shared_media_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "face": write_y4m(media / FACE_IMAGE, folder / "face.y4m"),
        "noface": write_y4m(media / NO_FACE_IMAGE, folder / "noface.y4m"),
        "speech": write_wav_16k(media / SPEECH_WAV, folder / "speech.wav"),
    }
