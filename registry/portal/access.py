"""Who may use the portal, and the one firm every portal query is scoped to."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from registry.models import Firm


class FirmUserMixin(LoginRequiredMixin):
    """A portal page: a logged-in user of exactly one firm; staff use the admin instead."""

    requires_verified_firm = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.is_staff:
            messages.info(request, _("Staff accounts work in the regulator's workspace, not the firm portal."))
            return redirect("admin:index")
        membership = getattr(request.user, "firm_membership", None)
        if membership is None:
            raise PermissionDenied(_("This account is not linked to a firm."))
        self.firm: Firm = membership.firm
        if self.requires_verified_firm and self.firm.verification != Firm.Verification.VERIFIED:
            messages.warning(
                request, _("Your firm is waiting for verification by the regulator; you can file once it is verified.")
            )
            return redirect("portal:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["firm"] = self.firm
        return context
