"""The dashboard's admin pages through Django's test client, for each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from analysis.models import AnalysisResult, MediaItem, SessionRisk
from exams.models import Exam, ExamSession
from monitoring.models import Incident, MonitoringLog
from review.models import IncidentVerdict, ProctorAction, SessionVerdict
from submissions.models import CodeSubmission

pytestmark = pytest.mark.django_db

LIST = "/admin/exams/examsession/"


def said(response) -> list[str]:
    """The messages the admin page shows after the redirect (followed, so they are consumed)."""
    return [str(message) for message in response.context["messages"]]


def review_url(session: ExamSession) -> str:
    return f"{LIST}{session.pk}/review/"


def listed(response) -> list[str]:  # noqa: ANN001
    return [str(row.pk) for row in response.context["cl"].result_list]


def test_candidates_and_anonymous_never_reach_the_dashboard(scenario, candidate, web_client_for):
    candidate_client = web_client_for(candidate)  # even their own session
    frame = scenario.frames[0]
    for client in (Client(), candidate_client):
        for url in (
            LIST,
            review_url(scenario.session),
            f"{LIST}live/",
            f"{LIST}live/data.json",
            f"{LIST}statistics/",
            f"{LIST}evidence/frame/{frame.pk}/",
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/admin/login/" in response["Location"]


def test_list_is_sorted_by_risk_with_badges_counts_and_review_state(
    scenario, proctor, web_client_for
):
    response = web_client_for(proctor).get(LIST)
    assert response.status_code == 200
    risks = {
        str(r.session_id): r.score
        for r in SessionRisk.objects.filter(session__in=[scenario.session, scenario.other])
    }
    order = listed(response)
    assert order == sorted(risks, key=lambda pk: -risks[pk])
    assert order[0] == str(scenario.session.pk)
    html = response.content.decode()
    level = SessionRisk.objects.get(session=scenario.session).level
    assert f'risk-badge risk-{level}"' in html
    assert "Several faces × 1" in html and "Code similarity × 1" in html
    unreviewed = scenario.session.incidents.count()
    assert f"{unreviewed} of {unreviewed} unreviewed" in html


def test_list_filters_and_search(
    scenario, proctor, web_client_for, exam, start_session, django_user_model
):
    client = web_client_for(proctor)
    alice, bob = str(scenario.session.pk), str(scenario.other.pk)
    quiet_user = django_user_model.objects.create_user(
        username="erin", email="erin@example.com", password="x-unused-9"
    )
    quiet, _ = start_session(quiet_user, exam)  # no incident: not scored yet
    assert listed(client.get(LIST, {"risk": "none"})) == [str(quiet.pk)]
    assert listed(client.get(LIST))[-1] == str(quiet.pk)  # unscored sessions sort last
    assert listed(client.get(LIST, {"incident_kind": "no_face"})) == [alice]
    assert set(listed(client.get(LIST, {"incident_kind": "code_similarity"}))) == {alice, bob}
    assert listed(client.get(LIST, {"q": "bob@example.com"})) == [bob]
    assert listed(client.get(LIST, {"q": "Alice"})) == [alice]
    assert set(listed(client.get(LIST, {"status": "submitted"}))) == {alice, bob}
    assert listed(client.get(LIST, {"status": "in_progress"})) == [str(quiet.pk)]
    assert set(listed(client.get(LIST, {"exam__id__exact": scenario.session.exam_id}))) == {
        alice,
        bob,
        str(quiet.pk),
    }
    level = SessionRisk.objects.get(session=scenario.session).level
    assert alice in listed(client.get(LIST, {"risk": level}))
    other_level = next(lv for lv in ("high", "medium", "low") if lv != level)
    assert alice not in listed(client.get(LIST, {"risk": other_level}))

    assert set(listed(client.get(LIST, {"review": "unreviewed"}))) == {alice, bob}
    client.post(f"{review_url(scenario.other)}session-verdict/", {"verdict": "clear"})
    bob_ids = list(scenario.other.incidents.values_list("pk", flat=True))
    client.post(
        f"{review_url(scenario.other)}incident-verdict/",
        {"incidents": bob_ids, "verdict": "dismissed"},
    )
    assert listed(client.get(LIST, {"review": "unreviewed"})) == [alice]
    assert listed(client.get(LIST, {"review": "no_verdict"})) == [alice, str(quiet.pk)]
    assert listed(client.get(LIST, {"review": "verdict"})) == [bob]


def test_review_page_shows_one_timeline_with_evidence(scenario, proctor, web_client_for):
    response = web_client_for(proctor).get(review_url(scenario.session))
    assert response.status_code == 200
    html = response.content.decode()
    timeline = response.context["timeline"]
    lanes = {entry.lane for entry in timeline.entries}
    assert {"status", "browser", "analyzer", "similarity", "submission"} <= lanes
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)
    for frame in scenario.frames:
        assert f"{LIST}evidence/frame/{frame.pk}/" in html
    assert f'<audio controls preload="none" src="{LIST}evidence/audio/{scenario.audio.pk}/"' in html
    # The matching code regions of both candidates, side by side.
    assert "seen[wanted], index" in html and "memo[need], i" in html
    # The risk explanation lists every incident with its weight and contribution.
    assert html.count('<a href="#incident-') >= scenario.session.incidents.count()
    assert "<svg" in html and "Session timeline" in html
    assert "No enrollment frames are kept" in html
    # The submitted code itself, behind a disclosure.
    assert '<details class="submission-code">' in html
    assert "result.append(items[position])" in html


def test_proctor_reviews_but_cannot_edit_logs_results_submissions_exams_or_users(
    scenario, proctor, candidate, web_client_for
):
    client = web_client_for(proctor)
    incident = scenario.incidents["no_face"]
    log = MonitoringLog.objects.filter(session=scenario.session).first()
    media = MediaItem.objects.filter(session=scenario.session).first()
    result = AnalysisResult.objects.create(
        session=scenario.session, kind="frame", captured_at=media.captured_at, media=media
    )
    submission = CodeSubmission.objects.filter(session=scenario.session).first()

    # Can view the data a review needs...
    for url in (
        LIST,
        f"{LIST}{scenario.session.pk}/change/",
        f"/admin/monitoring/incident/{incident.pk}/change/",
        f"/admin/monitoring/monitoringlog/{log.pk}/change/",
        f"/admin/analysis/mediaitem/{media.pk}/change/",
        f"/admin/analysis/analysisresult/{result.pk}/change/",
        f"/admin/submissions/codesubmission/{submission.pk}/change/",
        f"/admin/accounts/user/{candidate.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url

    # ...but every edit, delete and add is refused.
    forbidden_posts = [
        f"{LIST}{scenario.session.pk}/change/",
        f"/admin/monitoring/incident/{incident.pk}/change/",
        f"/admin/monitoring/incident/{incident.pk}/delete/",
        f"/admin/monitoring/monitoringlog/{log.pk}/delete/",
        f"/admin/analysis/mediaitem/{media.pk}/delete/",
        f"/admin/analysis/analysisresult/{result.pk}/delete/",
        f"/admin/submissions/codesubmission/{submission.pk}/delete/",
        f"/admin/exams/exam/{scenario.session.exam_id}/change/",
        "/admin/exams/exam/add/",
        f"/admin/accounts/user/{candidate.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/review/incidentverdict/add/",
    ]
    for url in forbidden_posts:
        assert client.post(url, {"title": "changed", "post": "yes"}).status_code == 403, url
    assert Exam.objects.get(pk=scenario.session.exam_id).title != "changed"
    assert MonitoringLog.objects.filter(pk=log.pk).exists()
    assert CodeSubmission.objects.filter(pk=submission.pk).exists()
    # The bulk delete action is not even offered.
    response = client.get("/admin/monitoring/incident/")
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert "verdict_confirmed" in actions


def test_admin_manages_exams_and_users(admin_user, web_client_for):
    client = web_client_for(admin_user)
    response = client.post(
        "/admin/exams/exam/add/",
        {
            "title": "Data structures",
            "description": "",
            "duration_minutes": 45,
            "max_attempts": 1,
            "policy": "{}",
            "is_published": "on",
            "problems-TOTAL_FORMS": 0,
            "problems-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert Exam.objects.filter(title="Data structures").exists()
    assert client.get("/admin/accounts/user/add/").status_code == 200


def test_staff_without_the_proctor_permissions_is_refused(scenario, django_user_model):
    staff = django_user_model.objects.create_user(
        username="intern", email="intern@example.com", password="x-unused-9", is_staff=True
    )
    client = Client()
    client.force_login(staff)
    assert client.get(review_url(scenario.session)).status_code == 403
    assert client.get(f"{LIST}live/").status_code == 403
    assert client.get(f"{LIST}statistics/").status_code == 403
    response = client.post(
        f"{review_url(scenario.session)}incident-verdict/",
        {"incidents": [scenario.incidents["no_face"].pk], "verdict": "confirmed"},
    )
    assert response.status_code == 403
    assert not IncidentVerdict.objects.exists()
    # Viewing alone does not allow reviewing.
    staff.user_permissions.add(Permission.objects.get(codename="view_examsession"))
    client.force_login(staff)
    assert client.get(review_url(scenario.session)).status_code == 200
    response = client.post(f"{review_url(scenario.session)}session-verdict/", {"verdict": "clear"})
    assert response.status_code == 403
    assert not SessionVerdict.objects.exists()


def test_proctor_records_verdicts_from_the_review_page(scenario, proctor, web_client_for):
    client = web_client_for(proctor)
    ids = [scenario.incidents["no_face"].pk, scenario.incidents["multiple_faces"].pk]
    response = client.post(
        f"{review_url(scenario.session)}incident-verdict/",
        {"incidents": ids, "verdict": "confirmed", "notes": "Clearly away and a second person."},
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302
    assert said(response) == ["Confirmed: 2 incident(s)."]
    assert set(IncidentVerdict.objects.values_list("incident_id", flat=True)) == set(ids)
    assert set(Incident.objects.filter(pk__in=ids).values_list("review_status", flat=True)) == {
        "confirmed"
    }
    # An incident of another session cannot be judged through this session's page.
    foreign = scenario.other.incidents.first()
    client.post(
        f"{review_url(scenario.session)}incident-verdict/",
        {"incidents": [foreign.pk], "verdict": "dismissed"},
    )
    assert not IncidentVerdict.objects.filter(incident=foreign).exists()

    response = client.post(
        f"{review_url(scenario.session)}session-verdict/",
        {"verdict": "violation", "notes": "Second person and copied code."},
    )
    assert response.status_code == 302
    verdict = SessionVerdict.objects.get()
    assert (verdict.verdict, verdict.reviewer, verdict.notes) == (
        "violation",
        proctor,
        "Second person and copied code.",
    )
    page = client.get(review_url(scenario.session)).content.decode()
    assert "Second person and copied code." in page
    assert "Clearly away and a second person." in page


def test_bulk_verdict_actions_on_the_lists(scenario, proctor, web_client_for):
    client = web_client_for(proctor)
    sessions = [scenario.session.pk, scenario.other.pk]
    response = client.post(
        LIST, {"action": "verdict_suspicious", "_selected_action": [str(pk) for pk in sessions]}
    )
    assert response.status_code == 302
    assert SessionVerdict.objects.filter(verdict="suspicious", reviewer=proctor).count() == 2

    incidents = list(scenario.session.incidents.values_list("pk", flat=True)[:3])
    response = client.post(
        "/admin/monitoring/incident/",
        {"action": "verdict_dismissed", "_selected_action": incidents},
    )
    assert response.status_code == 302
    assert IncidentVerdict.objects.filter(verdict="dismissed").count() == 3
    assert Incident.objects.filter(pk__in=incidents, review_status="dismissed").count() == 3


def test_live_page_and_snapshot_show_active_sessions(
    exam, candidate, start_session, proctor, web_client_for
):
    session, _ = start_session(candidate, exam)
    client = web_client_for(proctor)
    page = client.get(f"{LIST}live/")
    assert page.status_code == 200
    assert f'data-session="{session.pk}"' in page.content.decode()
    snapshot = client.get(f"{LIST}live/data.json").json()
    assert [s["id"] for s in snapshot["sessions"]] == [str(session.pk)]
    assert snapshot["sessions"][0]["candidate"] == "Alice"
    # Limited to one exam: the page, its snapshot and its websocket feed.
    other_exam = Exam.objects.create(title="Other exam", duration_minutes=30)
    scoped = client.get(f"{LIST}live/", {"exam": other_exam.pk}).content.decode()
    assert f'data-session="{session.pk}"' not in scoped
    assert f'data-ws-path="/ws/proctor/?exam={other_exam.pk}"' in scoped
    assert client.get(f"{LIST}live/data.json", {"exam": other_exam.pk}).json()["sessions"] == []
    assert len(client.get(f"{LIST}live/data.json", {"exam": exam.pk}).json()["sessions"]) == 1
    assert client.get(f"{LIST}live/", {"exam": 999999}).status_code == 404


def test_statistics_page_draws_the_three_charts(scenario, proctor, web_client_for):
    client = web_client_for(proctor)
    client.post(
        f"{review_url(scenario.session)}incident-verdict/",
        {"incidents": [scenario.incidents["no_face"].pk], "verdict": "confirmed"},
    )
    client.post(
        f"{review_url(scenario.session)}incident-verdict/",
        {"incidents": [scenario.incidents["multiple_faces"].pk], "verdict": "dismissed"},
    )
    response = client.get(f"{LIST}statistics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="chart"') == 3
    assert 'aria-label="Incidents per kind over time"' in html
    assert 'aria-label="Risk level of sessions per exam"' in html
    rows = {row.kind: row for row in response.context["verdict_rows"]}
    assert rows["no_face"].confirmed_share == 1.0
    assert rows["multiple_faces"].confirmed_share == 0.0
    assert rows["code_similarity"].counts == {"unreviewed": 2}
    over_time = response.context["over_time"]
    assert sum(over_time.series["code_similarity"]) == 2
    other_exam = Exam.objects.create(title="Other exam", duration_minutes=30)
    scoped = client.get(f"{LIST}statistics/", {"exam": other_exam.pk})
    assert scoped.context["verdict_rows"] == []
    assert scoped.context["over_time"].series == {}


def test_warn_and_terminate_from_the_review_page(
    exam, candidate, start_session, proctor, web_client_for
):
    session, _ = start_session(candidate, exam)
    client = web_client_for(proctor)
    page = client.get(review_url(session)).content.decode()
    assert "Send warning" in page and "Terminate session" in page
    response = client.post(
        f"{review_url(session)}warn/", {"message": "Please face the camera."}, follow=True
    )
    assert said(response) == ["Warning sent to the candidate's exam page."]
    # Without the confirmation box nothing happens.
    response = client.post(
        f"{review_url(session)}terminate/", {"reason": "Phone in use."}, follow=True
    )
    assert said(response) == ["Give a reason and tick the confirmation to terminate."]
    session.refresh_from_db()
    assert session.status == "in_progress"
    response = client.post(
        f"{review_url(session)}terminate/",
        {"reason": "Phone in use.", "confirm": "on"},
        follow=True,
    )
    assert said(response) == ["Session terminated; the candidate's page was told why."]
    session.refresh_from_db()
    assert session.status == "terminated"
    assert session.end_reason == "Phone in use."
    # Too late for another warning: the service refuses and the page says why.
    response = client.post(f"{review_url(session)}warn/", {"message": "Again."}, follow=True)
    assert len(said(response)) == 1 and "Warning sent" not in said(response)[0]
    actions = list(ProctorAction.objects.filter(session=session).values_list("kind", "message"))
    assert actions == [("warning", "Please face the camera."), ("termination", "Phone in use.")]
    page = client.get(review_url(session)).content.decode()
    assert "Warning by" in page and "Termination by" in page
    assert "Send warning" not in page  # an ended session offers no live actions


def test_list_and_live_snapshot_queries_do_not_grow_with_sessions(
    scenario, exam, start_session, proctor, web_client_for, django_user_model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web_client_for(proctor)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add_sessions(count: int, start: int) -> None:
        from monitoring.incidents import incident_create

        for index in range(start, start + count):
            user = django_user_model.objects.create_user(
                username=f"extra{index}", email=f"extra{index}@example.com", password="x-unused-9"
            )
            session, _ = start_session(user, exam)
            for kind in (Incident.Kind.NO_FACE, Incident.Kind.TAB_HIDDEN):
                incident_create(
                    session=session,
                    kind=kind,
                    source=Incident.Source.ANALYZER,
                    started_at=session.started_at,
                )

    add_sessions(1, 0)  # one active session, so no query is skipped for an empty page
    before = (queries(LIST), queries(f"{LIST}live/data.json"))
    add_sessions(8, 1)
    after = (queries(LIST), queries(f"{LIST}live/data.json"))
    assert after == before


def test_enrollment_frames_stand_beside_a_mismatch(scenario, proctor, web_client_for):
    from django.utils import timezone

    from review.tests.dashboard_scenario import media_create

    enrolled = media_create(scenario.session, "enroll", b"\xff\xd8 enrollment", timezone.now())
    response = web_client_for(proctor).get(review_url(scenario.session))
    html = response.content.decode()
    assert "No enrollment frames are kept" not in html
    assert f"{LIST}evidence/enroll/{enrolled.pk}/" in html
    image = web_client_for(proctor).get(f"{LIST}evidence/enroll/{enrolled.pk}/")
    assert image.status_code == 200
