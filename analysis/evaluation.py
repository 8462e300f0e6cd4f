"""Evaluate the analyzers on a labelled media manifest (plain Python, no Django).

The manifest is a TSV with at least the columns ``path`` (relative to the manifest), ``kind``
(image, video, audio; other kinds are ignored) and ``labels`` (``key=value`` pairs joined by
``;``), as in ``../shared/media/MANIFEST.tsv``. Each item gets ``predicted`` values under the
manifest's own keys so expected and predicted compare one to one.

Person matching: the first item of each ``person`` id, in manifest order, is that person's
enrollment (a face template for images and videos, a voice print for audio). Every other item
is then matched against all enrollments of its modality; ``person`` is the best match at or
above the analyzer's threshold, or "" when none matches. Enrollment items are not scored.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from analysis.analyzers.errors import MediaError
from analysis.analyzers.vision.identity import cosine_similarity
from analysis.analyzers.vision.pipeline import FramePipeline, FrameResult, VisionConfig

IMAGE_KINDS = {"image"}
VIDEO_KINDS = {"video"}
AUDIO_KINDS = {"audio"}

# Keys scored as a yes/no detection, with the value that counts as "detected".
BINARY_KEYS = {
    "face_present": "1",
    "multiple_faces": "1",
    "attention": "away",
    "speech": "1",
    "speakers": "2",
    "background_voice": "1",
}
SCORED_KEYS = [*BINARY_KEYS, "person"]

_DEFAULT_VOICE_THRESHOLD = 0.65  # used only if the audio pipeline does not expose its own


@dataclass
class ManifestItem:
    path: str
    kind: str
    labels: dict[str, str]


def parse_labels(text: str) -> dict[str, str]:
    """``"a=1;b=x"`` -> ``{"a": "1", "b": "x"}`` (blank pairs ignored)."""
    labels = {}
    for pair in (text or "").split(";"):
        if "=" in pair:
            key, value = pair.split("=", 1)
            labels[key.strip()] = value.strip()
    return labels


def read_manifest(manifest: Path) -> list[ManifestItem]:
    """Read the manifest's image, video and audio rows, in file order."""
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        ManifestItem(row["path"], row["kind"].strip(), parse_labels(row.get("labels", "")))
        for row in rows
        if row.get("kind", "").strip() in IMAGE_KINDS | VIDEO_KINDS | AUDIO_KINDS
    ]


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _best_person(
    embeddings: list[np.ndarray], templates: dict[str, np.ndarray], threshold: float
) -> tuple[str, float | None]:
    best_id, best = "", None
    for person_id, template in templates.items():
        for embedding in embeddings:
            similarity = cosine_similarity(embedding, template)
            if best is None or similarity > best:
                best = similarity
                if similarity >= threshold:
                    best_id = person_id
    return best_id, best


def _majority(values: list[str]) -> str:
    if not values:
        return ""
    return Counter(values).most_common(1)[0][0]


