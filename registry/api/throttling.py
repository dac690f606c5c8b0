"""Request rates per anonymous client and per account (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES).

DRF's own classes copy the rates once, at import; these read them on every
request, so a settings change (a test's override, for one) takes effect.
A rate of None turns the throttle off.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _CurrentRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_CurrentRate, AnonRateThrottle):
    """Per client address, for requests without a token or session."""


class UserThrottle(_CurrentRate, UserRateThrottle):
    """Per account, for requests with a token or session."""
