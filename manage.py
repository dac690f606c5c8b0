#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    activate_terminal_language(sys.argv)
    execute_from_command_line(sys.argv)


def activate_terminal_language(argv):
    """Speak the terminal's language (config/terminal_language.py); settings errors are left for Django to report."""
    import django
    from django.conf import settings
    from django.core.management.base import CommandParser, handle_default_options
    from django.utils import translation

    from config.terminal_language import terminal_language

    # As execute_from_command_line does before it sets Django up: --settings and --pythonpath come first.
    parser = CommandParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--settings")
    parser.add_argument("--pythonpath")
    try:
        options, _rest = parser.parse_known_args(argv[2:])
        handle_default_options(options)
        django.setup()
    except Exception:  # noqa: BLE001  (execute_from_command_line reports it, as it would without this step)
        return
    translation.activate(terminal_language(os.environ, (code for code, _name in settings.LANGUAGES)))


if __name__ == "__main__":
    main()