class _Evaluator:
    def __init__(self, base: Path, vision_config: VisionConfig | None, video_fps: float) -> None:
        self.base = base
        self.vision = FramePipeline(vision_config)
        self.video_fps = video_fps
        self.face_templates: dict[str, np.ndarray] = {}
        self.voice_templates: dict[str, np.ndarray] = {}
        self._audio: Any = None
        self._audio_error: str | None = None

    # --- vision -------------------------------------------------------------------------

    def _frame(self, image: bytes | np.ndarray) -> FrameResult:
        return self.vision.analyze(image, want_embeddings=True)

    def _video_frames(self, path: Path) -> list[tuple[float, np.ndarray]]:
        capture = cv2.VideoCapture(str(path))
        try:
            if not capture.isOpened():
                raise MediaError("undecodable", "OpenCV cannot open this video.")
            fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
            step = max(1, round(fps / self.video_fps))
            frames, index = [], 0
            while True:
                ok = capture.grab()
                if not ok:
                    break
                if index % step == 0:
                    ok, frame = capture.retrieve()
                    if ok and frame is not None:
                        frames.append((index / fps, frame))
                index += 1
        finally:
            capture.release()
        if not frames:
            raise MediaError("undecodable", "No frame of this video could be decoded.")
        return frames

    def vision_item(self, item: ManifestItem, enroll_as: str | None) -> dict[str, Any]:
        path = self.base / item.path
        if item.kind in IMAGE_KINDS:
            timed = [(0.0, self._frame(path.read_bytes()))]
        else:
            timed = [(t, self._frame(frame)) for t, frame in self._video_frames(path)]
        results = [r for _, r in timed if r.ok]
        if not results:
            reason = timed[0][1].error_reason if timed else "undecodable"
            raise MediaError(reason or "undecodable", "No frame could be analyzed.")

        note: dict[str, Any] = {"frames": len(results)}
        if enroll_as:
            # Enrollment follows the pipeline's own rules (exactly one face per frame): for an
            # image, the frame itself; for a video, its single-face frames.
            frames = [r.embeddings[0] for r in results if r.face_count == 1 and r.embeddings]
            if frames:
                template = np.mean(frames, axis=0)
                self.face_templates[enroll_as] = template / np.linalg.norm(template)
            else:
                note["enrollment_refused"] = "no single-face frame"

        predicted: dict[str, str] = {
            "face_present": _flag(sum(r.face_count >= 1 for r in results) * 2 >= len(results)),
            "multiple_faces": _flag(sum(r.face_count >= 2 for r in results) * 2 > len(results)),
            "attention": _majority([r.attention for r in results if r.attention]),
        }
        threshold = self.vision.config.identity_threshold
        if len(results) == 1:
            person, similarity = _best_person(results[0].embeddings, self.face_templates, threshold)
        else:
            votes = [
                _best_person(r.embeddings[:1], self.face_templates, threshold)[0]
                for r in results
                if r.embeddings
            ]
            person, similarity = _majority(votes), None
        predicted["person"] = person
        if similarity is not None:
            note["best_similarity"] = round(similarity, 4)
        if "face_present_until_s" in item.labels:
            predicted["face_present_until_s"] = _face_until(timed)
        note["labels"] = sorted({label for r in results for label in r.labels})
        return {"predicted": predicted, "details": note}

    # --- audio --------------------------------------------------------------------------

    def _audio_pipeline(self) -> Any:
        if self._audio is None and self._audio_error is None:
            try:
                from analysis.analyzers.audio import AudioPipeline, decode_wav
            except ImportError:
                self._audio_error = "audio pipeline unavailable"
            else:
                self._audio = (AudioPipeline(), decode_wav)
        return self._audio

    def _load_pcm(self, path: Path, decode_wav: Callable[[bytes], np.ndarray]) -> np.ndarray:
        try:
            return decode_wav(path.read_bytes())
        except MediaError:
            # Evaluation media is not always 16 kHz mono PCM16 as the browser sends it;
            # resample it here rather than loosen the upload format.
            import librosa

            pcm, _ = librosa.load(str(path), sr=16000, mono=True)
            return pcm.astype(np.float32)

    def audio_item(self, item: ManifestItem, enroll_as: str | None) -> dict[str, Any]:
        loaded = self._audio_pipeline()
        if loaded is None:
            return {"skipped": self._audio_error}
        pipeline, decode_wav = loaded
        pcm = self._load_pcm(self.base / item.path, decode_wav)
        if enroll_as:
            self.voice_templates[enroll_as] = np.asarray(pipeline.enroll(pcm))
        result = pipeline.analyze(pcm)
        if getattr(result, "ok", True) is False:
            raise MediaError(getattr(result, "error_reason", None) or "audio_failed", "")
        predicted = {
            "speech": _flag(result.speech),
            "speakers": str(result.speaker_count),
            "background_voice": _flag(result.background_voice),
        }
        threshold = getattr(
            getattr(pipeline, "config", None),
            "enrolled_threshold",
            _DEFAULT_VOICE_THRESHOLD,
        )
        best_id, best = "", None
        for person_id, voice in self.voice_templates.items():
            similarity = pipeline.analyze(pcm, enrolled_voice=voice).enrolled_similarity
            if similarity is not None and (best is None or similarity > best):
                best = similarity
                best_id = person_id if similarity >= threshold else ""
        predicted["person"] = best_id
        details: dict[str, Any] = {"labels": sorted(result.labels)}
        if best is not None:
            details["best_similarity"] = round(float(best), 4)
        return {"predicted": predicted, "details": details}


