import shutil
import sys
import tempfile
import zoneinfo
from pathlib import Path

import pghistory
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.clock import registry_zone_name
from registry.errors import ImportRejected
from registry.management.progress import progress
from registry.services.csvfiles import MAX_ERRORS
from registry.services.readings import MERGE, READ, READ_AGAIN, ReadingSource, path_source, readings_import
from registry.validators import validate_time_zone


class Command(BaseCommand):
    help = (
        "Load grid-feed readings from CSV files (meter_id, period_start, kwh) or 80020 XML messages, or - for "
        "standard input. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSV or 80020 XML files; - reads standard input")
        parser.add_argument(
            "--format",
            choices=["csv", "80020"],
            help="the files' format (default: 80020 for a file that begins like XML, CSV otherwise)",
        )
        parser.add_argument(
            "--time-zone",
            default=None,
            help="the zone of the local times in 80020 files (default: the registry's, TIME_ZONE)",
        )

    def handle(self, *args, files, format=None, time_zone=None, verbosity=1, **options):
        zone = self.zone(time_zone or registry_zone_name())
        with tempfile.TemporaryDirectory() as spool_dir:
            sources = [self.source(name, Path(spool_dir), zone=zone, kind=format) for name in files]
            try:
                with pghistory.context(command="import_readings", files=files), Steps(self, verbosity) as steps:
                    record = readings_import(
                        sources=sources, label="import_readings " + " ".join(files), progress=steps.report
                    )
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
        if any(source.kind == "80020" for source in sources):
            self.stdout.write(
                ngettext(
                    "%(flagged)d value flagged with a non-zero status by the metering system (80020).",
                    "%(flagged)d values flagged with a non-zero status by the metering system (80020).",
                    record.flagged_values,
                )
                % {"flagged": record.flagged_values}
            )

    def zone(self, name: str) -> zoneinfo.ZoneInfo:
        try:
            validate_time_zone(name)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        return zoneinfo.ZoneInfo(name)

    def source(self, name: str, spool_dir: Path, *, zone: zoneinfo.ZoneInfo, kind: str | None) -> ReadingSource:
        if name == "-":
            # Standard input can be read once; the import may need to read its rows twice.
            path = spool_dir / "stdin"
            with path.open("wb") as spool:
                shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
            return path_source(str(path), zone=zone, kind=kind, name="stdin")
        if not Path(name).is_file():
            raise CommandError(_("cannot read %(path)s: no such file") % {"path": name})
        return path_source(name, zone=zone, kind=kind)


class Steps:
    """The import's steps on a terminal: a count of the rows read (and their rate), then a line while they merge."""

    def __init__(self, command: BaseCommand, verbosity: int):
        self.command = command
        self.verbosity = verbosity
        self.step: str | None = None
        self.bar = None

    def __enter__(self) -> "Steps":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def report(self, step: str, rows: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            self.bar = self.start(step, rows)
        if step != MERGE:
            self.bar.update(rows - self.bar.n)

    def start(self, step: str, rows: int):
        if step == READ:
            return progress(self.command, self.verbosity, desc=_("Reading"))
        if step == READ_AGAIN:
            return progress(self.command, self.verbosity, desc=_("Reading again (an hour repeats in the feed)"))
        return progress(
            self.command,
            self.verbosity,
            desc=ngettext("Merging %(rows)d row…", "Merging %(rows)d rows…", rows) % {"rows": rows},
            bar_format="{desc} [{elapsed}]",
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
