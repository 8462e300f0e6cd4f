"""The evaluation logic behind ``evaluate_analyzers``, on a small manifest of real media."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.evaluation import (
    compute_metrics,
    evaluate,
    format_text_report,
    parse_labels,
)

ROWS = [
    (
        "A_single_frontal_face/a06_face_recognition_obama.jpg",
        "image",
        "face_present=1;multiple_faces=0;attention=screen;person=obama",
    ),
    (
        "D_head_not_frontal/d08_face_recognition_partial_face.jpg",
        "image",
        "face_present=1;multiple_faces=0;attention=screen;person=obama",
    ),
    (
        "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg",
        "image",
        "face_present=1;multiple_faces=0;attention=screen",
    ),
    (
        "C_no_face/c08_opencv_apple_false_positive.jpg",
        "image",
        "face_present=0;multiple_faces=0",
    ),
    (
        "B_multiple_faces/b04_ultralytics_zidane_2people.jpg",
        "image",
        "face_present=1;multiple_faces=1",
    ),
    (
        "D_head_not_frontal/d04_pyfeat_yaw45.jpg",
        "image",
        "face_present=1;multiple_faces=0;attention=away",
    ),
    ("broken.mp4", "video", "face_present=1"),
    (
        "F_two_speakers/f01_pyannote_sample_2speakers.rttm",
        "annotation",
        "annotation_for=x",
    ),
]


def test_parse_labels() -> None:
    assert parse_labels("a=1; b = x ;;c=") == {"a": "1", "b": "x", "c": ""}
    assert parse_labels("") == {}


@pytest.fixture(scope="module")
def report(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Paths are relative to the manifest: link the real files into a scratch folder.
    base = tmp_path_factory.mktemp("manifest")
    lines = ["path\tkind\tlabels\tredistributable\torigin\tlicence\tnotes"]
    for path, kind, labels in ROWS:
        target = base / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path == "broken.mp4":
            target.write_bytes(b"\x00\x00\x00\x18ftypmp42 but nothing decodable follows")
        else:
            target.symlink_to(shared_media / path)
        lines.append(f"{path}\t{kind}\t{labels}\tno\t-\t-\t-")
    (base / "MANIFEST.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return evaluate(base / "MANIFEST.tsv")


def test_items_follow_the_manifest(report: dict) -> None:
    paths = [item["path"] for item in report["items"]]
    assert paths == [row[0] for row in ROWS if row[1] != "annotation"]
    first = report["items"][0]
    assert first["enrollment"] is True
    assert first["expected"]["person"] == "obama"


def test_predictions_use_manifest_keys_and_values(report: dict) -> None:
    by_path = {item["path"]: item for item in report["items"]}
    partial = by_path["D_head_not_frontal/d08_face_recognition_partial_face.jpg"]["predicted"]
    assert partial == {
        "face_present": "1",
        "multiple_faces": "0",
        "attention": "screen",
        "person": "obama",
    }
    assert (
        by_path["A_single_frontal_face/a05_matplotlib_grace_hopper.jpg"]["predicted"]["person"]
        == ""
    )
    apple = by_path["C_no_face/c08_opencv_apple_false_positive.jpg"]["predicted"]
    assert apple["face_present"] == "0"
    assert (
        by_path["B_multiple_faces/b04_ultralytics_zidane_2people.jpg"]["predicted"][
            "multiple_faces"
        ]
        == "1"
    )
    assert by_path["D_head_not_frontal/d04_pyfeat_yaw45.jpg"]["predicted"]["attention"] == "away"


def test_undecodable_video_is_an_error_item_not_a_crash(report: dict) -> None:
    broken = next(item for item in report["items"] if item["path"] == "broken.mp4")
    assert "predicted" not in broken
    assert broken["error"].startswith("undecodable")
    assert report["metrics"]["errors"] == 1


def test_metrics_and_text_report(report: dict) -> None:
    metrics = report["metrics"]
    assert metrics["face_present"]["support"] == 5
    assert metrics["face_present"]["precision"] == 1.0
    assert metrics["face_present"]["recall"] == 1.0
    assert metrics["attention"]["confusion"] == {
        "away": {"away": 1},
        "screen": {"screen": 2},
    }
    # The enrollment item is not scored; d08 (obama) and a05/b04/d04 (nobody enrolled) are.
    assert metrics["person"]["support"] == 4
    assert metrics["person"]["accuracy"] == 1.0
    json.dumps(report)
    text = format_text_report(report)
    assert "face_present=1" in text and "broken.mp4" in text and "ERROR" in text


def test_metrics_count_misses_and_false_alarms() -> None:
    items = [
        {
            "path": "a",
            "expected": {"face_present": "1"},
            "predicted": {"face_present": "0"},
        },
        {
            "path": "b",
            "expected": {"face_present": "0"},
            "predicted": {"face_present": "1"},
        },
        {
            "path": "c",
            "expected": {"face_present": "1"},
            "predicted": {"face_present": "1"},
        },
    ]
    metrics = compute_metrics(items)["face_present"]
    assert metrics["precision"] == 0.5
    assert metrics["recall"] == 0.5
    assert metrics["confusion"] == {"0": {"1": 1}, "1": {"0": 1, "1": 1}}
