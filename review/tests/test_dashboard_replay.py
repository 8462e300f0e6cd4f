"""The reviewers' code playback page: who may open it and what it hands to the player."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from monitoring.models import MonitoringLog
from submissions.services import submission_create


def _changes(session, seq: int, problem_id: int, changes: list[dict]) -> None:  # noqa: ANN001
    now = timezone.now()
    MonitoringLog.objects.create(
        session=session,
        seq=seq,
        type="editor_changes",
        client_ts=now,
        server_ts=now,
        payload={"problem_id": problem_id, "changes": changes},
        chain_index=seq,
        prev_hash="0" * 64,
        hash=f"{seq:064d}",
    )


@pytest.fixture
def recorded(session):  # noqa: ANN001, ANN201
    first = session.exam.problems.order_by("order").first()
    _changes(
        session,
        1,
        first.pk,
        [
            {"t": 1000, "kind": "base", "from": 0, "to": 0, "del": "", "ins": "x"},
            {"t": 1200, "kind": "type", "from": 1, "to": 1, "del": "", "ins": "y"},
            {
                "t": 1400,
                "kind": "paste",
                "from": 2,
                "to": 2,
                "del": "",
                "ins": "<z>",
                "origin": "outside",
            },
        ],
    )
    return session, first


def _player_data(response) -> list[dict]:  # noqa: ANN001
    html = response.content.decode()
    return json.loads(
        html.split('id="replay-data" type="application/json">')[1].split("</script>")[0]
    )


@pytest.mark.django_db
def test_proctor_gets_each_problems_changes_and_whether_they_end_at_the_final_code(
    recorded, proctor, web_client_for
):
    session, first = recorded
    submission_create(session=session, problem_id=first.pk, language="python", code="xy<z>")
    url = f"/admin/exams/examsession/{session.pk}/review/replay/"
    response = web_client_for(proctor).get(url)
    assert response.status_code == 200
    data = _player_data(response)
    assert [p["problem_id"] for p in data] == list(
        session.exam.problems.order_by("order").values_list("pk", flat=True)
    )
    assert [c["ins"] for c in data[0]["changes"]] == ["x", "y", "<z>"]
    assert data[0]["changes"][2]["origin"] == "outside"
    assert data[0]["replayed_matches_final"] is True
    assert data[0]["submissions"][0]["version"] == 1
    assert data[1]["changes"] == [] and data[1]["replayed_matches_final"] is None
    # The pasted text is data for the player, never markup in the page.
    assert "<z>" not in response.content.decode().split('id="replay-data"')[0]
    review = web_client_for(proctor).get(f"/admin/exams/examsession/{session.pk}/review/")
    assert url in review.content.decode()


@pytest.mark.django_db
def test_a_final_code_that_the_replay_does_not_reach_is_said(recorded, proctor, web_client_for):
    session, first = recorded
    submission_create(session=session, problem_id=first.pk, language="python", code="other")
    response = web_client_for(proctor).get(f"/admin/exams/examsession/{session.pk}/review/replay/")
    assert _player_data(response)[0]["replayed_matches_final"] is False
    assert "the replay does not end with the final submission" in response.content.decode()


@pytest.mark.django_db
def test_candidates_cannot_open_the_playback(recorded, candidate, web_client_for):
    session, _first = recorded
    response = web_client_for(candidate).get(
        f"/admin/exams/examsession/{session.pk}/review/replay/"
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_a_session_without_the_recording_editor_says_its_code_was_not_recorded(
    session, recorded, proctor, web_client_for, start_session, other_candidate
):
    """API-only code: no playback and no untyped check, and the reviewer is told why."""
    api_only, _token = start_session(other_candidate, session.exam)
    submission_create(
        session=api_only,
        problem_id=session.exam.problems.order_by("order").first().pk,
        language="python",
        code="print('sent by a script')\n",
    )
    note = "The code of this session was not recorded."
    page = web_client_for(proctor).get(f"/admin/exams/examsession/{api_only.pk}/review/replay/")
    assert page.status_code == 200 and note in page.content.decode()
    page = web_client_for(proctor).get(f"/admin/exams/examsession/{session.pk}/review/replay/")
    assert note not in page.content.decode()  # this one sent editor records
