"""The Django app `registry`."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Mining registry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from registry.staff import signals  # noqa: F401  (connects the staff session start)
