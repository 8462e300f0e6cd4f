"""The per-session aggregator on synthetic sequences of results."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analysis.models import MediaItem
from monitoring.models import Incident

from .factories import audio_result, frame_result, t0

pytestmark = pytest.mark.django_db


def _incidents(session, kind):
    return list(Incident.objects.filter(session=session, kind=kind).order_by("started_at"))


def _evidence_ids(incident: Incident) -> list[int]:
    return [ref["id"] for ref in incident.evidence]


def test_no_face_for_six_seconds_over_three_frames_is_one_incident(session) -> None:
    results = [frame_result(session, s, labels=["no_face"]) for s in (0, 3, 6)]

    [incident] = _incidents(session, "no_face")
    assert incident.source == Incident.Source.ANALYZER
    assert incident.started_at == t0(session)
    assert incident.ended_at == t0(session) + timedelta(seconds=6)
    assert _evidence_ids(incident) == [r.media_id for r in results]
    assert {ref["type"] for ref in incident.evidence} == {"frame"}
    assert incident.confidence == 1.0
    evidence = MediaItem.objects.filter(pk__in=_evidence_ids(incident))
    assert all(item.is_evidence and item.has_file for item in evidence)


def test_no_face_too_short_gives_nothing_and_its_frames_are_deleted(
    session, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        results = [frame_result(session, s, labels=["no_face"]) for s in (0, 3)]
        face = frame_result(session, 6)

    assert _incidents(session, "no_face") == []
    for result in [*results, face]:
        media = MediaItem.objects.get(pk=result.media_id)
        assert not media.is_evidence
        assert media.file_deleted_at is not None
        assert not media.file.storage.exists(media.file.name)


def test_frames_of_a_pending_run_are_kept_until_it_resolves(session) -> None:
    first = frame_result(session, 0, labels=["no_face"])
    assert MediaItem.objects.get(pk=first.media_id).has_file  # may still become evidence
    frame_result(session, 3, labels=["no_face"])
    frame_result(session, 6, labels=["no_face"])
    assert MediaItem.objects.get(pk=first.media_id).is_evidence


def test_min_frames_is_required_even_when_the_span_is_long(session) -> None:
    session.exam.policy = {"no_face_min_frames": 3}
    session.exam.save()
    frame_result(session, 0, labels=["no_face"])
    frame_result(session, 10, labels=["no_face"])
    assert _incidents(session, "no_face") == []
    frame_result(session, 12, labels=["no_face"])
    assert len(_incidents(session, "no_face")) == 1


def test_an_ongoing_run_extends_its_incident(session) -> None:
    for s in (0, 3, 6, 9):
        last = frame_result(session, s, labels=["no_face"])
    [incident] = _incidents(session, "no_face")
    assert incident.ended_at == t0(session) + timedelta(seconds=9)
    assert _evidence_ids(incident)[-1] == last.media_id
    assert len(incident.evidence) == 4


def test_two_of_three_consecutive_multi_face_frames_is_an_incident(session) -> None:
    a = frame_result(session, 0, labels=["multiple_faces"])
    frame_result(session, 3)
    b = frame_result(session, 6, labels=["multiple_faces"])

    [incident] = _incidents(session, "multiple_faces")
    assert incident.severity == "high"
    assert _evidence_ids(incident) == [a.media_id, b.media_id]
    assert incident.started_at == a.captured_at
    assert incident.ended_at == b.captured_at
    assert incident.confidence == pytest.approx(2 / 3, abs=0.01)
    assert incident.details["max_face_count"] == 2


def test_single_blips_give_no_incident(session) -> None:
    frame_result(session, 0, labels=["multiple_faces"])
    frame_result(session, 3)
    frame_result(session, 6)
    frame_result(session, 9, labels=["no_face"])
    frame_result(session, 12)
    frame_result(session, 15, labels=["looking_away"], gaze="left")
    frame_result(session, 18)
    frame_result(session, 21, labels=["multiple_faces"])
    assert not Incident.objects.filter(session=session).exists()


def test_adjacent_runs_are_merged(session) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["no_face"])
    frame_result(session, 9)  # the candidate is back for one frame
    for s in (12, 15, 18):
        frame_result(session, s, labels=["no_face"])

    [incident] = _incidents(session, "no_face")
    assert incident.started_at == t0(session)
    assert incident.ended_at == t0(session) + timedelta(seconds=18)
    assert incident.details["merged_runs"] == 2
    assert len(incident.evidence) == 6
    assert incident.confidence < 1.0


def test_distant_runs_are_separate_incidents(session) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["no_face"])
    frame_result(session, 9)
    for s in (60, 63, 66):
        frame_result(session, s, labels=["no_face"])
    assert len(_incidents(session, "no_face")) == 2


def test_looking_away_needs_five_seconds_and_reports_the_direction(session) -> None:
    frame_result(session, 0, labels=["looking_away"], gaze="left")
    frame_result(session, 3, labels=["looking_away"], gaze="left")
    assert _incidents(session, "looking_away") == []
    frame_result(session, 6, labels=["looking_away"], gaze="down")

    [incident] = _incidents(session, "looking_away")
    assert incident.details["direction"] == "left"
    assert incident.details["directions"] == {"left": 2, "down": 1}
    assert incident.severity == "low"


def test_a_covered_camera_is_not_reported_as_no_face(session) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["camera_obstructed"])
    assert _incidents(session, "no_face") == []
    assert len(_incidents(session, "camera_obstructed")) == 1


def test_bad_quality_frames_neither_extend_nor_break_a_no_face_run(session) -> None:
    frame_result(session, 0, labels=["no_face"])
    frame_result(session, 3, labels=["low_quality"])
    frame_result(session, 6, labels=["no_face"])
    [incident] = _incidents(session, "no_face")
    assert len(incident.evidence) == 2


def test_identity_mismatch_needs_two_checks_in_a_row(session) -> None:
    frame_result(session, 0, labels=["identity_mismatch"], similarity=0.1)
    frame_result(session, 3)  # identity not checked on this frame: not judged
    assert _incidents(session, "identity_mismatch") == []
    frame_result(session, 15, labels=["identity_mismatch"], similarity=0.2)
    [incident] = _incidents(session, "identity_mismatch")
    assert incident.details["min_similarity"] == pytest.approx(0.1)


def test_identity_match_between_mismatches_breaks_the_run(session) -> None:
    frame_result(session, 0, labels=["identity_mismatch"], similarity=0.1)
    frame_result(session, 15, similarity=0.8)
    frame_result(session, 30, labels=["identity_mismatch"], similarity=0.1)
    assert _incidents(session, "identity_mismatch") == []


def test_another_voice_for_three_seconds_of_speech(session) -> None:
    a = audio_result(session, 0, labels=["background_voice"], speech_s=2.0)
    assert _incidents(session, "background_voice") == []
    b = audio_result(session, 5, labels=["background_voice"], speech_s=2.0)

    [incident] = _incidents(session, "background_voice")
    assert incident.started_at == a.captured_at
    assert incident.ended_at == b.captured_at + timedelta(seconds=5)
    assert incident.evidence == [
        {"type": "audio", "id": a.media_id},
        {"type": "audio", "id": b.media_id},
    ]


def test_a_short_other_voice_gives_nothing(session) -> None:
    audio_result(session, 0, labels=["background_voice"], speech_s=1.5)
    audio_result(session, 5, speech_s=4.0)
    audio_result(session, 10, labels=["background_voice"], speech_s=1.5)
    assert _incidents(session, "background_voice") == []


def test_accommodation_turns_voice_checks_off(candidate, exam, start_session) -> None:
    session, _ = start_session(candidate, exam)
    session.accommodations = {"voice_checks": False}
    session.save()
    for s in (0, 5, 10):
        audio_result(session, s, labels=["multiple_voices"], speech_s=4.0, speakers=2)
    assert not Incident.objects.filter(session=session).exists()


def test_same_sequence_without_accommodation_raises_voice_incident(session) -> None:
    for s in (0, 5, 10):
        audio_result(session, s, labels=["multiple_voices"], speech_s=4.0, speakers=2)
    [incident] = _incidents(session, "multiple_voices")
    assert incident.details["max_speaker_count"] == 2
    assert incident.ended_at == t0(session) + timedelta(seconds=15)


def test_exam_policy_thresholds_apply(session) -> None:
    session.exam.policy = {"no_face_min_s": 20}
    session.exam.save()
    for s in (0, 3, 6, 9):
        frame_result(session, s, labels=["no_face"])
    assert _incidents(session, "no_face") == []
    frame_result(session, 21, labels=["no_face"])
    assert len(_incidents(session, "no_face")) == 1


def test_a_late_positive_joins_the_run_it_belongs_to(session) -> None:
    frame_result(session, 0)
    frame_result(session, 6, labels=["no_face"])
    frame_result(session, 9, labels=["no_face"])
    assert _incidents(session, "no_face") == []  # 6 -> 9 is 3 s
    late = frame_result(session, 3, labels=["no_face"])  # a retried upload, or a second worker
    [incident] = _incidents(session, "no_face")
    assert incident.started_at == t0(session) + timedelta(seconds=3)
    assert incident.ended_at == t0(session) + timedelta(seconds=9)
    assert late.media_id in _evidence_ids(incident)


def test_a_late_item_cannot_reach_across_a_negative(
    session, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        frame_result(session, 10)
        frame_result(session, 12, labels=["no_face"])
        frame_result(session, 15, labels=["no_face"])
        late = frame_result(session, 2, labels=["no_face"])  # before the face at 10
    assert _incidents(session, "no_face") == []
    assert MediaItem.objects.get(pk=late.media_id).file_deleted_at is not None


def test_a_late_negative_does_not_undo_an_incident(session) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["no_face"])
    frame_result(session, 4)  # arrives after the incident was opened
    [incident] = _incidents(session, "no_face")
    assert len(incident.evidence) == 3


def test_dismissed_incident_is_not_extended_by_a_new_run(session) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["no_face"])
    frame_result(session, 9)
    [first] = _incidents(session, "no_face")
    first.review_status = Incident.ReviewStatus.DISMISSED
    first.save()
    for s in (12, 15, 18):
        frame_result(session, s, labels=["no_face"])
    assert len(_incidents(session, "no_face")) == 2


def test_legal_hold_keeps_every_file(session) -> None:
    session.legal_hold = True
    session.save()
    result = frame_result(session, 0)
    assert MediaItem.objects.get(pk=result.media_id).has_file


def test_retention_setting_keeps_non_evidence_media(session, settings) -> None:
    settings.ANALYSIS_KEEP_NON_EVIDENCE_MEDIA = True
    result = frame_result(session, 0)
    assert MediaItem.objects.get(pk=result.media_id).has_file


def test_pending_media_is_released_when_the_session_ends(
    session, candidate, django_capture_on_commit_callbacks
) -> None:
    from exams.services import session_end

    with django_capture_on_commit_callbacks(execute=True):
        pending = frame_result(session, 0, labels=["no_face"])
        assert MediaItem.objects.get(pk=pending.media_id).has_file
        session_end(session=session, actor=candidate)
    media = MediaItem.objects.get(pk=pending.media_id)
    assert media.file_deleted_at is not None
    assert not media.file.storage.exists(media.file.name)
