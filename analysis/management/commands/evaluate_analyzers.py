"""``manage.py evaluate_analyzers --manifest PATH [--json]``: accuracy on a labelled manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Run the analyzers on every image, audio file and video of a manifest (the format of "
        "shared/media/MANIFEST.tsv) and print per-label precision, recall and confusions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--manifest", required=True, type=Path, help="Path to MANIFEST.tsv")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--video-fps", type=float, default=3.0, help="Frames sampled per second of video."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from analysis.evaluation import evaluate, format_text_report
        from analysis.runner import import_mediapipe_without_tensorflow

        manifest: Path = options["manifest"]
        if not manifest.is_file():
            raise CommandError(f"No manifest at {manifest}.")
        import_mediapipe_without_tensorflow()
        verbose = options["verbosity"] >= 2
        result = evaluate(
            manifest,
            video_fps=options["video_fps"],
            progress=(lambda path: self.stderr.write(path)) if verbose else None,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self.stdout.write(format_text_report(result))
