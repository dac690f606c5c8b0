"""Reading settings from the environment: a value that cannot be read stops the start, naming the variable.

A typo (DEBUG=ture, DEPLOYMENT=prodution, AXES_FAILURE_LIMIT=five) must not
quietly become another setting. An unset or empty variable takes the default.
These run while the settings load, before translations can: the messages are
in English, for the operator.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def _raw(name: str) -> str | None:
    """The variable's value, stripped; None when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


def _refused(name: str, value: str, accepted: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not understood: {accepted}.")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1]


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise _refused(name, value, f"use {_listed(TRUE)} to turn it on, {_listed(FALSE)} to turn it off")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise _refused(name, value, "use a whole number, digits only") from None


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise _refused(name, value, f"use {_listed(choices)}")
    return value


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list; an item with a space inside is refused (a list separated by spaces, most likely)."""
    value = _raw(name)
    items = [item.strip() for item in (default if value is None else value).split(",") if item.strip()]
    for item in items:
        if any(character.isspace() for character in item):
            raise _refused(name, value or default, f"separate the items with commas (“{item}” has a space in it)")
    return items
