"""minereg settings, driven by environment variables.

With no configuration at all the project runs: DATABASE_URL unset starts the
embedded PostgreSQL under .data/, REDIS_URL unset runs Celery tasks in-process.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

# DEPLOYMENT=production (the Docker image and .env.example set it) demands a real secret, turns on
# every HTTPS protection and JSON logs; development (the default) is a development or test machine.
PRODUCTION = env_choice("DEPLOYMENT", "development", ("production", "development")) == "production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("change-me", "django-insecure"))):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of 50 or more characters when "
        "DEPLOYMENT=production (see .env.example)."
    )
if not SECRET_KEY:
    # Development only: `check --deploy` rejects it (security.W009).
    SECRET_KEY = "django-insecure-development-only-set-SECRET_KEY"  # nosec B105  # refused in production
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DEPLOYMENT=production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS: on by default in production. The probes answer plain HTTP for the orchestrator.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# Allows (does not itself make) a submission to the browsers' HSTS preload list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and only then).
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content security policy: scripts, styles, fonts and images from this site only (no CDN anywhere).
# Inline style attributes are allowed (Django's admin uses them); inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of minereg uses.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

INSTALLED_APPS = [
    "registry.staff.admin_site.RegistryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Production serves its collected static files itself (runserver does it in development).
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff: a second factor before anything else, and sessions that expire (registry/staff/).
    "registry.staff.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Attaches the request's user and URL to every audit row the request writes.
    "pghistory.middleware.HistoryMiddleware",
    # Login lockout (django-axes) must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL always.
DATA_DIR = Path(os.environ.get("MINEREG_DATA_DIR", BASE_DIR / ".data"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
    # An unreachable server (not one that refuses) must not hold a request or a probe for minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
else:
    from config.embedded_postgres import database_settings

    DATABASES = {"default": database_settings(DATA_DIR)}
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username + IP before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout: 5 failures for the same username from the same IP lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no "AXES: BEGIN version …" banner above every manage.py command
AXES_LOCKOUT_CALLABLE = "registry.staff.views.locked_out"
# How many proxies of ours in front of gunicorn append to X-Forwarded-For (0: the socket's address is the client).
CLIENT_IP_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "registry.staff.client_ip.client_ip"

# Staff sessions end after 30 idle minutes and at most 10 hours after login; a second factor
# (TOTP) is required before any staff page. Firm users keep Django's default session.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 10 * 3600)
OTP_TOTP_ISSUER = "minereg"
# The admin's TOTP device pages never show a key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: stored in UTC, shown in Almaty time by default.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# The project's catalogues, then the Django admin strings that Django's own Kazakh catalogue lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "config" / "locale_upstream"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Licence documents live outside the web root; only a permission-checked view serves them.
DOCUMENTS_ROOT = Path(os.environ.get("DOCUMENTS_ROOT", DATA_DIR / "documents"))
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files collected at start (whitenoise, far-future caching).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DOCUMENTS_ROOT), "base_url": None},
    },
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/portal/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.NonStaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["registry.api.throttling.AnonThrottle", "registry.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_RATE_ANON", "60/min"),
        "user": os.environ.get("API_RATE_USER", "600/min"),
        "public": os.environ.get("API_RATE_PUBLIC", "120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "minereg API",
    "DESCRIPTION": "The digital-mining registry: readings from grid operators, registry data for staff and firms, "
    "and the public register.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Operations are grouped by their first path segment after /api/v1/ (firms, flags, readings …).
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {"RegionEnum": "registry.models.common.Region.choices"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.allow_empty_query_values",
    ],
}
# Largest readings upload the API accepts in one request (CSV or JSON body).
READINGS_API_MAX_BYTES = env_int("READINGS_API_MAX_BYTES", 200 * 1024 * 1024)
# Months of readings kept in the database (docs/rules.md, "Readings by month"); older months go to compressed
# archives in READINGS_ARCHIVE_DIR. 0 keeps every month.
READINGS_RETENTION_MONTHS = env_int("READINGS_RETENTION_MONTHS", 36)
READINGS_ARCHIVE_DIR = Path(os.environ.get("READINGS_ARCHIVE_DIR", DATA_DIR / "archive"))

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# A task that cannot reach the broker waits in the outbox (registry/services/outbox.py): fail fast.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A task whose worker died (acks_late) is handed out again after this long: longer than any task runs and
    # than the longest retry countdown (retry_backoff_max, 600 s), or a running task would be handed out twice.
    "visibility_timeout": 900,
    # Look for such tasks every 10 s (kombu's default looks every 100 s).
    "unacked_restore_throttle": 1,
}

# Redis caches for every process when there is one; otherwise each process has its own memory cache.
# With Redis down the cache answers misses instead of errors, so pages keep working.
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "minereg@localhost")

# One JSON object per line in production (LOG_FORMAT=json), for the log collector; plain text otherwise.
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

CELERY_BEAT_SCHEDULE = {
    "detection-daily": {"task": "registry.tasks.run_scheduled_detection", "schedule": crontab(hour=2, minute=0)},
    # Licence days are registry-zone days (registry/clock.py), and beat's crontab runs in that zone
    # (CELERY_TIMEZONE): 5 minutes into the day the last valid day has ended.
    "licences-expire-daily": {"task": "registry.tasks.expire_licences", "schedule": crontab(hour=0, minute=5)},
    "reminders-daily": {"task": "registry.tasks.send_reminders", "schedule": crontab(hour=9, minute=0)},
    # Partitions for the months ahead, and months past retention to their archives (docs/rules.md).
    "readings-monthly": {
        "task": "registry.tasks.readings_monthly",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # Tasks saved while the broker was unreachable go out as soon as it is back; a flush nobody ran expires.
    "outbox-flush": {"task": "registry.tasks.flush_outbox", "schedule": 30.0, "options": {"expires": 25}},
}
