from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class NonStaffTokenAuthentication(TokenAuthentication):
    """API tokens are for grid operators' feeds and firms' integrations.

    Staff read the API with their session, which passed the second factor; a
    token issued to a staff account by mistake is refused, not honoured.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.is_staff or user.is_superuser:
            raise AuthenticationFailed(_("Staff accounts cannot use API tokens: log in, with your second factor."))
        return user, token
