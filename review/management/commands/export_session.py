from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exams.models import ExamSession
from review.dashboard.export import session_export


class Command(BaseCommand):
    help = (
        "Export one session: DIR/session-<id>/timeline.json (session, risk, timeline, "
        "incidents with verdicts, browser events, submissions) and evidence/ (its media files)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="ID", help="Session UUID.")
        parser.add_argument("--out", required=True, metavar="DIR", help="Folder to write into.")
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace an earlier export of the session."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            session = ExamSession.objects.get(pk=options["session"])
        except (ExamSession.DoesNotExist, ValidationError, ValueError):
            raise CommandError(f"No session {options['session']!r}.") from None
        try:
            target = session_export(
                session=session, out_dir=Path(options["out"]), overwrite=options["overwrite"]
            )
        except FileExistsError as exc:
            raise CommandError(str(exc)) from None
        files = sorted((target / "evidence").iterdir())
        self.stdout.write(
            f"Exported session {session.pk} to {target} ({len(files)} evidence file(s))."
        )
