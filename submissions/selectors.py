"""Reads for code submissions and similarity matches."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from exams.lifecycle import FINAL_STATUSES
from exams.models import Exam, Problem

from .models import CodeSubmission, SimilarityMatch


def submission_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet:
    """Submissions ``user`` may see, newest first, narrowed by ``filters``.

    Filters: ``exam_id``, ``problem_id``, ``session_id``, ``candidate_id``, ``is_final`` and
    ``latest`` (only the newest version per session and problem). A candidate only ever gets
    their own submissions, whatever the filters say.
    """
    filters = filters or {}
    queryset = CodeSubmission.objects.visible_to(user).select_related(
        "session", "session__candidate", "problem"
    )
    if filters.get("exam_id") is not None:
        queryset = queryset.filter(session__exam_id=filters["exam_id"])
    if filters.get("problem_id") is not None:
        queryset = queryset.filter(problem_id=filters["problem_id"])
    if filters.get("session_id") is not None:
        queryset = queryset.filter(session_id=filters["session_id"])
    if filters.get("candidate_id") is not None:
        queryset = queryset.filter(session__candidate_id=filters["candidate_id"])
    if filters.get("is_final") is not None:
        queryset = queryset.filter(is_final=filters["is_final"])
    if filters.get("latest"):
        newest = (
            CodeSubmission.objects.filter(session=OuterRef("session"), problem=OuterRef("problem"))
            .values("session", "problem")
            .annotate(newest=Max("version"))
            .values("newest")
        )
        queryset = queryset.filter(version=Subquery(newest))
    return queryset.order_by("-created_at", "-pk")


def final_submissions_for_problem(*, problem: Problem) -> list[CodeSubmission]:
    """The final submission of each candidate for ``problem``, from sessions that ended.

    A candidate with several ended sessions (say one terminated, then a retake) counts once,
    with their latest session, so nobody is ever compared with themselves.
    """
    submissions = (
        CodeSubmission.objects.filter(
            problem=problem, is_final=True, session__status__in=FINAL_STATUSES
        )
        .select_related("session", "session__candidate")
        .order_by("session__candidate_id", "-session__ended_at", "-pk")
    )
    chosen: dict[int, CodeSubmission] = {}
    for submission in submissions:
        chosen.setdefault(submission.session.candidate_id, submission)
    return sorted(chosen.values(), key=lambda submission: submission.pk)


def similarity_match_list(*, filters: dict[str, Any] | None = None) -> QuerySet:
    """Similarity matches, highest score first; filters ``exam_id``, ``problem_id``,
    ``session_id`` (either side) and ``min_score``. For reviewers only."""
    filters = filters or {}
    queryset = SimilarityMatch.objects.select_related(
        "session_a__candidate__candidate_profile",
        "session_b__candidate__candidate_profile",
        "submission_a",
        "submission_b",
    )
    if filters.get("exam_id") is not None:
        queryset = queryset.filter(exam_id=filters["exam_id"])
    if filters.get("problem_id") is not None:
        queryset = queryset.filter(problem_id=filters["problem_id"])
    if filters.get("session_id") is not None:
        queryset = queryset.filter(
            Q(session_a_id=filters["session_id"]) | Q(session_b_id=filters["session_id"])
        )
    if filters.get("min_score") is not None:
        queryset = queryset.filter(score__gte=filters["min_score"])
    return queryset.order_by("-score", "pk")


def final_code_of_other_exams(
    *, exam: Exam, language: str, max_exams: int, per_exam: int
) -> list[list[str]]:
    """Final submissions in ``language`` of the most recent other exams, grouped by exam.

    The similarity report learns from them what every exam's candidates write (the common-code
    cut); independent exams cannot have copied from each other. At most ``max_exams`` exams
    (newest first) and ``per_exam`` submissions of each.
    """
    if max_exams <= 0 or per_exam <= 0:
        return []
    ended = CodeSubmission.objects.filter(
        is_final=True, language=language, session__status__in=FINAL_STATUSES
    ).exclude(session__exam=exam)
    exam_ids = list(
        ended.values_list("session__exam_id", flat=True)
        .distinct()
        .order_by("-session__exam_id")[:max_exams]
    )
    grouped: dict[int, list[str]] = {exam_id: [] for exam_id in exam_ids}
    rows = ended.filter(session__exam_id__in=exam_ids).order_by("-pk")
    for exam_id, code in rows.values_list("session__exam_id", "code").iterator():
        if len(grouped[exam_id]) < per_exam:
            grouped[exam_id].append(code)
    return [codes for codes in grouped.values() if codes]
