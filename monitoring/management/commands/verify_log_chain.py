"""Check the monitoring logs' hash chains; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exams.models import ExamSession
from monitoring.chain import chain_verify
from monitoring.models import MonitoringLog, SessionMonitor


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of monitoring logs (one session with --session, else all) "
        "and report the first broken link; exits with status 1 when any chain is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", help="The session's UUID (default: every session).")

    def handle(self, *args: Any, **options: Any) -> None:
        session_id = options.get("session")
        if session_id:
            if not ExamSession.objects.filter(pk=session_id).exists():
                raise CommandError(f"No session {session_id}.")
            session_ids = [session_id]
        else:
            with_logs = MonitoringLog.objects.values_list("session_id", flat=True).distinct()
            with_heads = SessionMonitor.objects.values_list("session_id", flat=True)
            session_ids = sorted({str(s) for s in with_logs} | {str(s) for s in with_heads})
        broken = 0
        rows = 0
        for sid in session_ids:
            report = chain_verify(sid)
            rows += report.rows
            if report.ok:
                if options["verbosity"] > 1:
                    self.stdout.write(f"{sid}: {report.rows} rows, chain intact")
                continue
            broken += 1
            self.stderr.write(
                f"{sid}: BROKEN at chain position {report.chain_index}"
                f"{f' (seq {report.seq})' if report.seq is not None else ''}: {report.reason}"
            )
        if broken:
            raise CommandError(f"{broken} of {len(session_ids)} session chains are broken.")
        self.stdout.write(
            self.style.SUCCESS(f"{len(session_ids)} session chains intact ({rows} rows).")
        )
