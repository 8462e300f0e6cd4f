"""``untyped_submission`` is for the exam page's recording editor, not for API-only sessions.

A session whose code arrived through the API alone has no editor records to compare with, so it
gets no incident (the playback page says the code was not recorded); a session whose page
declared its recording editor, or sent editor records, still gets one when its final code was
never the editor's text; the exam policy's ``authorship_untyped`` turns the check off.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django_q.tasks import async_task

from accounts.models import User
from exams.models import Exam
from monitoring.models import Incident
from submissions.authorship_services import authorship_assess, session_editor_recorded
from submissions.services import session_final_submit, submission_create
from submissions.tasks import authorship_assess_session

pytestmark = pytest.mark.django_db

DECLARED = {"client": "exam-page", "editor_recording": True}


def _ms(session) -> int:  # noqa: ANN001
    return int(session.started_at.timestamp() * 1000)


def events_post(client, session, events: list[tuple[str, dict]]) -> None:  # noqa: ANN001
    """Send ``events`` through the ingest API, as a page does (seqs from 1)."""
    ts = datetime.now(tz=UTC).isoformat()
    body = {
        "session_id": str(session.pk),
        "events": [
            {"seq": seq, "type": kind, "ts": ts, "payload": payload}
            for seq, (kind, payload) in enumerate(events, start=1)
        ],
    }
    response = client.post("/api/monitoring/data", body, format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["accepted"]) == len(events), response.json()


def untyped(session) -> list[Incident]:  # noqa: ANN001
    return list(Incident.objects.filter(session=session, kind=Incident.Kind.UNTYPED_SUBMISSION))


def test_api_only_session_gets_no_untyped_flag(session, client_for):
    first, _second = session.exam.problems.order_by("order")
    events_post(client_for(session.candidate), session, [("heartbeat", {})])
    submission_create(session=session, problem_id=first.pk, code="print('from a script')\n")
    session_final_submit(session=session, actor=session.candidate)

    assert not session_editor_recorded(session_id=session.pk)
    assert authorship_assess(session=session) == []
    assert untyped(session) == []
    result = authorship_assess_session(str(session.pk))
    assert result["incidents"] == [] and result["editor_recorded"] is False


def test_exam_page_session_whose_code_was_never_typed_still_gets_the_incident(session, client_for):
    first, second = session.exam.problems.order_by("order")
    page = client_for(session.candidate)
    # The page declared its recording editor; one problem was typed, the other never opened.
    typed = [
        {"t": _ms(session) + 100 * i, "kind": "type", "from": i, "to": i, "del": "", "ins": c}
        for i, c in enumerate("x = 1")
    ]
    events_post(
        page,
        session,
        [("client_info", DECLARED), ("editor_changes", {"problem_id": first.pk, "changes": typed})],
    )
    submission_create(session=session, problem_id=first.pk, code="x = 1\n")
    submission_create(session=session, problem_id=second.pk, code="print('pasted elsewhere')\n")
    session_final_submit(session=session, actor=session.candidate)

    assert session_editor_recorded(session_id=session.pk)
    created = authorship_assess(session=session)
    assert [(i.kind, i.severity, i.details["problem_id"]) for i in created] == [
        (Incident.Kind.UNTYPED_SUBMISSION, Incident.Severity.HIGH, second.pk)
    ]


def test_declaration_alone_makes_the_session_judged(session, client_for):
    """A page that declared recording but whose records never came: the code was not typed."""
    first = session.exam.problems.order_by("order").first()
    events_post(client_for(session.candidate), session, [("client_info", DECLARED)])
    submission_create(session=session, problem_id=first.pk, code="print(1)\n")
    session_final_submit(session=session, actor=session.candidate)
    assert [i.details["problem_id"] for i in authorship_assess(session=session)] == [first.pk]


def test_declaring_no_recording_is_not_a_declaration(session, client_for):
    first = session.exam.problems.order_by("order").first()
    events_post(
        client_for(session.candidate),
        session,
        [("client_info", {"client": "my-own-client", "editor_recording": False})],
    )
    submission_create(session=session, problem_id=first.pk, code="print(1)\n")
    session_final_submit(session=session, actor=session.candidate)
    assert not session_editor_recorded(session_id=session.pk)
    assert authorship_assess(session=session) == []


def test_policy_switch_turns_the_check_off_for_exam_page_sessions(session, client_for):
    first = session.exam.problems.order_by("order").first()
    session.exam.policy = {"authorship_untyped": False}
    session.exam.save(update_fields=["policy"])
    events_post(client_for(session.candidate), session, [("client_info", DECLARED)])
    submission_create(session=session, problem_id=first.pk, code="print(1)\n")
    session_final_submit(session=session, actor=session.candidate)
    assert authorship_assess(session=session) == []
    # The same session with the switch on (the default) is flagged: the switch is what changed.
    session.exam.policy = {}
    session.exam.save(update_fields=["policy"])
    session.refresh_from_db()
    assert [i.kind for i in authorship_assess(session=session)] == [
        Incident.Kind.UNTYPED_SUBMISSION
    ]


def test_seed_demo_sessions_over_the_api_show_no_false_flag(
    client_for, django_capture_on_commit_callbacks, monkeypatch
):
    """The demo data, taken as README's API walk-through does: the ended session's queued
    authorship check (run inline, Q_SYNC) records nothing."""
    ran = []

    def async_task_spy(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        ran.append(name)
        return async_task(name, *args, **kwargs)

    monkeypatch.setattr("submissions.authorship_services.async_task", async_task_spy)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: PTH123, SIM115
    exam = Exam.objects.get(title="Demo: Python fundamentals")
    for username in ("alice", "bob"):
        user = User.objects.get(username=username)
        client = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(
                f"/api/auth/start-exam/{user.pk}",
                {"exam_id": exam.pk, "consent": True},
                format="json",
            )
            assert started.status_code == 201, started.content
            session_id = started.json()["id"]
            for problem in exam.problems.order_by("order"):
                response = client.post(
                    "/api/submissions/submit",
                    {"session_id": session_id, "problem_id": problem.pk, "code": "pass\n"},
                    format="json",
                )
                assert response.status_code == 201, response.content
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(
                "/api/submissions/final-submit", {"session_id": session_id}, format="json"
            )
            assert response.status_code == 200, response.content
        assert callbacks, "the session's end queued its checks"
        assert ran.count("submissions.tasks.authorship_assess_session") == 1
        ran.clear()
        assert not Incident.objects.filter(
            session_id=session_id,
            kind__in=[Incident.Kind.UNTYPED_SUBMISSION, Incident.Kind.TRANSCRIBED_TYPING],
        ).exists()
