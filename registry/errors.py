"""Domain errors: interfaces turn these into form errors, messages, 400s or exit status 1."""

from django.utils.translation import ngettext


class RegistryError(Exception):
    """Something a user asked for cannot be done; the message says why."""


class ImportRejected(RegistryError):
    """A bulk file had errors; nothing was saved."""

    def __init__(self, errors):
        self.errors = list(errors)
        count = len(self.errors)
        super().__init__(ngettext("%(count)d error", "%(count)d errors", count) % {"count": count})


class InvalidTransition(RegistryError):
    """A status change not allowed from the current status."""
