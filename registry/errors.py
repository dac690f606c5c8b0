"""Domain errors: interfaces turn these into form errors, messages, 400s or exit status 1."""


class RegistryError(Exception):
    """Something a user asked for cannot be done; the message says why."""


class ImportRejected(RegistryError):
    """A bulk file had errors; nothing was saved."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s)")


class InvalidTransition(RegistryError):
    """A status change not allowed from the current status."""
