import datetime as dt
import getpass
import sys
from contextlib import contextmanager
from pathlib import Path

import pghistory
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from registry.exports import CSV, DATASETS, FORMATS, XLSX, ExportError, ExportFilters
from registry.management.progress import BYTES, progress
from registry.services.exports import export_prepare, export_start


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("“%(value)s” is not a date YYYY-MM-DD") % {"value": value}) from None


def chosen_format(file_format: str | None, out: str | None) -> str:
    """--format, or else the --out file's extension (.xlsx, .csv), or else CSV; the two must not disagree."""
    suffix = Path(out).suffix.lower().removeprefix(".") if out else ""
    named = suffix if suffix in FORMATS else None
    if file_format and named and file_format != named:
        raise CommandError(
            _("--format %(format)s, but %(path)s is named as a %(named)s file")
            % {"format": file_format, "path": out, "named": named}
        )
    return file_format or named or CSV


@contextmanager
def written(out: str | None):
    """Standard output, or the file `out` made whole or not at all.

    The export goes to `out.partial` and takes the name `out` only once its last row is written: an export
    that fails part-way leaves no file that looks complete (an older `out` stays as it was).
    A device or pipe (/dev/null, a FIFO) is written directly: there is nothing to rename.
    """
    if not out:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(out).resolve()  # through a symlink, as open() would write
    direct = path.exists() and not path.is_file()
    partial = path if direct else path.with_name(path.name + ".partial")
    try:
        target = partial.open("wb")
    except OSError as error:
        raise CommandError(_("cannot write %(path)s: %(reason)s") % {"path": out, "reason": error.strerror}) from None
    try:
        with target:
            yield target
        if not direct:
            partial.replace(path)
    except BaseException:
        if not direct:
            partial.unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = "Write a dataset as CSV (the same bytes as the web download) or XLSX."
    # It only reads: the system checks (half a second, a third of a small export) are for `check`, `migrate`
    # and the server.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("dataset", help=", ".join(DATASETS))
        parser.add_argument("--out", help="File to write (default: standard output).")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=FORMATS,
            help="csv or xlsx (default: the --out file's extension, else csv).",
        )
        parser.add_argument("--from", dest="date_from", help="First day, YYYY-MM-DD (UTC).")
        parser.add_argument("--to", dest="date_to", help="Last day, YYYY-MM-DD (UTC), inclusive.")
        parser.add_argument("--region")
        parser.add_argument("--status")
        parser.add_argument("--meter", help="A meter id (readings, connections).")

    def handle(
        self, *args, dataset, out, date_from, date_to, region, status, meter, file_format=None, verbosity=1, **options
    ):
        filters = ExportFilters(
            date_from=iso_date(date_from) if date_from else None,
            date_to=iso_date(date_to) if date_to else None,
            region=region,
            status=status,
            meter=meter,
        )
        actor = f"cli:{getpass.getuser()}"
        file_format = chosen_format(file_format, out)
        if file_format == XLSX and not out and sys.stdout.isatty():
            raise CommandError(
                _("an XLSX file is not for a terminal: write it with --out FILE, or redirect the output")
            )
        try:
            chosen = export_prepare(dataset_name=dataset, filters=filters, file_format=file_format)
        except ExportError as error:
            raise CommandError(str(error)) from None
        # The bytes written, as a file's size grows; never over the CSV itself when that goes to the terminal.
        on_screen = not out and sys.stdout.isatty()
        try:
            with (
                written(out) as target,
                pghistory.context(command="export", actor=actor),
                progress(self, 0 if on_screen else verbosity, desc=_("Writing"), unit=BYTES) as bar,
            ):
                for block in export_start(dataset=chosen, filters=filters, actor=actor, file_format=file_format):
                    target.write(block)
                    bar.update(len(block))
        except ExportError as error:  # an XLSX refused while it was written (a row over the limit, a text too long)
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            where = _("nothing was written to %(path)s") % {"path": out} if out else _("the output is incomplete")
            raise CommandError(
                _("the export failed (%(reason)s): %(where)s")
                % {"reason": " ".join(str(error).split()), "where": where}
            ) from error
