"""Links from a site's page to record an inspection or an enforcement action about it."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _


def record_links(*, facility=None, connection=None, firm=None, flag=None):
    params = {}
    if flag is not None:
        params["flag"] = flag.pk
        facility, connection, firm = flag.facility, flag.connection, flag.firm
    if facility is not None:
        params["facility"] = facility.pk
        firm = firm or facility.firm
    elif connection is not None:
        params["connection"] = connection.pk
    if firm is not None:
        params["firm"] = firm.pk
    inspection = reverse("admin:registry_inspection_add") + "?" + urlencode(params)
    enforcement = (
        reverse("admin:registry_enforcementaction_add")
        + "?"
        + urlencode({key: value for key, value in params.items() if key != "flag"})
    )
    return format_html(
        '<span class="site-actions"><a href="{}">{}</a> <a href="{}">{}</a></span>',
        inspection,
        _("Record an inspection"),
        enforcement,
        _("Record an enforcement action"),
    )
