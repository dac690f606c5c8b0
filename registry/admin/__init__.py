"""The regulator's workspace: one module per part of the domain."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import audit, declarations, detection, facilities, firms, grid, licences, outbox, oversight  # noqa: F401  (registers)

admin.site.site_header = _("minereg — digital mining registry")
admin.site.site_title = _("minereg")
admin.site.index_title = _("Registry")
