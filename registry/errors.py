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


class InvalidInput(RegistryError):
    """Values refused field by field; a form shows each message beside its field.

    `problems` maps a field's name to what is wrong with it, as the service's
    `*_problems()` function says, so a form that checks first and a service that
    refuses later use the same words.
    """

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(str(message) for message in self.problems.values()))
