"""/api/v1/public/: the public register as JSON. Read-only, no login, paginated, throttled per address."""

from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from registry.api.pagination import PagePagination
from registry.selectors import public

from .serializers import LicenceSerializer, SearchParams, WarningSerializer
from .views import CACHE_SECONDS, today


class PublicRateThrottle(AnonRateThrottle):
    """Per client address; generous enough for people and scripts that page through the register.

    The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"] when the
    settings name one (read per request, so settings overrides apply), else
    DEFAULT_RATE.
    """

    scope = "public"
    DEFAULT_RATE = "120/minute"

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates[self.scope] if self.scope in rates else self.DEFAULT_RATE


class PublicListView(ListAPIView):
    authentication_classes: list = []  # the same answer for everyone; a stale token must not turn it into a 401
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    pagination_class = PagePagination  # the API's: a bad page or page size answers 400 naming it
    renderer_classes = [JSONRenderer]

    def search(self) -> dict:
        params = SearchParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return {"q": params.validated_data.get("q", ""), "region": params.validated_data.get("region", "")}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            patch_vary_headers(response, ["Accept"])
        return response


ERRORS = {
    400: OpenApiResponse(
        description=_(
            "A parameter is malformed: an unknown region code, an over-long q, "
            "a page or page size that is not a whole number in range."
        )
    ),
    429: OpenApiResponse(description=_("Too many requests from this address; retry after the Retry-After seconds.")),
}


@extend_schema(
    summary=_("Licences in force today"),
    description=_("One entry per licence in force (status active, valid_from ≤ today ≤ valid_until), by firm name."),
    parameters=[SearchParams],
    responses={200: LicenceSerializer(many=True), **ERRORS},
    tags=["public register"],
)
class LicensedListView(PublicListView):
    serializer_class = LicenceSerializer

    def get_queryset(self):
        return public.licences_in_force(today=today(), **self.search())


@extend_schema(
    summary=_("The warning list"),
    description=_("Operators confirmed to have mined illegally, one entry per operator, the latest action first."),
    parameters=[SearchParams],
    responses={200: WarningSerializer(many=True), **ERRORS},
    tags=["public register"],
)
class WarningListView(PublicListView):
    serializer_class = WarningSerializer

    def get_queryset(self):
        return public.warning_list(**self.search())
