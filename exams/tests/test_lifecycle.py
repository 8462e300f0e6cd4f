from __future__ import annotations

import itertools

import pytest

from exams.lifecycle import FINAL_STATUSES, SessionStatus, is_transition_legal
from exams.models import ExamSession, SessionTransition
from exams.services import session_transition
from proctoring_site.exceptions import ConflictError

LEGAL = {
    ("created", "in_progress"),
    ("created", "terminated"),
    ("created", "expired"),
    ("in_progress", "submitted"),
    ("in_progress", "terminated"),
    ("in_progress", "expired"),
}


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(SessionStatus.values, repeat=2))
)
def test_transition_table(from_status: str, to_status: str) -> None:
    assert is_transition_legal(from_status, to_status) is ((from_status, to_status) in LEGAL)


@pytest.mark.django_db
@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
@pytest.mark.parametrize("target", SessionStatus.values)
def test_illegal_transitions_are_refused_and_change_nothing(
    session, proctor, final, target
) -> None:
    ExamSession.objects.filter(pk=session.pk).update(status=final)
    before = ExamSession.objects.values().get(pk=session.pk)
    history = SessionTransition.objects.count()
    with pytest.raises(ConflictError) as excinfo:
        session_transition(session_id=session.pk, to_status=target, actor=proctor, reason="x")
    assert excinfo.value.status_code == 409
    assert ExamSession.objects.values().get(pk=session.pk) == before
    assert SessionTransition.objects.count() == history


@pytest.mark.django_db
def test_each_transition_writes_history_with_actor_and_reason(session, proctor) -> None:
    session_transition(
        session_id=session.pk, to_status="terminated", actor=proctor, reason="Phone on desk."
    )
    last = session.transitions.last()
    assert (last.from_status, last.to_status) == ("in_progress", "terminated")
    assert last.actor == proctor
    assert last.reason == "Phone on desk."
    session.refresh_from_db()
    assert session.end_reason == "Phone on desk."
