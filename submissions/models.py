from __future__ import annotations

from django.db import models
from django.db.models import Q


class CodeSubmissionQuerySet(models.QuerySet):
    def visible_to(self, user) -> CodeSubmissionQuerySet:  # noqa: ANN001
        """A candidate's own submissions; every submission for proctors and admins."""
        if user.is_reviewer:
            return self
        return self.filter(session__candidate=user)


class CodeSubmission(models.Model):
    """The seed's ``code_submissions``: one saved version of a candidate's code for a problem.

    ``code`` is kept exactly as submitted (no trimming, no newline conversion); ``sha256`` and
    ``size`` are of its UTF-8 bytes. ``version`` counts 1, 2, 3... per session and problem.
    ``is_final`` marks the last version of each problem when the session ended.
    """

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.CASCADE, related_name="code_submissions"
    )
    problem = models.ForeignKey(
        "exams.Problem", on_delete=models.PROTECT, related_name="code_submissions"
    )
    language = models.CharField(max_length=32)
    code = models.TextField(blank=True)
    version = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="Bytes of UTF-8.")
    is_final = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CodeSubmissionQuerySet.as_manager()

    class Meta:
        db_table = "code_submissions"
        ordering = ["session", "problem", "version"]
        constraints = [
            # The database, not the application, guarantees one row per version even when two
            # requests for the same session and problem arrive together.
            models.UniqueConstraint(
                fields=["session", "problem", "version"], name="one_row_per_submission_version"
            ),
            models.UniqueConstraint(
                fields=["session", "problem"],
                condition=Q(is_final=True),
                name="one_final_submission_per_problem",
            ),
        ]
        indexes = [models.Index(fields=["problem", "is_final"])]

    def __str__(self) -> str:
        return f"{self.problem} v{self.version} ({self.session_id})"


class SimilarityMatch(models.Model):
    """Two candidates' submissions for one problem that look copied, and where.

    ``session_a``/``submission_a`` is the side with the smaller submission id; ``regions`` is a
    list of ``{"a_lines": [from, to], "b_lines": [from, to]}`` (1-based, inclusive). Re-running
    the comparison updates the row instead of adding another; the incidents it raised on both
    sessions are linked here and raised only once (``flagged_at``).
    """

    exam = models.ForeignKey(
        "exams.Exam", on_delete=models.CASCADE, related_name="similarity_matches"
    )
    problem = models.ForeignKey(
        "exams.Problem", on_delete=models.CASCADE, related_name="similarity_matches"
    )
    session_a = models.ForeignKey("exams.ExamSession", on_delete=models.CASCADE, related_name="+")
    session_b = models.ForeignKey("exams.ExamSession", on_delete=models.CASCADE, related_name="+")
    submission_a = models.ForeignKey(CodeSubmission, on_delete=models.CASCADE, related_name="+")
    submission_b = models.ForeignKey(CodeSubmission, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="0..1: share of the smaller program's fingerprints.")
    regions = models.JSONField(default=list)
    incident_a = models.ForeignKey(
        "monitoring.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident_b = models.ForeignKey(
        "monitoring.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "session_a", "session_b"], name="one_match_per_problem_pair"
            )
        ]
        verbose_name_plural = "similarity matches"

    def __str__(self) -> str:
        return f"{self.problem}: {self.score:.0%} ({self.session_a_id} / {self.session_b_id})"
