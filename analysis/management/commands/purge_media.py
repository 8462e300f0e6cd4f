from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.services.purge import media_purge, media_purge_recorded


class Command(BaseCommand):
    help = (
        "Delete stored frames and audio captured more than DAYS days ago (evidence included). "
        "Sessions on legal hold and running sessions are skipped. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            default=None,
            help=f"Age in days (default MEDIA_RETENTION_DAYS={settings.MEDIA_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be deleted, delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        days = settings.MEDIA_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--older-than must be 0 or more days.")
        if options["dry_run"]:
            report = media_purge(older_than_days=days, dry_run=True)
        else:  # recorded like the scheduled runs, so /health/ shows this one too
            _run, report = media_purge_recorded(older_than_days=days)
        verb = "Would delete" if options["dry_run"] else "Deleted"
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.deleted.items())) or "0"
        self.stdout.write(
            f"{verb} {report.total} file(s) ({kinds}; {report.bytes_deleted} bytes) "
            f"captured before {report.cutoff}."
        )
        if report.missing_on_disk:
            self.stdout.write(f"{report.missing_on_disk} file(s) were already gone from storage.")
        self.stdout.write(
            f"Kept: {report.skipped_legal_hold} file(s) of sessions on legal hold, "
            f"{report.skipped_active} of sessions still running."
        )
        if options["verbosity"] >= 2 and report.deleted_ids:
            self.stdout.write("Media ids: " + " ".join(map(str, report.deleted_ids)))
