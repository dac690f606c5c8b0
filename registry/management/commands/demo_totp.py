from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from registry.services.demo import DEMO_TOTP_SECRET, demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-step login code of the demo staff (regulator, inspector, auditor)."

    def handle(self, *args, **options):
        self.stdout.write(demo_totp_code())
        self.stderr.write(
            _("Demo staff only: their authenticator secret is %(secret)s (add it to an app, or run this again).")
            % {"secret": DEMO_TOTP_SECRET}
        )
