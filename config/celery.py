import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("minereg")


@setup_logging.connect
def use_django_logging(**kwargs):
    """Workers and beat log like the web (JSON in production) instead of Celery's own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
