from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exams.lifecycle import SessionStatus
from exams.models import Exam, ExamSession, SessionTransition
from exams.services import session_token_hash
from exams.tasks import expire_due_sessions

pytestmark = pytest.mark.django_db


def _start(client, user, exam, **body):
    return client.post(
        f"/api/auth/start-exam/{user.pk}", {"exam_id": exam.pk, **body}, format="json"
    )


def test_start_exam_opens_a_session_with_a_hashed_token(client_for, candidate, exam) -> None:
    response = _start(client_for(candidate), candidate, exam, consent=True)
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["session_token"]
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    session = ExamSession.objects.get(pk=body["id"])
    assert session.status == SessionStatus.IN_PROGRESS
    assert session.token_hash == session_token_hash(token)
    assert token not in session.token_hash
    assert session.consent_at is not None
    assert [p["title"] for p in body["exam"]["problems"]] == ["Two sum", "Reverse"]
    history = list(session.transitions.values_list("from_status", "to_status"))
    assert history == [("", "created"), ("created", "in_progress")]
    deadline = session.started_at + timedelta(minutes=exam.duration_minutes)
    assert abs((session.ends_at - deadline).total_seconds()) < 2


def test_deadline_never_passes_the_exam_window(client_for, candidate, exam) -> None:
    exam.ends_at = timezone.now() + timedelta(minutes=10)
    exam.save()
    body = _start(client_for(candidate), candidate, exam).json()
    assert ExamSession.objects.get(pk=body["id"]).ends_at == exam.ends_at


def test_candidate_cannot_start_for_someone_else(
    client_for, candidate, other_candidate, exam
) -> None:
    response = _start(client_for(candidate), other_candidate, exam)
    assert response.status_code == 404
    assert not ExamSession.objects.exists()


def test_proctor_cannot_start_an_exam(client_for, proctor, exam) -> None:
    assert _start(client_for(proctor), proctor, exam).status_code == 404


