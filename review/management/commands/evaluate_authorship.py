"""``manage.py evaluate_authorship``: the transcription rule on proctor-labelled recordings."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exams.models import Exam
from review.dashboard.authorship_evaluation import (
    Thresholds,
    authorship_evaluate,
    labelled_recordings,
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise CommandError(f"Not a list of numbers: {text!r}.") from error
    if not values or any(value < 0 for value in values):
        raise CommandError(f"Give one or more numbers >= 0: {text!r}.")
    return values


class Command(BaseCommand):
    help = (
        "Judge the stored editor recordings that proctors labelled (confirmed or dismissed "
        "transcribed_typing incidents; cleared sessions as not transcription) with the "
        "transcription rule's thresholds, and print precision, recall and false positives."
    )

    def add_arguments(self, parser: Any) -> None:
        defaults = Thresholds()
        parser.add_argument("--exam", type=int, help="Only this exam's sessions.")
        parser.add_argument("--min-chars", type=int, default=defaults.min_chars)
        parser.add_argument(
            "--max-cv",
            default=str(defaults.max_cv),
            help="One value or a comma-separated list to compare (e.g. 0.25,0.35,0.5).",
        )
        parser.add_argument(
            "--max-long-pauses-per-100", type=float, default=defaults.max_long_pauses_per_100
        )
        parser.add_argument(
            "--no-clear-sessions",
            action="store_true",
            help="Do not count the recordings of sessions cleared by a proctor as negatives.",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        exam_id = options.get("exam")
        if exam_id is not None and not Exam.objects.filter(pk=exam_id).exists():
            raise CommandError(f"No exam with id {exam_id}.")
        if options["min_chars"] < 1:
            raise CommandError("--min-chars must be at least 1.")
        recordings = labelled_recordings(
            exam_id=exam_id, clear_sessions=not options["no_clear_sessions"]
        )
        evaluations = [
            authorship_evaluate(
                recordings,
                Thresholds(
                    min_chars=options["min_chars"],
                    max_cv=max_cv,
                    max_long_pauses_per_100=options["max_long_pauses_per_100"],
                ),
            )
            for max_cv in _floats(options["max_cv"])
        ]
        if options["json"]:
            self.stdout.write(json.dumps([e.as_dict() for e in evaluations], indent=2))
            return
        positives = sum(1 for r in recordings if r.transcription)
        self.stdout.write(
            f"{len(recordings)} labelled recordings: {positives} transcription, "
            f"{len(recordings) - positives} not transcription"
        )
        if not recordings:
            self.stdout.write(
                "Nothing to evaluate: confirm or dismiss transcribed_typing incidents, or "
                "clear sessions, in the review dashboard first."
            )
            return
        for evaluation in evaluations:
            t = evaluation.thresholds
            self.stdout.write(
                f"min_chars {t.min_chars}, max_cv {t.max_cv}, long pauses/100 "
                f"{t.max_long_pauses_per_100}: TP {evaluation.true_positives} "
                f"FP {evaluation.false_positives} TN {evaluation.true_negatives} "
                f"FN {evaluation.false_negatives}; precision {_pct(evaluation.precision)}, "
                f"recall {_pct(evaluation.recall)}, "
                f"false positive rate {_pct(evaluation.false_positive_rate)}"
            )
        for row in evaluations[0].rows:
            run = row["longest_run"] or {}
            self.stdout.write(
                f"  {row['session_id']} problem {row['problem_id']}: {row['label']} "
                f"({row['source']}), flagged {row['flagged']}; longest run "
                f"{run.get('chars', 0)} chars, CV {run.get('interval_cv', '-')}, "
                f"{run.get('rate_cps', '-')} chars/s"
            )
