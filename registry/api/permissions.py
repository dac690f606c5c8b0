from rest_framework.permissions import BasePermission


class IsGridOperator(BasePermission):
    """A grid company's system account (it may push readings and nothing else)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "grid_operator"))
