import datetime as dt
import getpass
import sys

import pghistory
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.exports import DATASETS, ExportError, ExportFilters
from registry.services.exports import export_prepare, export_start


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("“%(value)s” is not a date YYYY-MM-DD") % {"value": value}) from None


class Command(BaseCommand):
    help = "Write a dataset as CSV (the same bytes as the web download)."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help=", ".join(DATASETS))
        parser.add_argument("--out", help="File to write (default: standard output).")
        parser.add_argument("--from", dest="date_from", help="First day, YYYY-MM-DD (UTC).")
        parser.add_argument("--to", dest="date_to", help="Last day, YYYY-MM-DD (UTC), inclusive.")
        parser.add_argument("--region")
        parser.add_argument("--status")
        parser.add_argument("--meter", help="A meter id (readings, connections).")

    def handle(self, *args, dataset, out, date_from, date_to, region, status, meter, **options):
        filters = ExportFilters(
            date_from=iso_date(date_from) if date_from else None,
            date_to=iso_date(date_to) if date_to else None,
            region=region,
            status=status,
            meter=meter,
        )
        actor = f"cli:{getpass.getuser()}"
        try:
            chosen = export_prepare(dataset_name=dataset, filters=filters)
        except ExportError as error:
            raise CommandError(str(error)) from None
        try:
            target = open(out, "wb") if out else sys.stdout.buffer
        except OSError as error:
            raise CommandError(
                _("cannot write %(path)s: %(reason)s") % {"path": out, "reason": error.strerror}
            ) from None
        try:
            with pghistory.context(command="export", actor=actor):
                for block in export_start(dataset=chosen, filters=filters, actor=actor):
                    target.write(block)
        finally:
            if out:
                target.close()
            else:
                target.flush()