def test_unknown_or_unpublished_exam_is_404(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    assert (
        client.post(
            f"/api/auth/start-exam/{candidate.pk}", {"exam_id": 9999}, format="json"
        ).status_code
        == 404
    )
    Exam.objects.filter(pk=exam.pk).update(is_published=False)
    assert _start(client, candidate, exam).status_code == 404


@pytest.mark.parametrize("body", [{}, {"exam_id": "abc"}, {"exam_id": -1}])
def test_start_exam_bad_input(client_for, candidate, body) -> None:
    response = client_for(candidate).post(
        f"/api/auth/start-exam/{candidate.pk}", body, format="json"
    )
    assert response.status_code == 400
    assert "exam_id" in response.json()["error"]["details"]["fields"]


def test_one_active_session_per_candidate_and_exam(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    first = _start(client, candidate, exam).json()
    second = _start(client, candidate, exam)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "session_already_active"
    assert second.json()["error"]["details"]["session_id"] == first["id"]
    assert ExamSession.objects.count() == 1


def test_exam_outside_its_window_cannot_start(client_for, candidate, exam) -> None:
    exam.starts_at = timezone.now() + timedelta(hours=1)
    exam.save()
    response = _start(client_for(candidate), candidate, exam)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "exam_not_open"


def test_end_exam_submits_the_session(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    response = client.post(f"/api/auth/end-exam/{token}")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    session = ExamSession.objects.get()
    assert session.ended_at is not None
    assert session.transitions.last().actor == candidate


def test_end_exam_twice_is_409_and_changes_nothing(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    client.post(f"/api/auth/end-exam/{token}")
    before = ExamSession.objects.values().get()
    transitions = SessionTransition.objects.count()
    again = client.post(f"/api/auth/end-exam/{token}")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    assert ExamSession.objects.values().get() == before
    assert SessionTransition.objects.count() == transitions


def test_other_candidate_cannot_end_my_session(
    client_for, candidate, other_candidate, exam
) -> None:
    token = _start(client_for(candidate), candidate, exam).json()["session_token"]
    response = client_for(other_candidate).post(f"/api/auth/end-exam/{token}")
    assert response.status_code == 404
    assert ExamSession.objects.get().status == SessionStatus.IN_PROGRESS


def test_unknown_token_is_404(client_for, candidate) -> None:
    assert client_for(candidate).post("/api/auth/end-exam/not-a-token").status_code == 404


def test_end_after_deadline_expires_instead(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    ExamSession.objects.update(ends_at=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/api/auth/end-exam/{token}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_expired"
    assert ExamSession.objects.get().status == SessionStatus.EXPIRED


def test_sessions_expire_without_anyone_calling_end(
    start_session, candidate, other_candidate, exam
) -> None:
    overdue, _ = start_session(candidate, exam)
    running, _ = start_session(other_candidate, exam)
    ExamSession.objects.filter(pk=overdue.pk).update(ends_at=timezone.now() - timedelta(minutes=1))

    assert expire_due_sessions() == 1

    overdue.refresh_from_db()
    running.refresh_from_db()
    assert overdue.status == SessionStatus.EXPIRED
    assert overdue.transitions.last().actor is None
    assert overdue.transitions.last().reason == "Time ran out."
    assert running.status == SessionStatus.IN_PROGRESS


def test_expiry_is_scheduled_in_django_q() -> None:
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="expire-due-sessions")
    assert schedule.func == "exams.tasks.expire_due_sessions"
    assert schedule.minutes == 1


def test_reading_a_session_past_its_deadline_expires_it(client_for, candidate, session) -> None:
    ExamSession.objects.filter(pk=session.pk).update(ends_at=timezone.now() - timedelta(seconds=5))
    response = client_for(candidate).get(f"/api/exams/sessions/{session.pk}")
    assert response.status_code == 200
    assert response.json()["status"] == "expired"


def test_candidate_cannot_read_another_candidates_session(
    client_for, other_candidate, session
) -> None:
    assert client_for(other_candidate).get(f"/api/exams/sessions/{session.pk}").status_code == 404


def test_after_ending_a_new_session_may_start_when_attempts_remain(
    client_for, candidate, exam
) -> None:
    Exam.objects.filter(pk=exam.pk).update(max_attempts=2)
    client = client_for(candidate)
    token = _start(client, candidate, exam).json()["session_token"]
    client.post(f"/api/auth/end-exam/{token}")
    assert _start(client, candidate, exam).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_open_exactly_one_session(client_for, candidate, exam) -> None:
    import threading

    from django.db import connection

    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            statuses.append(_start(client_for(candidate), candidate, exam).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    assert ExamSession.objects.active().count() == 1


def test_login_bad_input_is_400(api_client) -> None:
    response = api_client.post("/api/auth/login", {"username": ["x"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]["fields"]) == {"username", "password"}


def test_the_clock_starts_when_the_problems_open_and_only_once(
    client_for, candidate, other_candidate, exam
) -> None:
    client = client_for(candidate)
    body = _start(client, candidate, exam, consent=True).json()
    assert body["problems_opened_at"] is None
    assert body["exam"]["rules"]["tab_hidden_threshold_s"] == 5
    assert body["exam"]["rules"]["reenroll_on_rejoin"] is False
    session = ExamSession.objects.get(pk=body["id"])
    # The identity check took 20 minutes: none of it counts against the exam's time.
    ExamSession.objects.filter(pk=session.pk).update(
        ends_at=session.ends_at - timedelta(minutes=20)
    )
    url = f"/api/exams/sessions/{session.pk}/open-problems"
    assert client_for(other_candidate).post(url).status_code == 404
    opened = client.post(url)
    assert opened.status_code == 200, opened.content
    session.refresh_from_db()
    assert session.problems_opened_at is not None
    deadline = session.problems_opened_at + timedelta(minutes=exam.duration_minutes)
    assert session.ends_at == deadline
    # A reload or a second tab does not restart the clock.
    again = client.post(url).json()
    session.refresh_from_db()
    assert session.ends_at == deadline
    assert again["problems_opened_at"] == opened.json()["problems_opened_at"]


def test_opening_the_problems_never_passes_the_exam_window(client_for, candidate, exam) -> None:
    client = client_for(candidate)
    body = _start(client, candidate, exam).json()
    exam.ends_at = timezone.now() + timedelta(minutes=5)
    exam.save()
    client.post(f"/api/exams/sessions/{body['id']}/open-problems")
    assert ExamSession.objects.get(pk=body["id"]).ends_at <= exam.ends_at


def test_an_exams_rules_follow_its_policy(client_for, candidate, exam) -> None:
    exam.policy = {"tab_hidden_threshold_s": 12, "violation_notices": False}
    exam.save()
    (listed,) = client_for(candidate).get("/api/exams/").json()
    assert listed["rules"]["tab_hidden_threshold_s"] == 12
    assert listed["rules"]["violation_notices"] is False
    assert listed["rules"]["paste_size_threshold_chars"] == 200
