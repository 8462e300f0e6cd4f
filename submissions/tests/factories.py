"""Building blocks for submissions tests: exams whose candidates submitted code."""

from __future__ import annotations

from accounts.models import User
from exams.models import Exam, ExamSession, Problem
from exams.services import session_start
from submissions.services import session_final_submit, submission_create
from submissions.tests import similarity_programs as programs


def coding_exam_create(title: str = "Graphs") -> Exam:
    """An exam with one Python problem whose starter code is the similarity test starter."""
    exam = Exam.objects.create(title=title, duration_minutes=60)
    Problem.objects.create(
        exam=exam,
        title="Shortest path",
        statement="Find it.",
        starter_code=programs.PY_STARTER,
        language="python",
        order=1,
    )
    return exam


def exam_taken(exam: Exam, username: str, code: str, *, final: bool = True) -> ExamSession:
    """A new candidate starts ``exam``, saves a draft, then ``code``, and (by default) hands in."""
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw-123456789"
    )
    session, _ = session_start(candidate=user, exam=exam, consent=True)
    problem = exam.problems.get()
    submission_create(session=session, problem_id=problem.pk, code="draft\n")
    submission_create(session=session, problem_id=problem.pk, code=code)
    if final:
        session = session_final_submit(session=session, actor=user)
    return session
