"""Gunicorn settings for minereg: `gunicorn --config config/gunicorn.py config.wsgi`.

Every value can be changed from the environment, so the image and a systemd unit use this one file.
"""

import datetime as dt
import os

from pythonjsonlogger.json import JsonFormatter


def _cores() -> int:
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    return len(os.sched_getaffinity(0))


# Plain HTTP behind the TLS proxy, on every interface of the container (a systemd unit passes
# --bind 127.0.0.1:8000 instead: see the README).
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# Sync workers: each request holds one process, and Django holds one database connection per process.
# 2 × cores + 1, but no more than 8 unless asked: each worker costs about 100 MB.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * _cores() + 1, 8)))
# A readings upload (up to 200 MB, READINGS_API_MAX_BYTES) is imported inside its request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle each worker after about a thousand requests, so that no slow leak grows for days.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 100))
# The workers' heartbeat files in memory: a container's overlay filesystem can stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # nosec B108  # gunicorn uses mkstemp, then unlinks
# Addresses whose X-Forwarded-* headers gunicorn believes (the TLS proxy's); "*" when only the proxy can connect.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No runtime control socket (gunicornc): nothing uses it, and it would need a writable home directory.
control_socket_disable = True


class ServerJsonFormatter(JsonFormatter):
    """JSON lines stamped in UTC with an offset: the master and the workers (after Django sets TZ) agree."""

    def formatTime(self, record, datefmt=None):
        return dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")


class AccessJsonFormatter(ServerJsonFormatter):
    """One JSON object per request, its parts as fields a log collector can filter on."""

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        atoms = record.args  # gunicorn's request atoms (glogging.SafeAtoms), '"' escaped as '\"'
        log_data.update(
            remote_addr=atoms["h"],
            forwarded_for=atoms["{x-forwarded-for}i"],
            method=atoms["m"],
            path=_unescape(atoms["U"]),
            query=_unescape(atoms["q"]),
            status=int(atoms["s"]),
            bytes=atoms["B"],
            duration_ms=round(atoms["D"] / 1000, 1),
            referer=_unescape(atoms["f"]),
            user_agent=_unescape(atoms["a"]),
        )


def _unescape(value):
    return value.replace('\\"', '"') if isinstance(value, str) else value


# JSON lines like the application's own (config/settings.py: LOG_FORMAT, json by default in production).
_JSON = os.environ.get("LOG_FORMAT", "json" if os.environ.get("DEPLOYMENT") == "production" else "text") == "json"
_FIELDS = {
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
if _JSON:
    access_log_format = "%(m)s %(U)s %(s)s"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {"()": AccessJsonFormatter, **_FIELDS} if _JSON else {"format": "%(message)s"},
        "server": {"()": ServerJsonFormatter, **_FIELDS}
        if _JSON
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "stream": "ext://sys.stderr"},
    },
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["server"]},
    "loggers": {
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        "gunicorn.error": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["server"], "propagate": False},
    },
}
