"""``manage.py reanalyze --session ID``: re-run the analyzers on a session's retained media."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.services import session_reanalyze
from exams.models import ExamSession


class Command(BaseCommand):
    help = (
        "Re-analyze the retained frames and audio of one session with the current analyzers "
        "and rebuild its unreviewed analyzer incidents (reviewed incidents are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, help="Session UUID")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            session = ExamSession.objects.select_related("exam").get(pk=options["session"])
        except (ExamSession.DoesNotExist, ValidationError, ValueError):
            raise CommandError(f"No session {options['session']}.") from None
        summary = session_reanalyze(session=session)
        self.stdout.write(
            f"Re-analyzed {summary['media']} media item(s) of session {session.pk}: "
            f"{summary['failed']} failed, {summary['incidents_replaced']} unreviewed analyzer "
            f"incident(s) replaced, {summary['incidents']} analyzer incident(s) now."
        )
