"""django-q2 entry points for submissions."""

from __future__ import annotations

from typing import Any

from exams.models import Exam

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
