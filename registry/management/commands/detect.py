import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.services.csvfiles import parse_instant
from registry.services.detection import RULES, detection_run, detection_run_create


class Command(BaseCommand):
    help = "Run every detection rule now (the same code as the scheduled Celery task) and print a summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="Instant to judge (ISO 8601 with offset); default: now, truncated to the hour.",
        )
        parser.add_argument(
            "--window-days", dest="window_days", type=int, help="Window length (default: the detection settings')."
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args, as_of, window_days, as_json, **options):
        if window_days is not None and window_days < 1:
            raise CommandError(_("--window-days must be at least 1"))
        moment = parse_instant(as_of) if as_of else None
        if as_of and moment is None:
            raise CommandError(_("--as-of must be an ISO 8601 instant with an offset or Z, e.g. 2026-11-24T00:00Z"))
        if moment is not None and (moment.minute or moment.second or moment.microsecond):
            raise CommandError(_("--as-of must be on the hour"))
        run = detection_run(run=detection_run_create(as_of=moment, window_days=window_days, trigger="command"))
        summary = {
            "run": run.pk,
            "as_of": run.as_of.isoformat().replace("+00:00", "Z"),
            "window_days": run.window_days,
            "duration_ms": run.duration_ms,
            "flags": run.counts,
        }
        if as_json:
            self.stdout.write(json.dumps(summary, indent=2, sort_keys=True))
            return
        self.stdout.write(
            _("Detection as of %(as_of)s over %(days)d days (%(ms)d ms):")
            % {"as_of": summary["as_of"], "days": run.window_days, "ms": run.duration_ms}
        )
        for rule in RULES:
            counts = run.counts.get(rule, {})
            self.stdout.write(
                _("  %(rule)-20s %(new)5d new, %(updated)5d updated, %(silenced)5d silenced by a dismissal")
                % {"rule": rule, **counts}
            )
