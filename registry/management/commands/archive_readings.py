import datetime as dt
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.management.progress import progress
from registry.services.partitions import readings_archive, readings_months_due_for_archive, readings_partitions_ahead

MONTH = re.compile(r"(\d{4})-(\d{2})")


class Command(BaseCommand):
    help = (
        "Write months of readings to compressed archives (the readings CSV format, read back by import_readings),"
        " record them in the audit trail and drop them from the database. Without --month: every month past"
        " READINGS_RETENTION_MONTHS that no detection window, load-step baseline or open flag still needs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", action="append", default=[], help="A UTC month, YYYY-MM (repeatable).")
        parser.add_argument("--dir", dest="directory", help="Where to write (default: READINGS_ARCHIVE_DIR).")
        parser.add_argument("--dry-run", action="store_true", help="Say which months would go; change nothing.")

    def handle(self, *args, month, directory, dry_run, verbosity=1, **options):
        months = [self._month(text) for text in month] if month else readings_months_due_for_archive()
        if not month and not dry_run:  # a dry run changes nothing, not even the months ahead
            readings_partitions_ahead()
        if not months:
            self.stdout.write(
                _("No month to archive (retention: %(months)d months).")
                % {"months": settings.READINGS_RETENTION_MONTHS}
            )
            return
        for each in months:
            if dry_run:
                self.stdout.write(_("would archive %(month)s") % {"month": f"{each:%Y-%m}"})
                continue
            # The month is written by one COPY inside the service: a line says which, and how long it took.
            with progress(
                self,
                verbosity,
                desc=_("Archiving %(month)s…") % {"month": f"{each:%Y-%m}"},
                bar_format="{desc} [{elapsed}]",
            ):
                try:
                    archive = readings_archive(each, directory=directory)
                except RegistryError as error:
                    raise CommandError(str(error)) from error
            self.stdout.write(
                _("%(month)s: %(rows)d readings → %(path)s (%(bytes)d bytes, sha256 %(sha)s)")
                % {
                    "month": f"{archive.month:%Y-%m}",
                    "rows": archive.rows,
                    "path": archive.path,
                    "bytes": archive.bytes,
                    "sha": archive.sha256,
                }
            )

    @staticmethod
    def _month(text: str) -> dt.date:
        match = MONTH.fullmatch(text.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError(_("--month must be a month as YYYY-MM, e.g. 2023-01; got “%(value)s”") % {"value": text})
        return dt.date(int(match[1]), int(match[2]), 1)
