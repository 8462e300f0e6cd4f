"""Management commands: evaluate_analyzers (a manifest in, metrics out) and reanalyze."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analysis.models import AnalysisResult, MediaItem
from monitoring.models import Incident

from .test_tasks import _stored


def _manifest(tmp_path, shared_media, rows):
    lines = ["path\tkind\tlabels"]
    lines += [f"{shared_media / path}\t{kind}\t{labels}" for path, kind, labels in rows]
    manifest = tmp_path / "MANIFEST.tsv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def test_evaluate_analyzers_json(tmp_path, shared_media) -> None:
    manifest = _manifest(
        tmp_path,
        shared_media,
        [
            (
                "A_single_frontal_face/a06_face_recognition_obama.jpg",
                "image",
                "face_present=1;multiple_faces=0;person=obama",
            ),
            (
                "D_head_not_frontal/d08_face_recognition_partial_face.jpg",
                "image",
                "face_present=1;person=obama",
            ),
            ("C_no_face/c01_opencv_desk_objects.jpg", "image", "face_present=0"),
            ("F_no_speech/n01_pyannote_sample_leadin_roomtone.wav", "audio", "speech=0"),
        ],
    )
    out = StringIO()
    call_command("evaluate_analyzers", "--manifest", str(manifest), "--json", stdout=out)
    report = json.loads(out.getvalue())
    items = {item["path"].rsplit("/", 1)[-1]: item for item in report["items"]}
    assert items["a06_face_recognition_obama.jpg"]["expected"]["person"] == "obama"
    assert items["d08_face_recognition_partial_face.jpg"]["predicted"]["person"] == "obama"
    assert items["c01_opencv_desk_objects.jpg"]["predicted"]["face_present"] == "0"
    assert items["n01_pyannote_sample_leadin_roomtone.wav"]["predicted"]["speech"] == "0"
    assert report["metrics"]["face_present"]["support"] >= 2


def test_evaluate_analyzers_text_report(tmp_path, shared_media) -> None:
    manifest = _manifest(
        tmp_path, shared_media, [("C_no_face/c05_skimage_coffee.png", "image", "face_present=0")]
    )
    out = StringIO()
    call_command("evaluate_analyzers", "--manifest", str(manifest), stdout=out)
    assert "precision" in out.getvalue()
    assert "face_present" in out.getvalue()


def test_evaluate_analyzers_needs_a_manifest(tmp_path) -> None:
    with pytest.raises(CommandError):
        call_command("evaluate_analyzers", "--manifest", str(tmp_path / "missing.tsv"))


@pytest.mark.django_db
def test_reanalyze_rebuilds_results_and_incidents_from_retained_media(
    session, shared_media, django_capture_on_commit_callbacks
) -> None:
    from analysis.tasks import media_analyze

    desk = (shared_media / "C_no_face/c01_opencv_desk_objects.jpg").read_bytes()
    face = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        items = [_stored(session, desk, seconds=s) for s in (0, 3, 6)]
        plain = _stored(session, face, seconds=9)
        for item in [*items, plain]:
            media_analyze(item.pk)
    [incident] = Incident.objects.filter(session=session, kind="no_face")
    old_results = set(AnalysisResult.objects.filter(media__in=items).values_list("pk", flat=True))
    # A manual result edit the re-analysis must undo, and a reviewed incident it must keep.
    AnalysisResult.objects.filter(media=items[0]).update(labels=["tampered"])
    Incident.objects.create(
        session=session,
        kind="looking_away",
        source="analyzer",
        started_at=session.started_at,
        review_status="confirmed",
    )

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reanalyze", "--session", str(session.pk), stdout=out)
    assert "Re-analyzed 3 media item(s)" in out.getvalue()  # the plain frame's file is gone
    new_results = AnalysisResult.objects.filter(media__in=items)
    assert not old_results & set(new_results.values_list("pk", flat=True))
    assert all(r.labels == ["no_face"] for r in new_results)
    [rebuilt] = Incident.objects.filter(session=session, kind="no_face")
    assert rebuilt.pk != incident.pk
    assert [ref["id"] for ref in rebuilt.evidence] == [item.pk for item in items]
    assert Incident.objects.filter(kind="looking_away", review_status="confirmed").exists()
    assert MediaItem.objects.get(pk=plain.pk).file_deleted_at is not None


@pytest.mark.django_db
def test_reanalyze_unknown_session() -> None:
    with pytest.raises(CommandError):
        call_command("reanalyze", "--session", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError):
        call_command("reanalyze", "--session", "nope")
