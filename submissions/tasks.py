"""django-q2 entry points for submissions."""

from __future__ import annotations

from typing import Any

from exams.models import Exam, ExamSession

from .authorship_services import authorship_assess, session_editor_recorded
from .reports import similarity_report_run


def similarity_report_for_exam(exam_id: int) -> dict[str, Any]:
    """Compare the exam's final submissions; returns a short summary for the task result."""
    exam = Exam.objects.filter(pk=exam_id).first()
    if exam is None:
        return {"exam_id": exam_id, "skipped": "no such exam"}
    report = similarity_report_run(exam=exam)
    return {
        "exam_id": exam_id,
        "problems": [
            {"problem_id": p.problem.pk, "compared": p.compared, "pairs": len(p.matches)}
            for p in report.problems
        ],
    }


def authorship_assess_session(session_id: str) -> dict[str, Any]:
    """Authorship incidents for one ended session; returns their kinds for the task result."""
    session = ExamSession.objects.filter(pk=session_id).first()
    if session is None:
        return {"session_id": session_id, "skipped": "no such session"}
    return {
        "session_id": session_id,
        "incidents": [incident.kind for incident in authorship_assess(session=session)],
        "editor_recorded": session_editor_recorded(session_id=session.pk),
    }
