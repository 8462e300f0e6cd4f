"""Compare an exam's final submissions now (the same work as the background task)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exams.models import Exam
from submissions.reports import similarity_report_run


class Command(BaseCommand):
    help = (
        "Compare the final submissions of an exam's ended sessions, problem by problem; pairs "
        "at or above the threshold become similarity matches and incidents on both sessions. "
        "Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exam", type=int, required=True, metavar="ID")
        parser.add_argument("--threshold", type=float, default=None)
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(pk=options["exam"]).first()
        if exam is None:
            raise CommandError(f"No exam with id {options['exam']}.")
        threshold = options["threshold"]
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise CommandError("--threshold must be between 0 and 1.")
        report = similarity_report_run(exam=exam, threshold=threshold)
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict()))
            return
        self.stdout.write(f"Exam {exam.pk} {exam.title!r}, threshold {report.threshold:.0%}")
        for problem in report.problems:
            self.stdout.write(
                f"\nProblem {problem.problem.pk} {problem.problem.title!r}: "
                f"{problem.compared} final submissions, {len(problem.matches)} pairs "
                f"({problem.new_matches} new)"
            )
            for match in problem.matches:
                a, b = match.session_a.candidate, match.session_b.candidate
                self.stdout.write(
                    f"  {match.score:6.1%}  {a.display_name} ({a.pk})  ~  "
                    f"{b.display_name} ({b.pk})   match #{match.pk}"
                )
                for region in match.regions:
                    a_from, a_to = region["a_lines"]
                    b_from, b_to = region["b_lines"]
                    self.stdout.write(f"          lines {a_from}-{a_to}  ~  lines {b_from}-{b_to}")
