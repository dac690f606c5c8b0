import datetime as dt
import time

import pghistory
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry import clock
from registry.management.progress import progress
from registry.models import Firm
from registry.services.demo import DEMO_PASSWORD, SEED_STEPS, demo_seed


class Command(BaseCommand):
    help = (
        "Fill an empty registry with deterministic demo data: licensed firms, a grid feed with hidden farms,"
        " the 2022 campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) if the registry has data."
        )
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Place the grid feed before this date (default: today, UTC)."
        )
        parser.add_argument("--connections", type=int, default=2000)
        parser.add_argument("--days", type=int, default=30, help="Days of hourly readings for ordinary connections.")
        parser.add_argument(
            "--months", type=int, default=12, help="Months of readings and declarations for licensed sites."
        )

    def handle(self, *args, if_empty, today, connections, days, months, **options):
        if settings.PRODUCTION:
            # The demo staff's password and authenticator key are published.
            raise CommandError(_("seed_demo is refused when DEPLOYMENT=production: its logins are public."))
        if Firm.objects.exists():
            if if_empty:
                self.stdout.write(_("The registry already holds data; demo data not added."))
                return
            raise CommandError(_("The registry already holds data: seed_demo fills an empty database only."))
        started = time.monotonic()
        with (
            progress(
                self,
                options["verbosity"],
                desc=_("Demo data"),
                total=len(SEED_STEPS),
                # Steps take from a second to most of the run: their number and the time, not a rate.
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}]",
            ) as bar,
            pghistory.context(command="seed_demo"),
        ):

            def step(done: int, label: str) -> None:
                bar.update(done - bar.n)
                bar.set_description_str(label)

            summary = demo_seed(
                today=today or clock.today(), connections=connections, days=days, months=months, progress=step
            )
            bar.update(len(SEED_STEPS) - bar.n)
            bar.set_description_str(_("Demo data"))
        self.stdout.write(
            _(
                "Demo data: %(firms)d licensed or applying firms and %(campaign)d operators stopped in the 2022 "
                "campaign, %(facilities)d facilities, %(licences)d licences, %(connections)d grid connections, "
                "%(readings)d hourly readings, %(declarations)d declarations (%(seconds).1f s)."
            )
            % {
                "firms": summary.firms,
                "facilities": summary.facilities,
                "licences": summary.licences,
                "connections": summary.connections,
                "readings": summary.readings,
                "declarations": summary.declarations,
                "campaign": summary.campaign_operations,
                "seconds": time.monotonic() - started,
            }
        )
        self.stdout.write(
            _("Demo logins (password “%(password)s”): regulator, inspector, auditor, firm.")
            % {"password": DEMO_PASSWORD}
        )
        self.stdout.write(
            _("Staff log in with a second step: `manage.py demo_totp` prints the demo authenticator's current code.")
        )
