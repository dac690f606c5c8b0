"""Links from a site's page to record an inspection or an enforcement action about it, for those who may."""

from contextvars import ContextVar
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

# The user whose change page is being drawn. An admin display function gets only the object, yet a link the
# user may not follow must not be offered; RegistryAdmin.changeform_view (base.py) sets it for its page.
viewer: ContextVar = ContextVar("record_links_viewer", default=None)


def record_links(*, facility=None, connection=None, firm=None, flag=None, user=None):
    """Links to record an inspection or an enforcement action about the site, each only for a user who may add one.

    `user` defaults to the viewer of the change page being drawn; with no user known, no link is offered.
    """
    user = user or viewer.get()
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
    links = []
    if user is not None and user.has_perm("registry.add_inspection"):
        links.append((reverse("admin:registry_inspection_add") + "?" + urlencode(params), _("Record an inspection")))
    if user is not None and user.has_perm("registry.add_enforcementaction"):
        site = urlencode({key: value for key, value in params.items() if key != "flag"})
        links.append((reverse("admin:registry_enforcementaction_add") + "?" + site, _("Record an enforcement action")))
    if not links:
        return "—"
    return format_html('<span class="site-actions">{}</span>', format_html_join(" ", '<a href="{}">{}</a>', links))
