from __future__ import annotations

import pytest

from exams.lifecycle import SessionStatus
from exams.models import ExamSession
from monitoring.incidents import incident_create

pytestmark = pytest.mark.django_db

ADMIN_ENDPOINTS = [
    ("get", "/api/admin/stats"),
    ("get", "/api/admin/candidates"),
    ("get", "/api/admin/exam-sessions"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_candidates_cannot_use_admin_endpoints(client_for, candidate, method, path) -> None:
    response = getattr(client_for(candidate), method)(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_anonymous_gets_401(api_client, method, path) -> None:
    assert getattr(api_client, method)(path).status_code == 401


def test_candidate_cannot_terminate(client_for, candidate, session) -> None:
    response = client_for(candidate).post(
        f"/api/admin/exam-sessions/{session.pk}/terminate", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS


def test_stats_counts_sessions_and_incidents(client_for, proctor, session) -> None:
    from django.utils import timezone

    incident_create(session=session, kind="tab_hidden", source="browser", started_at=timezone.now())
    body = client_for(proctor).get("/api/admin/stats").json()
    assert body["candidates"] == 1
    assert body["sessions"]["active"] == 1
    assert body["sessions"]["by_status"]["in_progress"] == 1
    assert body["incidents"] == {"total": 1, "unreviewed": 1, "by_kind": {"tab_hidden": 1}}


def test_candidates_list_is_paginated_and_searchable(
    client_for, admin_user, candidate, other_candidate, session
) -> None:
    client = client_for(admin_user)
    body = client.get("/api/admin/candidates", {"page_size": 1}).json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["next"] is not None
    found = client.get("/api/admin/candidates", {"q": "alice"}).json()["results"]
    assert [c["username"] for c in found] == ["alice"]
    assert found[0]["active_session_count"] == 1


def test_sessions_filter_by_status_and_exam(
    client_for, proctor, start_session, candidate, other_candidate, exam
) -> None:
    first, _ = start_session(candidate, exam)
    start_session(other_candidate, exam)
    ExamSession.objects.filter(pk=first.pk).update(status=SessionStatus.SUBMITTED)
    client = client_for(proctor)
    submitted = client.get("/api/admin/exam-sessions", {"status": "submitted"}).json()
    assert [s["id"] for s in submitted["results"]] == [str(first.pk)]
    assert client.get("/api/admin/exam-sessions", {"exam": exam.pk}).json()["count"] == 2
    assert client.get("/api/admin/exam-sessions", {"exam": exam.pk + 1}).json()["count"] == 0
    bad = client.get("/api/admin/exam-sessions", {"status": "paused"})
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["details"]["fields"]


def test_terminate_requires_a_reason(client_for, proctor, session) -> None:
    response = client_for(proctor).post(
        f"/api/admin/exam-sessions/{session.pk}/terminate", {}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]["fields"]
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS


def test_terminate_records_who_and_why(client_for, proctor, session) -> None:
    client = client_for(proctor)
    path = f"/api/admin/exam-sessions/{session.pk}/terminate"
    response = client.post(path, {"reason": "Second person in the room."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "terminated"
    last = session.transitions.last()
    assert (last.actor, last.reason) == (proctor, "Second person in the room.")
    again = client.post(path, {"reason": "again"}, format="json")
    assert again.status_code == 409


def test_terminate_unknown_session_is_404(client_for, proctor) -> None:
    response = client_for(proctor).post(
        "/api/admin/exam-sessions/00000000-0000-0000-0000-000000000000/terminate",
        {"reason": "x"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
