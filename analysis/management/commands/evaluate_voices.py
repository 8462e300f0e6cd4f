"""``manage.py evaluate_voices [--media DIR] [--jobs N] [--sweep] [--sweep-quiet] [--verbose]``:
the several-voices table of docs/ANALYZERS.md, in one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Every two-voice mixture (overlap, 10 dB behind, turns; every pair of distinct real "
        "voices), single voices and non-speech, as 5 s chunks alone, 60 s streams and enrolled "
        "30 s streams, through the audio pipeline and the session judgement; prints the table "
        "per condition."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--media", type=Path, default=None, help="shared media folder")
        parser.add_argument("--jobs", type=int, default=1, help="worker processes")
        parser.add_argument("--sweep", action="store_true", help="score a grid of thresholds")
        parser.add_argument("--sweep-quiet", action="store_true", help="the quieter-voice cut")
        parser.add_argument("--verbose", action="store_true", help="list every miss and alarm")
        parser.add_argument("--save", type=Path, default=None, help="keep the analyzed chunks")
        parser.add_argument("--load", type=Path, default=None, help="score kept chunks")

    def handle(self, *args: Any, **options: Any) -> None:
        from analysis.analyzers.audio import evaluate_voices

        argv = ["--jobs", str(options["jobs"])]
        for name in ("media", "save", "load"):
            if options[name] is not None:
                argv += [f"--{name}", str(options[name])]
        argv += [
            flag
            for flag in ("--sweep", "--sweep-quiet", "--verbose")
            if options[flag[2:].replace("-", "_")]
        ]
        try:
            evaluate_voices.main(argv)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise CommandError(str(exc.code)) from exc
