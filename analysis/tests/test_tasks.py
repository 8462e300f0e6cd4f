"""The analysis task: bad media gives a failed result with a reason, and the queue moves on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from analysis import runner
from analysis.models import AnalysisResult, Enrollment, MediaItem
from analysis.tasks import media_analyze
from exams.policy import DEFAULT_POLICY

from .test_ingest_api import huge_png_header

pytestmark = pytest.mark.django_db


def _stored(session, data: bytes, kind: str = "frame", seconds: float = 0) -> MediaItem:
    """Media stored as if it had passed the upload checks (a hostile or broken client)."""
    media = MediaItem(
        session=session,
        kind=kind,
        captured_at=session.started_at + timedelta(seconds=seconds),
        size_bytes=len(data),
    )
    media.file.save("x.jpg" if kind == "frame" else "x.wav", ContentFile(data), save=False)
    media.save()
    return media


def _corrupt_jpeg(data: bytes) -> bytes:
    """A JPEG whose header and end marker are intact but whose scan data is garbage."""
    start = data.find(b"\xff\xda") + 20
    return data[:start] + b"\xff\x00" * 20 + b"\xff\xd0\xff" * 200 + data[-2:]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not an image", "not_an_image"),
        (b"", "empty"),
        (huge_png_header(), "too_many_pixels"),
    ],
)
def test_bad_frames_give_failed_results(session, payload, reason) -> None:
    media = _stored(session, payload)
    assert media_analyze(media.pk) == f"failed:{reason}"
    result = AnalysisResult.objects.get(media=media)
    assert result.status == "failed"
    assert result.failure_reason == reason
    assert result.labels == []


def test_truncated_and_corrupt_jpegs_fail_without_killing_the_worker(
    session, shared_media, django_capture_on_commit_callbacks
) -> None:
    good = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    truncated = _stored(session, good[: len(good) // 2], seconds=0)
    corrupt = _stored(session, _corrupt_jpeg(good), seconds=3)
    fine = _stored(session, good, seconds=6)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [media_analyze(m.pk) for m in (truncated, corrupt, fine)]
    assert outcomes[0] == "failed:truncated"
    # libjpeg salvages what it can of a garbled scan: a result either way, and no face in it.
    assert outcomes[1] in {"ok", "failed:undecodable"}
    assert not AnalysisResult.objects.get(media=corrupt).face_count
    assert outcomes[2] == "ok"
    assert AnalysisResult.objects.get(media=fine).face_count == 1
    truncated.refresh_from_db()
    assert truncated.file_deleted_at is not None
    assert not truncated.file.storage.exists(truncated.file.name)


def test_bad_audio_gives_a_failed_result(session) -> None:
    media = _stored(session, b"RIFF....WAVEfmt garbage", kind="audio")
    assert media_analyze(media.pk).startswith("failed:")
    assert AnalysisResult.objects.get(media=media).failure_reason in {"not_wav", "truncated"}


def test_failed_media_is_kept_when_configured(session, settings) -> None:
    settings.ANALYSIS_KEEP_FAILED_MEDIA = True
    media = _stored(session, b"not an image")
    media_analyze(media.pk)
    media.refresh_from_db()
    assert media.has_file


def test_missing_file_is_a_failed_result(session) -> None:
    media = _stored(session, b"whatever")
    media.file.storage.delete(media.file.name)
    assert media_analyze(media.pk) == "failed:media_missing"


def test_an_analyzer_crash_is_recorded_not_raised(session, monkeypatch) -> None:
    def crash(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(runner, "frame_analyze", crash)
    media = _stored(session, b"\xff\xd8 pretend jpeg")
    assert media_analyze(media.pk) == "failed:analyzer_error"
    assert AnalysisResult.objects.get(media=media).failure_reason == "analyzer_error"


def test_a_task_runs_once_per_item_and_skips_unknown_ids(session) -> None:
    media = _stored(session, b"not an image")
    media_analyze(media.pk)
    assert media_analyze(media.pk) == "skipped"
    assert AnalysisResult.objects.filter(media=media).count() == 1
    assert media_analyze(987654) == "skipped"


def test_identity_is_checked_against_the_enrolled_template(session, shared_media) -> None:
    obama = (shared_media / "A_single_frontal_face/a06_face_recognition_obama.jpg").read_bytes()
    hopper = (shared_media / "A_single_frontal_face/a05_matplotlib_grace_hopper.jpg").read_bytes()
    enrollment = runner.face_enroll([obama])
    assert enrollment.ok
    Enrollment.objects.create(
        session=session, kind="face", template=enrollment.template, model_version="t"
    )
    session.exam.policy = {"identity_check_every_n_frames": 1}
    session.exam.save()
    same = _stored(session, obama, seconds=0)
    other = _stored(session, hopper, seconds=3)
    media_analyze(same.pk)
    media_analyze(other.pk)
    same_result = AnalysisResult.objects.get(media=same)
    other_result = AnalysisResult.objects.get(media=other)
    assert "identity_mismatch" not in same_result.labels
    assert "identity_mismatch" in other_result.labels
    assert same_result.identity_similarity > other_result.identity_similarity


def test_identity_is_checked_every_nth_frame_only(session, shared_media) -> None:
    obama = (shared_media / "A_single_frontal_face/a06_face_recognition_obama.jpg").read_bytes()
    enrollment = runner.face_enroll([obama])
    Enrollment.objects.create(
        session=session, kind="face", template=enrollment.template, model_version="t"
    )
    items = [_stored(session, obama, seconds=3 * i) for i in range(6)]
    for item in items:
        media_analyze(item.pk)
    checked = [
        AnalysisResult.objects.get(media=item).identity_similarity is not None for item in items
    ]
    assert checked == [True, False, False, False, False, True]


def test_accommodations_reach_the_analyzers(shared_media) -> None:
    voices = (shared_media / "F_two_speakers/f02_turns_librivoxM_arcticF.wav").read_bytes()
    turned = (shared_media / "D_head_not_frontal/d04_pyfeat_yaw45.jpg").read_bytes()
    on = dict(DEFAULT_POLICY)
    off = {**DEFAULT_POLICY, "voice_checks": False, "gaze_checks": False}
    assert "multiple_voices" in runner.audio_analyze(voices, policy=on, voice_template=None).labels
    assert runner.audio_analyze(voices, policy=off, voice_template=None).labels == []
    kwargs = {"face_template": None, "check_identity": False}
    assert "looking_away" in runner.frame_analyze(turned, policy=on, **kwargs).labels
    assert "looking_away" not in runner.frame_analyze(turned, policy=off, **kwargs).labels
