"""The seed's /api/ai-monitoring endpoints: analyze, results, stats."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from .factories import audio_result, frame_result, t0

pytestmark = pytest.mark.django_db

ANALYZE = "/api/ai-monitoring/analyze"
RESULTS = "/api/ai-monitoring/results"
STATS = "/api/ai-monitoring/stats"


def _b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


# POST /analyze


def test_analyze_image_and_events(candidate, client_for, shared_media) -> None:
    response = client_for(candidate).post(
        ANALYZE,
        {
            "image": _b64(shared_media / "B_multiple_faces/b04_ultralytics_zidane_2people.jpg"),
            "events": ["tab_switch", {"type": "copy_paste", "chars": 500}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["labels"]) >= {"multiple_faces", "tab_hidden", "large_paste"}
    assert 0 < body["risk_score"] <= 100
    assert body["details"]["image"]["face_count"] >= 2


def test_analyze_a_frontal_face_is_low_risk(candidate, client_for, shared_media) -> None:
    response = client_for(candidate).post(
        ANALYZE,
        {"image": _b64(shared_media / "A_single_frontal_face/a07_opencv_portrait_227943776_1.jpg")},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {**response.json(), "labels": [], "risk_score": 0.0}


def test_analyze_audio(candidate, client_for, shared_media) -> None:
    response = client_for(candidate).post(
        ANALYZE,
        {"audio": _b64(shared_media / "F_two_speakers/f01_pyannote_sample_2speakers.wav")},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert "multiple_voices" in response.json()["labels"]
    assert response.json()["details"]["audio"]["speaker_count"] == 2


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"events": ["teleported"]}, 400, "invalid"),
        ({"image": base64.b64encode(b"nope").decode()}, 400, "not_an_image"),
        ({"audio": base64.b64encode(b"nope").decode()}, 400, "not_wav"),
        ({"image": "%%%"}, 400, "invalid"),
    ],
)
def test_analyze_bad_input(candidate, client_for, payload, status, code) -> None:
    response = client_for(candidate).post(ANALYZE, payload, format="json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_analyze_needs_authentication(api_client) -> None:
    assert api_client.post(ANALYZE, {"events": ["tab_switch"]}, format="json").status_code == 401


# GET /results


def test_results_are_filtered_and_paginated(session, proctor, client_for) -> None:
    for s in (0, 3, 6):
        frame_result(session, s, labels=["no_face"])
    frame_result(session, 9)
    audio_result(session, 10, labels=["background_voice"], speech_s=1.0)
    client = client_for(proctor)

    everything = client.get(RESULTS, {"session": str(session.pk)}).json()
    assert everything["count"] == 5
    no_face = client.get(RESULTS, {"label": "no_face"}).json()
    assert no_face["count"] == 3
    assert all(r["labels"] == ["no_face"] for r in no_face["results"])
    audio = client.get(RESULTS, {"kind": "audio"}).json()
    assert [r["labels"] for r in audio["results"]] == [["background_voice"]]
    since = (t0(session) + timedelta(seconds=5)).isoformat()
    assert client.get(RESULTS, {"since": since}).json()["count"] == 3
    until = (t0(session) + timedelta(seconds=5)).isoformat()
    assert client.get(RESULTS, {"until": until}).json()["count"] == 2
    page = client.get(RESULTS, {"page_size": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"]


def test_candidates_see_only_their_own_results(
    session, other_candidate, exam, start_session, candidate, client_for
) -> None:
    other_session, _ = start_session(other_candidate, exam)
    frame_result(session, 0, labels=["no_face"])
    frame_result(other_session, 0, labels=["multiple_faces"])

    own = client_for(candidate).get(RESULTS).json()
    assert [r["session_id"] for r in own["results"]] == [str(session.pk)]
    response = client_for(candidate).get(RESULTS, {"session": str(other_session.pk)})
    assert response.status_code == 404


def test_results_bad_filters(proctor, client_for) -> None:
    response = client_for(proctor).get(RESULTS, {"since": "yesterday"})
    assert response.status_code == 400
    assert client_for(proctor).get(RESULTS, {"session": "nope"}).status_code == 400


# GET /stats


def test_stats_per_label_and_exam(session, other_candidate, start_session, proctor, client_for):
    from exams.models import Exam

    frame_result(session, 0, labels=["no_face"])
    frame_result(session, 3, labels=["no_face", "multiple_faces"], faces=0)
    frame_result(session, 6)
    second_exam = Exam.objects.create(title="Databases")
    other_session, _ = start_session(other_candidate, second_exam)
    frame_result(other_session, 0, labels=["looking_away"])

    body = client_for(proctor).get(STATS).json()
    overall = body["overall"]
    assert overall["results"] == 4
    assert overall["by_label"] == {"looking_away": 1, "multiple_faces": 1, "no_face": 2}
    assert overall["risk"]["max"] == 85.0
    assert overall["risk"]["mean"] == pytest.approx((50 + 85 + 0 + 30) / 4, abs=0.01)
    by_exam = {row["exam_id"]: row for row in body["by_exam"]}
    assert by_exam[session.exam_id]["by_label"] == {"multiple_faces": 1, "no_face": 2}
    assert by_exam[second_exam.pk]["results"] == 1

    only = client_for(proctor).get(STATS, {"exam": second_exam.pk}).json()
    assert only["overall"]["by_label"] == {"looking_away": 1}


def test_stats_are_for_reviewers_only(candidate, client_for) -> None:
    response = client_for(candidate).get(STATS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


# GET /media/<id>


def test_reviewers_fetch_retained_evidence_only(session, proctor, candidate, client_for) -> None:
    for s in (0, 3, 6):
        result = frame_result(session, s, labels=["no_face"])
    response = client_for(proctor).get(f"/api/ai-monitoring/media/{result.media_id}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"test"
    assert response["Cache-Control"] == "private, no-store"
    assert (
        client_for(candidate).get(f"/api/ai-monitoring/media/{result.media_id}").status_code == 403
    )
    assert client_for(proctor).get("/api/ai-monitoring/media/999999").status_code == 404
