from pathlib import Path

import pghistory
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.errors import ImportRejected
from registry.services.csvfiles import MAX_ERRORS
from registry.services.imports import Outcome, register_import


class Command(BaseCommand):
    help = (
        "Import the register CSV files (firms, owners, grid connections, facilities, licences, declarations)"
        " found in DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        if not directory.is_dir():
            raise CommandError(_("%(dir)s is not a directory") % {"dir": directory})
        try:
            with pghistory.context(command="import_register", source=str(directory.resolve())):
                report = register_import(directory=directory)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            if len(rejected.errors) >= MAX_ERRORS:
                self.stderr.write(_("Stopped after the first %(n)d errors.") % {"n": MAX_ERRORS})
            raise CommandError(_("Import rejected: nothing was saved."), returncode=1) from None
        for file_report in report.files:
            counts = file_report.counts
            self.stdout.write(
                _("%(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                % {
                    "file": file_report.file,
                    "created": counts[Outcome.CREATED],
                    "updated": counts[Outcome.UPDATED],
                    "unchanged": counts[Outcome.UNCHANGED],
                }
            )
        if report.changed == 0:
            self.stdout.write(_("Nothing changed: the register already holds these files."))
