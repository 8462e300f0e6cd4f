"""Compare plain files with the similarity engine, outside any exam."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.comparison import (
    Program,
    UnsupportedLanguage,
    language_canonical,
    programs_compare,
    supported_languages,
)

# File name extension -> language, used when --language is not given.
EXTENSION_LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "typescript",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".go": "go",
    ".rs": "rust",
    ".rb": "ruby",
    ".kt": "kotlin",
    ".php": "php",
    ".swift": "swift",
    ".scala": "scala",
}


def _read(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror or exc}).") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})."
        ) from None


def _language_for(path: str, given: str | None) -> str:
    name = given or EXTENSION_LANGUAGES.get(Path(path).suffix.lower())
    if name is None:
        raise CommandError(
            f"{path}: cannot tell the language from the file name; pass --language "
            f"({', '.join(supported_languages())})."
        )
    try:
        return language_canonical(name)
    except UnsupportedLanguage:
        raise CommandError(
            f"Unknown language {name!r}; supported: {', '.join(supported_languages())}."
        ) from None


class Command(BaseCommand):
    help = (
        "Compare source files with each other and print the pairs at or above the similarity "
        "threshold, highest first, with matching line ranges."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--starter", metavar="FILE", help="Code given to everyone.")
        parser.add_argument(
            "--language", metavar="NAME", help="Language of all files (default: by extension)."
        )
        parser.add_argument(
            "--idiom",
            metavar="FILE",
            action="append",
            default=[],
            help="Code anyone would write (boilerplate); never counted. Repeatable.",
        )
        parser.add_argument("--threshold", type=float, default=None)
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[str] = options["files"]
        if len(files) < 2:
            raise CommandError("Give at least two files to compare.")
        if len(set(files)) != len(files):
            raise CommandError("A file is listed twice.")
        threshold = options["threshold"]
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise CommandError("--threshold must be between 0 and 1.")
        programs = [
            Program(id=path, code=_read(path), language=_language_for(path, options["language"]))
            for path in files
        ]
        starter = _read(options["starter"]) if options["starter"] else None
        findings = programs_compare(
            programs,
            starter=starter,
            language=programs[0].language or "python",
            threshold=threshold,
            idioms=[_read(path) for path in options["idiom"]],
        )
        if options["json"]:
            self.stdout.write(json.dumps({"pairs": [f.to_dict() for f in findings]}))
            return
        used = settings.SIMILARITY_THRESHOLD if threshold is None else threshold
        if not findings:
            self.stdout.write(f"No pair of the {len(files)} files reaches {used:.0%}.")
            return
        for finding in findings:
            self.stdout.write(f"{finding.score:6.1%}  {finding.a}  {finding.b}")
            for region in finding.regions:
                a_from, a_to = region.a_lines
                b_from, b_to = region.b_lines
                self.stdout.write(f"        lines {a_from}-{a_to}  ~  lines {b_from}-{b_to}")