def _face_until(timed: list[tuple[float, FrameResult]]) -> str:
    # The face "is visible until" the middle of the gap between the last frame with a face and
    # the first frame without one that starts the face-less stretch.
    last_face = None
    for t, result in timed:
        if result.ok and result.face_count >= 1:
            last_face = t
    if last_face is None:
        return "0"
    after = [t for t, r in timed if t > last_face]
    end = (last_face + after[0]) / 2 if after else last_face
    return f"{end:.2f}"


def _scored_pairs(items: list[dict[str, Any]], key: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        if "predicted" not in item or item.get("enrollment"):
            continue
        expected, predicted = item["expected"], item["predicted"]
        if key not in predicted:
            continue
        if key == "person":
            # Someone must be there to be recognised: faces for vision, speech for audio.
            present = expected.get("face_present", expected.get("speech"))
            if "person" not in expected and present != "1":
                continue
            pairs.append((expected.get("person", ""), predicted["person"]))
        elif key in expected:
            pairs.append((expected[key], predicted[key]))
    return pairs


def compute_metrics(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Per key: support, accuracy, confusion ``{expected: {predicted: n}}``, precision and
    recall per value, and for yes/no keys the precision/recall of the detected value."""
    metrics: dict[str, Any] = {}
    for key in SCORED_KEYS:
        pairs = _scored_pairs(items, key)
        if not pairs:
            continue
        confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for expected, predicted in pairs:
            confusion[expected][predicted] += 1
        values = sorted({v for pair in pairs for v in pair})
        per_value = {}
        for value in values:
            tp = sum(1 for e, p in pairs if e == value and p == value)
            predicted_n = sum(1 for _, p in pairs if p == value)
            expected_n = sum(1 for e, _ in pairs if e == value)
            per_value[value or "(none)"] = {
                "precision": round(tp / predicted_n, 4) if predicted_n else None,
                "recall": round(tp / expected_n, 4) if expected_n else None,
                "support": expected_n,
            }
        entry: dict[str, Any] = {
            "support": len(pairs),
            "accuracy": round(sum(e == p for e, p in pairs) / len(pairs), 4),
            "per_value": per_value,
            "confusion": {e: dict(p) for e, p in sorted(confusion.items())},
        }
        if key in BINARY_KEYS:
            positive = BINARY_KEYS[key]
            stats = per_value.get(positive, {"precision": None, "recall": None})
            entry["positive"] = positive
            entry["precision"] = stats["precision"]
            entry["recall"] = stats["recall"]
        metrics[key] = entry
    until = [
        (float(item["expected"]["face_present_until_s"]), float(item["predicted"][k]))
        for item in items
        for k in ["face_present_until_s"]
        if k in item.get("predicted", {}) and k in item["expected"]
    ]
    if until:
        metrics["face_present_until_s"] = {
            "support": len(until),
            "mean_abs_error_s": round(sum(abs(e - p) for e, p in until) / len(until), 3),
        }
    metrics["errors"] = sum(1 for item in items if "error" in item)
    metrics["skipped"] = sum(1 for item in items if "skipped" in item)
    return metrics


def evaluate(
    manifest: Path | str,
    *,
    vision_config: VisionConfig | None = None,
    video_fps: float = 3.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the analyzers on every manifest item and score them.

    Returns ``{"items": [{"path", "kind", "expected", "predicted", ...}], "metrics": {...}}``;
    an item that cannot be analyzed carries ``"error"`` (and no ``predicted``), one whose
    analyzer is not installed carries ``"skipped"``. Never raises for a bad media file.
    """
    manifest = Path(manifest)
    evaluator = _Evaluator(manifest.parent, vision_config, video_fps)
    enrolled: set[tuple[str, str]] = set()
    items: list[dict[str, Any]] = []
    started = time.perf_counter()
    for entry in read_manifest(manifest):
        modality = "audio" if entry.kind in AUDIO_KINDS else "vision"
        person = entry.labels.get("person")
        enroll_as = None
        if person and (modality, person) not in enrolled:
            enrolled.add((modality, person))
            enroll_as = person
        item: dict[str, Any] = {
            "path": entry.path,
            "kind": entry.kind,
            "expected": dict(entry.labels),
        }
        if enroll_as:
            item["enrollment"] = True
        if progress:
            progress(entry.path)
        try:
            if modality == "audio":
                outcome = evaluator.audio_item(entry, enroll_as)
            else:
                outcome = evaluator.vision_item(entry, enroll_as)
        except (MediaError, OSError) as exc:
            reason = getattr(exc, "reason", type(exc).__name__)
            item["error"] = f"{reason}: {exc}"
        else:
            item.update(outcome)
        items.append(item)
    return {
        "manifest": str(manifest),
        "items": items,
        "metrics": compute_metrics(items),
        "elapsed_s": round(time.perf_counter() - started, 2),
    }


def format_text_report(result: dict[str, Any]) -> str:
    """Human-readable report: one line per item, then precision/recall and confusions."""
    lines = [f"Manifest: {result.get('manifest', '')}", ""]
    header = f"{'path':58s} {'key':16s} {'expected':>18s} {'predicted':>18s}"
    lines += [header, "-" * len(header)]
    for item in result["items"]:
        if "error" in item or "skipped" in item:
            status = "ERROR " + item["error"] if "error" in item else "SKIPPED " + item["skipped"]
            lines.append(f"{item['path'][:58]:58s} {status}")
            continue
        keys = [
            k
            for k in item["predicted"]
            if k in item["expected"] or (k == "person" and item["predicted"][k])
        ]
        for n, key in enumerate(keys):
            expected = item["expected"].get(key, "")
            predicted = item["predicted"][key]
            mark = "" if expected == predicted else "  <-- differs"
            if item.get("enrollment") and key == "person":
                mark = "  (enrollment)"
            path = item["path"][:58] if n == 0 else ""
            lines.append(f"{path:58s} {key:16s} {expected:>18s} {predicted:>18s}{mark}")
    lines += [
        "",
        f"{'label':22s} {'support':>7s} {'accuracy':>9s} {'precision':>9s} {'recall':>7s}",
    ]
    metrics = result["metrics"]

    def fmt(value: Any) -> str:
        return "-" if value is None else f"{value:.2f}"

    for key in SCORED_KEYS:
        if key not in metrics:
            continue
        m = metrics[key]
        name = f"{key}={m['positive']}" if "positive" in m else key
        lines.append(
            f"{name:22s} {m['support']:7d} {fmt(m['accuracy']):>9s} "
            f"{fmt(m.get('precision')):>9s} {fmt(m.get('recall')):>7s}"
        )
    if "face_present_until_s" in metrics:
        m = metrics["face_present_until_s"]
        lines.append(f"face_present_until_s   mean abs error {m['mean_abs_error_s']} s")
    lines += ["", "Confusions (expected -> predicted: count):"]
    for key in SCORED_KEYS:
        if key not in metrics:
            continue
        cells = [
            f"{e or '(none)'}->{p or '(none)'}: {n}"
            for e, row in metrics[key]["confusion"].items()
            for p, n in row.items()
        ]
        lines.append(f"  {key}: " + ", ".join(cells))
    lines.append(f"\nerrors: {metrics['errors']}, skipped: {metrics['skipped']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.evaluation MANIFEST [--json]``: the same report as the
    ``evaluate_analyzers`` management command, without Django."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = evaluate(args.manifest, progress=lambda p: print(p, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else format_text_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
