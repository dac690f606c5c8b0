import shutil
import sys
import tempfile
from pathlib import Path

import pghistory
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.errors import ImportRejected
from registry.services.csvfiles import MAX_ERRORS
from registry.services.readings import ReadingSource, file_source, readings_import


class Command(BaseCommand):
    help = (
        "Load grid-feed readings (meter_id, period_start, kwh) from CSV files, or - for standard input. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSV files; - reads standard input")

    def handle(self, *args, files, **options):
        with tempfile.TemporaryDirectory() as spool_dir:
            sources = [self.source(name, Path(spool_dir)) for name in files]
            try:
                with pghistory.context(command="import_readings", files=files):
                    record = readings_import(sources=sources, label="import_readings " + " ".join(files))
            except ImportRejected as rejected:
                for error in rejected.errors:
                    self.stderr.write(str(error))
                if len(rejected.errors) >= MAX_ERRORS:
                    self.stderr.write(_("Stopped after the first %(n)d errors.") % {"n": MAX_ERRORS})
                raise CommandError(_("Import rejected: nothing was saved."), returncode=1) from None
        self.stdout.write(
            _("%(rows)d rows: %(inserted)d inserted, %(unchanged)d unchanged, %(corrected)d corrected.")
            % {
                "rows": record.rows,
                "inserted": record.inserted,
                "unchanged": record.unchanged,
                "corrected": record.corrected,
            }
        )

    def source(self, name: str, spool_dir: Path) -> ReadingSource:
        if name == "-":
            # Standard input can be read once; the import may need to read its rows twice.
            path = spool_dir / "stdin.csv"
            with path.open("wb") as spool:
                shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
            return ReadingSource("stdin", "csv", lambda: path.open("rb"))
        if not Path(name).is_file():
            raise CommandError(_("cannot read %(path)s: no such file") % {"path": name})
        return file_source(name)
