"""The attempt policy: an ended session stays ended unless a proctor grants another attempt."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD
from exams.models import AttemptGrant, Exam, ExamSession

pytestmark = pytest.mark.django_db


def _start(client, user, exam):
    return client.post(f"/api/auth/start-exam/{user.pk}", {"exam_id": exam.pk}, format="json")


def _admin_grant(proctor, sessions, reason: str = "Power cut in the exam room."):
    browser = Client()
    assert browser.login(username=proctor.username, password=PASSWORD)
    return browser.post(
        "/admin/exams/examsession/",
        {
            "action": "grant_attempt",
            "_selected_action": [str(s.pk) for s in sessions],
            "reason": reason,
            "apply": "1",
        },
    )


def test_a_submitted_session_cannot_be_started_again(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    assert client.post(f"/api/auth/end-exam/{token}").status_code == 200

    again = _start(client, candidate, exam)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "attempt_limit_reached"
    assert again.json()["error"]["details"] == {"used": 1, "allowed": 1}
    assert ExamSession.objects.filter(candidate=candidate).count() == 1


def test_terminated_candidate_starts_again_only_after_a_proctors_grant(
    client_for, candidate, proctor, exam, start_session
) -> None:
    from exams.services import session_terminate

    session, _token = start_session(candidate, exam)
    session_terminate(session=session, actor=proctor, reason="Second person in the room.")
    assert _start(client_for(candidate), candidate, exam).status_code == 409

    response = _admin_grant(proctor, [session])
    assert response.status_code == 302

    grant = AttemptGrant.objects.get(session=session)
    assert (grant.actor, grant.reason) == (proctor, "Power cut in the exam room.")
    assert _start(client_for(candidate), candidate, exam).status_code == 201
    # The grant was for one attempt only.
    ExamSession.objects.filter(candidate=candidate, status="in_progress").update(status="submitted")
    assert _start(client_for(candidate), candidate, exam).status_code == 409


def test_grant_asks_for_a_reason_and_refuses_a_running_session(
    client_for, candidate, proctor, exam, session
) -> None:
    browser = Client()
    assert browser.login(username=proctor.username, password=PASSWORD)
    page = browser.post(
        "/admin/exams/examsession/",
        {"action": "grant_attempt", "_selected_action": [str(session.pk)]},
    )
    assert page.status_code == 200
    assert b"Grant another attempt" in page.content

    _admin_grant(proctor, [session])

    assert not AttemptGrant.objects.exists()


def test_a_candidate_cannot_grant_themselves_an_attempt(candidate, exam) -> None:
    browser = Client()
    assert browser.login(username=candidate.username, password=PASSWORD)
    ended = ExamSession.objects.create(candidate=candidate, exam=exam, status="submitted")
    browser.post(
        "/admin/exams/examsession/",
        {"action": "grant_attempt", "_selected_action": [str(ended.pk)], "reason": "x"},
    )
    assert not AttemptGrant.objects.exists()


def test_exam_list_shows_a_finished_exam_as_finished(client_for, candidate, exam) -> None:
    other = Exam.objects.create(title="Databases", max_attempts=2)
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    client.post(f"/api/auth/end-exam/{token}")

    listed = {item["id"]: item for item in client.get("/api/exams/").json()}

    assert listed[exam.pk]["finished"] is True
    assert listed[exam.pk]["attempts"] == {"used": 1, "allowed": 1, "remaining": 0}
    assert listed[other.pk]["finished"] is False
    assert listed[other.pk]["attempts"]["remaining"] == 2


def test_a_running_session_is_not_shown_as_finished(client_for, candidate, exam) -> None:
    """Its one attempt is in use, but the candidate must be able to rejoin it (a new tab)."""
    client = client_for(candidate)
    assert _start(client, candidate, exam).status_code == 201

    listed = {item["id"]: item for item in client.get("/api/exams/").json()}

    assert listed[exam.pk]["attempts"]["remaining"] == 0
    assert listed[exam.pk]["finished"] is False
