"""``evaluate_authorship``: the transcription rule judged on proctor-labelled recordings.

The recordings here are generated change records (see submissions/tests/test_authorship.py);
the browser test in test_exam_authorship_browser.py does the same on records that real
Chromium typing produced in the exam page.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conftest import _candidate
from monitoring.models import Incident
from review.services import incident_verdict_record, session_verdict_record
from submissions.authorship_services import authorship_assess
from submissions.tests.test_authorship import PROGRAM, _changes_log, composed, submit, transcribed

pytestmark = pytest.mark.django_db


def evaluate(*args: str) -> list[dict]:
    out = StringIO()
    call_command("evaluate_authorship", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def counts(evaluation: dict) -> tuple[int, int, int, int]:
    return tuple(
        evaluation[name]
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives")
    )


@pytest.fixture
def labelled(exam, start_session, proctor):  # noqa: ANN001, ANN201
    """Three sessions: a confirmed copy, a dismissed copy, a composed one in a cleared session."""
    problem = exam.problems.order_by("order").first()
    sessions = {}
    for name, records in [
        ("copied", transcribed(PROGRAM * 2, 1)),
        ("steady-writer", transcribed(PROGRAM * 2, 2)),
        ("composed", composed(PROGRAM * 2, 3)),
    ]:
        session, _token = start_session(_candidate(name), exam)
        _changes_log(session, 1, problem.pk, records)
        submit(session, problem, PROGRAM * 2)
        authorship_assess(session=session)
        sessions[name] = session
    incident = {
        name: Incident.objects.filter(
            session=session, kind=Incident.Kind.TRANSCRIBED_TYPING
        ).first()
        for name, session in sessions.items()
    }
    assert incident["copied"] and incident["steady-writer"] and incident["composed"] is None
    incident_verdict_record(incident=incident["copied"], reviewer=proctor, verdict="confirmed")
    incident_verdict_record(
        incident=incident["steady-writer"],
        reviewer=proctor,
        verdict="dismissed",
        notes="Types this evenly on camera too.",
    )
    session_verdict_record(session=sessions["composed"], reviewer=proctor, verdict="clear")
    return sessions, problem


def test_counts_each_label_with_the_default_thresholds(labelled):
    sessions, problem = labelled
    (evaluation,) = evaluate()
    assert counts(evaluation) == (1, 1, 1, 0)
    assert evaluation["precision"] == 0.5 and evaluation["recall"] == 1.0
    rows = {row["session_id"]: row for row in evaluation["recordings"]}
    assert rows[str(sessions["copied"].pk)]["source"] == "incident confirmed"
    assert rows[str(sessions["steady-writer"].pk)]["source"] == "incident dismissed"
    composed_row = rows[str(sessions["composed"].pk)]
    assert composed_row["source"] == "session clear" and composed_row["flagged"] is False
    assert composed_row["problem_id"] == problem.pk
    assert rows[str(sessions["copied"].pk)]["longest_run"]["interval_cv"] < 0.35


def test_thresholds_are_compared_on_the_same_labels(labelled):
    strict, default, loose = evaluate("--max-cv", "0.05,0.35,5", "--min-chars", "20")
    assert counts(strict) == (0, 0, 2, 1)  # nothing is that steady: the copy is missed
    assert counts(default) == (1, 1, 1, 0)
    assert counts(loose)[:2] == (1, 2)  # every composed run of 20 characters is flagged
    assert loose["false_positive_rate"] == 1.0


def test_cleared_sessions_count_only_by_their_latest_verdict_and_can_be_left_out(labelled, proctor):
    sessions, _problem = labelled
    assert counts(evaluate("--no-clear-sessions")[0]) == (1, 1, 0, 0)
    session_verdict_record(session=sessions["composed"], reviewer=proctor, verdict="suspicious")
    assert counts(evaluate()[0]) == (1, 1, 0, 0)


def test_text_report_and_bad_input(labelled, exam):
    out = StringIO()
    call_command("evaluate_authorship", stdout=out)
    text = out.getvalue()
    assert "3 labelled recordings: 1 transcription, 2 not transcription" in text
    assert "TP 1 FP 1 TN 1 FN 0; precision 50.0%, recall 100.0%" in text
    with pytest.raises(CommandError, match="No exam"):
        call_command("evaluate_authorship", "--exam", "999999")
    with pytest.raises(CommandError, match="numbers"):
        call_command("evaluate_authorship", "--max-cv", "steady")
    assert evaluate("--exam", str(exam.pk))[0]["true_positives"] == 1


def test_nothing_labelled_says_what_to_do(exam):
    out = StringIO()
    call_command("evaluate_authorship", stdout=out)
    assert "Nothing to evaluate" in out.getvalue()
