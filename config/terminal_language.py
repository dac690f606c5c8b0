"""The language `manage.py` speaks: the terminal's, as gettext picks it, not the site's default (LANGUAGE_CODE).

A newcomer reading the README in English on an English terminal sees English; a Russian or Kazakh terminal
sees Russian or Kazakh. As in gettext, the C or POSIX locale, no locale at all, and a language the registry
does not speak all mean the untranslated messages, English. Web pages keep following the browser.
"""

from collections.abc import Iterable, Mapping

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
UNTRANSLATED = "en"


def terminal_language(environ: Mapping[str, str], languages: Iterable[str]) -> str:
    """The registry language for the locale variables in `environ` (gettext's order: LANGUAGE, then the locale)."""
    offered = set(languages)
    locale = next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), "")
    if _language(locale) in {"", "c", "posix"}:
        return UNTRANSLATED
    # gettext reads LANGUAGE, a list of preferences, only when the locale is not C.
    for preference in [*environ.get("LANGUAGE", "").split(":"), locale]:
        if _language(preference) in offered:
            return _language(preference)
    return UNTRANSLATED


def _language(locale: str) -> str:
    """`ru_RU.UTF-8@euro` -> `ru`; `kk_KZ` -> `kk`; `C.UTF-8` -> `c`."""
    return locale.split(".")[0].split("@")[0].split("_")[0].split("-")[0].strip().lower()
