from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .scoping import reader_scope


class IsGridOperator(BasePermission):
    """A grid company's system account (it may push readings and nothing else)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "grid_operator"))


class CanReadRegistry(BasePermission):
    """Staff with the model's view permission, or a firm user for their firm's own rows (see scoping)."""

    message = _("Your account may not read these records.")

    def has_permission(self, request, view):
        if request.user and hasattr(request.user, "grid_operator"):
            self.message = _("A grid operator's account may only push readings.")
        return reader_scope(user=request.user, model=view.model) is not None
