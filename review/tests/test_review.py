"""Verdicts keep their full history; the incident shows the latest; risk follows."""

from __future__ import annotations

import pytest

from accounts.services import proctor_create
from analysis.models import SessionRisk
from monitoring.incidents import incident_create
from monitoring.models import Incident
from proctoring_site.exceptions import ConflictError, InvalidInputError
from review import services as review_services
from review.models import IncidentVerdict, SessionVerdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_proctor(db):  # noqa: ANN001, ANN201
    return proctor_create(username="proctor2", email="p2@example.com", password="x-unused-9")


@pytest.fixture
def incident(session, django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    with django_capture_on_commit_callbacks(execute=True):
        return incident_create(
            session=session,
            kind=Incident.Kind.MULTIPLE_FACES,
            source=Incident.Source.ANALYZER,
            started_at=session.started_at,
            ended_at=session.started_at,
            severity=Incident.Severity.HIGH,
            confidence=0.9,
        )


def test_second_reviewer_is_recorded_beside_the_first(incident, proctor, second_proctor):
    first = review_services.incident_verdict_record(
        incident=incident,
        reviewer=proctor,
        verdict="needs_second_review",
        notes="Maybe a poster behind her.",
    )
    incident.refresh_from_db()
    assert incident.review_status == "needs_second_review"
    second = review_services.incident_verdict_record(
        incident=incident, reviewer=second_proctor, verdict="dismissed", notes="It is a poster."
    )
    incident.refresh_from_db()
    assert incident.review_status == "dismissed"
    history = list(incident.verdicts.values_list("reviewer__username", "verdict", "notes"))
    assert history == [
        ("proctor", "needs_second_review", "Maybe a poster behind her."),
        ("proctor2", "dismissed", "It is a poster."),
    ]
    first.refresh_from_db()
    assert (first.verdict, first.reviewer_id) == ("needs_second_review", proctor.pk)
    assert second.created_at >= first.created_at


def test_verdicts_rescore_the_session_risk(
    incident, session, proctor, django_capture_on_commit_callbacks
):
    before = SessionRisk.objects.get(session=session).score
    assert before > 0
    with django_capture_on_commit_callbacks(execute=True):
        review_services.incident_verdict_record(
            incident=incident, reviewer=proctor, verdict="dismissed"
        )
    risk = SessionRisk.objects.get(session=session)
    assert risk.score == 0
    assert risk.explanation["incidents"][0]["review_status"] == "dismissed"
    with django_capture_on_commit_callbacks(execute=True):
        review_services.incident_verdict_record(
            incident=incident, reviewer=proctor, verdict="confirmed"
        )
    assert SessionRisk.objects.get(session=session).score >= before


def test_bad_verdicts_change_nothing(incident, proctor, settings):
    with pytest.raises(InvalidInputError):
        review_services.incident_verdict_record(
            incident=incident, reviewer=proctor, verdict="guilty"
        )
    settings.REVIEW_NOTES_MAX_CHARS = 10
    with pytest.raises(InvalidInputError):
        review_services.incident_verdict_record(
            incident=incident, reviewer=proctor, verdict="confirmed", notes="x" * 11
        )
    incident.refresh_from_db()
    assert incident.review_status == "unreviewed"
    assert not IncidentVerdict.objects.exists()


def test_bulk_verdict_is_all_or_nothing(session, incident, proctor, settings):
    other = incident_create(
        session=session,
        kind=Incident.Kind.NO_FACE,
        source=Incident.Source.ANALYZER,
        started_at=session.started_at,
    )
    rows = review_services.incidents_verdict_bulk(
        incidents=[incident, other], reviewer=proctor, verdict="confirmed"
    )
    assert len(rows) == 2
    assert set(Incident.objects.values_list("review_status", flat=True)) == {"confirmed"}
    settings.REVIEW_NOTES_MAX_CHARS = 3
    with pytest.raises(InvalidInputError):
        review_services.incidents_verdict_bulk(
            incidents=[incident, other], reviewer=proctor, verdict="dismissed", notes="long"
        )
    assert IncidentVerdict.objects.count() == 2
    assert set(Incident.objects.values_list("review_status", flat=True)) == {"confirmed"}


def test_session_verdict_history(session, proctor, second_proctor):
    review_services.session_verdict_record(
        session=session, reviewer=proctor, verdict="suspicious", notes="Look again."
    )
    review_services.session_verdict_record(
        session=session, reviewer=second_proctor, verdict="violation", notes="Confirmed."
    )
    assert list(SessionVerdict.objects.values_list("reviewer__username", "verdict")) == [
        ("proctor", "suspicious"),
        ("proctor2", "violation"),
    ]
    with pytest.raises(InvalidInputError):
        review_services.session_verdict_record(session=session, reviewer=proctor, verdict="meh")


def test_warn_and_terminate_need_a_running_session_and_a_text(session, proctor):
    with pytest.raises(InvalidInputError):
        review_services.session_warn(session=session, actor=proctor, message="   ")
    with pytest.raises(InvalidInputError):
        review_services.session_terminate_by_proctor(session=session, actor=proctor, reason="")
    review_services.session_terminate_by_proctor(session=session, actor=proctor, reason="Phone.")
    session.refresh_from_db()
    transition = session.transitions.last()
    assert (transition.to_status, transition.actor, transition.reason) == (
        "terminated",
        proctor,
        "Phone.",
    )
    with pytest.raises(ConflictError):
        review_services.session_warn(session=session, actor=proctor, message="Too late")
    with pytest.raises(ConflictError):
        review_services.session_terminate_by_proctor(session=session, actor=proctor, reason="x")
    assert list(session.proctor_actions.values_list("kind", flat=True)) == ["termination"]
