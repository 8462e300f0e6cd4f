"""Similarity across candidates: compare final submissions, record matches, raise incidents."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from exams.models import Exam, ExamSession, Problem
from monitoring.incidents import incident_create, incident_update
from monitoring.models import Incident

from .comparison import PairFinding, Program, programs_compare
from .models import CodeSubmission, SimilarityMatch
from .selectors import final_code_of_other_exams, final_submissions_for_problem

logger = logging.getLogger(__name__)


@dataclass
class ProblemReport:
    problem: Problem
    compared: int
    matches: list[SimilarityMatch] = field(default_factory=list)
    new_matches: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_id": self.problem.pk,
            "title": self.problem.title,
            "language": self.problem.language,
            "compared": self.compared,
            "new_matches": self.new_matches,
            "pairs": [similarity_match_as_dict(match) for match in self.matches],
        }


@dataclass
class SimilarityReport:
    exam: Exam
    threshold: float
    problems: list[ProblemReport] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exam_id": self.exam.pk,
            "exam": self.exam.title,
            "threshold": self.threshold,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def _side(session: ExamSession, submission: CodeSubmission) -> dict[str, Any]:
    return {
        "session_id": str(session.pk),
        "candidate_id": session.candidate_id,
        "candidate": session.candidate.display_name,
        "submission_id": submission.pk,
        "version": submission.version,
    }


def similarity_match_as_dict(match: SimilarityMatch) -> dict[str, Any]:
    return {
        "match_id": match.pk,
        "score": round(match.score, 4),
        "a": _side(match.session_a, match.submission_a),
        "b": _side(match.session_b, match.submission_b),
        "matches": match.regions,
        "incidents": [match.incident_a_id, match.incident_b_id],
    }


def similarity_report_run(*, exam: Exam, threshold: float | None = None) -> SimilarityReport:
    """Compare, problem by problem, every candidate's final submission of ``exam``.

    Pairs at or above the threshold (SIMILARITY_THRESHOLD unless given) are stored as
    SimilarityMatch rows and raise a ``code_similarity`` incident on both sessions. Running it
    again is safe: existing matches are updated in place and never raise incidents twice.
    """
    threshold = settings.SIMILARITY_THRESHOLD if threshold is None else threshold
    report = SimilarityReport(exam=exam, threshold=threshold)
    idioms = exam_similarity_idioms(exam)
    other_exams: dict[str, list[list[str]]] = {}
    for problem in exam.problems.order_by("order", "pk"):
        submissions = final_submissions_for_problem(problem=problem)
        problem_report = ProblemReport(problem=problem, compared=len(submissions))
        if len(submissions) >= 2 and problem.language not in other_exams:
            other_exams[problem.language] = final_code_of_other_exams(
                exam=exam,
                language=problem.language,
                max_exams=settings.SIMILARITY_COMMON_EXAMS,
                per_exam=settings.SIMILARITY_COMMON_PER_EXAM,
            )
        findings = programs_compare(
            [Program(id=s.pk, code=s.code, language=s.language) for s in submissions],
            starter=problem.starter_code,
            language=problem.language,
            threshold=threshold,
            idioms=idioms,
            other_exams=other_exams.get(problem.language, []),
        )
        by_id = {submission.pk: submission for submission in submissions}
        # One commit per problem rather than per pair: after the comparison, recording is
        # quick, and a commit per pair was most of the report's time on SQLite.
        with transaction.atomic():
            for finding in findings:
                match, created = similarity_match_record(
                    problem=problem,
                    finding=finding,
                    submission_a=by_id[finding.a],
                    submission_b=by_id[finding.b],
                )
                problem_report.matches.append(match)
                problem_report.new_matches += int(created)
        report.problems.append(problem_report)
        logger.info(
            "similarity exam %s problem %s: %d submissions, %d pairs (%d new)",
            exam.pk,
            problem.pk,
            len(submissions),
            len(problem_report.matches),
            problem_report.new_matches,
        )
    return report


def exam_similarity_idioms(exam: Exam) -> list[str]:
    """The exam's idiom corpus: code snippets in its policy's ``similarity_idioms`` list.

    Code anyone sitting this exam would write (required boilerplate, a given signature) that is
    not starter code; it never counts as copied. Anything that is not a string is ignored.
    """
    idioms = (exam.policy or {}).get("similarity_idioms", [])
    if not isinstance(idioms, list):
        return []
    return [snippet for snippet in idioms if isinstance(snippet, str) and snippet.strip()]


def _incident_details(
    match: SimilarityMatch, own: CodeSubmission, other: CodeSubmission, *, own_is_a: bool
) -> dict[str, Any]:
    other_session = other.session
    return {
        "match_id": match.pk,
        "problem_id": match.problem_id,
        "problem": match.problem.title,
        "score": round(match.score, 4),
        "submission_id": own.pk,
        "other_submission_id": other.pk,
        "other_session_id": str(other_session.pk),
        "other_candidate_id": other_session.candidate_id,
        "other_candidate": other_session.candidate.display_name,
        "regions": [
            {
                "lines": region["a_lines"] if own_is_a else region["b_lines"],
                "other_lines": region["b_lines"] if own_is_a else region["a_lines"],
            }
            for region in match.regions
        ],
    }


def _incident_raise(
    match: SimilarityMatch, own: CodeSubmission, other: CodeSubmission, *, own_is_a: bool
) -> Incident:
    high = match.score >= settings.SIMILARITY_HIGH_SEVERITY_SCORE
    return incident_create(
        session=own.session,
        kind=Incident.Kind.CODE_SIMILARITY,
        source=Incident.Source.SIMILARITY,
        started_at=own.created_at,
        ended_at=own.created_at,
        severity=Incident.Severity.HIGH if high else Incident.Severity.MEDIUM,
        confidence=match.score,
        details=_incident_details(match, own, other, own_is_a=own_is_a),
        evidence=[{"type": "similarity", "id": match.pk}],
    )


@transaction.atomic
def similarity_match_record(
    *,
    problem: Problem,
    finding: PairFinding,
    submission_a: CodeSubmission,
    submission_b: CodeSubmission,
) -> tuple[SimilarityMatch, bool]:
    """Store (or refresh) the match between two submissions and flag both sessions once.

    Returns the match and whether it is new. The row is locked while it is checked, so two
    reports running at the same time cannot both raise the incidents.
    """
    regions = [region.to_dict() for region in finding.regions]
    if submission_a.pk > submission_b.pk:
        submission_a, submission_b = submission_b, submission_a
        regions = [{"a_lines": r["b_lines"], "b_lines": r["a_lines"]} for r in regions]
    values = {
        "exam_id": problem.exam_id,
        "submission_a": submission_a,
        "submission_b": submission_b,
        "score": finding.score,
        "regions": regions,
    }
    match, created = SimilarityMatch.objects.select_for_update().get_or_create(
        problem=problem,
        session_a=submission_a.session,
        session_b=submission_b.session,
        defaults=values,
    )
    changed = not created and (
        match.submission_a_id != submission_a.pk
        or match.submission_b_id != submission_b.pk
        or abs(match.score - finding.score) > 1e-9
        or match.regions != regions
    )
    if changed:
        for name, value in values.items():
            setattr(match, name, value)
        match.save()
        for incident, own, other, own_is_a in (
            (match.incident_a, submission_a, submission_b, True),
            (match.incident_b, submission_b, submission_a, False),
        ):
            if incident is not None:
                incident_update(
                    incident=incident,
                    confidence=match.score,
                    details=_incident_details(match, own, other, own_is_a=own_is_a),
                )
    if match.flagged_at is None:
        match.incident_a = _incident_raise(match, submission_a, submission_b, own_is_a=True)
        match.incident_b = _incident_raise(match, submission_b, submission_a, own_is_a=False)
        match.flagged_at = timezone.now()
        match.save(update_fields=["incident_a", "incident_b", "flagged_at", "updated_at"])
    return match, created


def similarity_report_enqueue_when_exam_done(*, exam_id: int) -> None:
    """After commit: if none of the exam's sessions is still running, run its report.

    Checked after the commit, so of several sessions ending together at least the last one
    sees them all ended; if two do, the report simply runs twice, which is harmless.
    """

    def check() -> None:
        if not ExamSession.objects.active().filter(exam_id=exam_id).exists():
            async_task(
                "submissions.tasks.similarity_report_for_exam",
                exam_id,
                task_name=f"similarity-exam-{exam_id}",
            )

    transaction.on_commit(check)
