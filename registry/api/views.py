"""Read endpoints of the registry under /api/v1/ (issue #6): thin viewsets over `scoping.readable`.

Staff read every row their group may view; a firm user reads their own
firm, facilities, licences and declarations, and gets 403 on grid connections,
flags, inspections and enforcement actions (docs/rules.md, "Who sees what", lists what a firm may see;
flags and inspection records would tell the subject of an investigation that
it is under one). Another firm's row answers 404, as if it did not exist.
"""

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny

from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    Flag,
    GridConnection,
    Inspection,
    Licence,
    PowerDeclaration,
)
from registry.selectors.legal_status import annotate, facility_conditions, firm_conditions

from . import filters, serializers
from .filters import AnyOfFilter
from .pagination import KeysetPagination, PagePagination
from .permissions import CanReadRegistry
from .scoping import Scope, readable, reader_scope


class ErrorSerializer(drf_serializers.Serializer):
    detail = drf_serializers.CharField()


FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"valid_from_after": ["Enter a valid date."]},
    },
    description=gettext_lazy("A query parameter is malformed: its name, and what is wrong with it."),
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description=gettext_lazy("No valid token or session."))
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=gettext_lazy("The account may not read these records."))
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description=gettext_lazy("No such record, or not one the account may see.")
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description=gettext_lazy("Too many requests; retry after the Retry-After seconds.")
)


def documented(serializer, noun: str, description: str = ""):
    """The OpenAPI description of a read endpoint: its list and detail, and every error they answer."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {noun}",
            description=description,
            responses={200: serializer, 400: FIELD_ERRORS, 401: NOT_AUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED},
        ),
        retrieve=extend_schema(
            summary=f"One of the {noun}",
            responses={
                200: serializer,
                400: FIELD_ERRORS,
                401: NOT_AUTHENTICATED,
                403: FORBIDDEN,
                404: NOT_FOUND,
                429: THROTTLED,
            },
        ),
    )


class RegistryViewSet(viewsets.ReadOnlyModelViewSet):
    model: type
    permission_classes = [CanReadRegistry]
    filter_backends = [DjangoFilterBackend, filters.StrictOrderingFilter]
    pagination_class = PagePagination

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # `?month=2026-09&month=2026-10` is an error, not the last month; only AnyOfFilter takes several values.
        filters_ = self.filterset_class.base_filters
        single = {name for name, f in filters_.items() if not isinstance(f, AnyOfFilter)} | {"ordering"}
        for name, values in request.query_params.lists():
            if len(values) > 1 and name in single:
                raise ValidationError({name: [_("Give this parameter once.")]})

    def get_queryset(self):
        self.scope = reader_scope(user=self.request.user, model=self.model)
        return self.shape(readable(user=self.request.user, model=self.model))

    def shape(self, queryset):
        """Add what the representation needs (joins, annotations) to the rows the caller may read."""
        return queryset

    def with_legal_status(self, queryset, conditions):
        # Staff only: a firm must not learn from it that its site is suspected or under inspection.
        if self.scope is Scope.ALL:
            return annotate(queryset, conditions)
        return queryset.annotate(legal_status=Value(None, output_field=CharField()))


@documented(serializers.FirmSerializer, "firms")
class FirmViewSet(RegistryViewSet):
    model = Firm
    serializer_class = serializers.FirmSerializer
    filterset_class = filters.FirmFilter
    ordering_fields = ["name", "bin", "region", "created_at", "id"]
    ordering = ["name"]

    def shape(self, queryset):
        return self.with_legal_status(queryset, firm_conditions())


@documented(serializers.FacilitySerializer, "facilities")
class FacilityViewSet(RegistryViewSet):
    model = Facility
    serializer_class = serializers.FacilitySerializer
    filterset_class = filters.FacilityFilter
    ordering_fields = ["ref", "name", "region", "capacity_mw", "created_at", "id"]
    ordering = ["ref"]

    def shape(self, queryset):
        queryset = queryset.select_related("firm").prefetch_related("connections")
        return self.with_legal_status(queryset, facility_conditions())


@documented(serializers.GridConnectionSerializer, "grid connections", "Staff only.")
class GridConnectionViewSet(RegistryViewSet):
    model = GridConnection
    serializer_class = serializers.GridConnectionSerializer
    filterset_class = filters.ConnectionFilter
    ordering_fields = ["meter_id", "region", "tariff", "contracted_mw", "id"]
    ordering = ["meter_id"]

    def shape(self, queryset):
        return queryset.select_related("parent")


@documented(serializers.LicenceSerializer, "licences")
class LicenceViewSet(RegistryViewSet):
    model = Licence
    serializer_class = serializers.LicenceSerializer
    filterset_class = filters.LicenceFilter
    ordering_fields = ["number", "valid_from", "valid_until", "capacity_mw", "status", "created_at", "id"]
    ordering = ["-created_at"]

    def shape(self, queryset):
        return queryset.select_related("firm").prefetch_related("facilities")


@documented(
    serializers.DeclarationSerializer,
    "power declarations",
    "Every filing, corrections included: is_current marks the one in force for its facility and month.",
)
class DeclarationViewSet(RegistryViewSet):
    model = PowerDeclaration
    serializer_class = serializers.DeclarationSerializer
    filterset_class = filters.DeclarationFilter
    pagination_class = KeysetPagination
    # Keyset pages need non-null ordering fields.
    ordering_fields = ["month", "facility_ref", "filed_at", "consumed_mwh", "id"]
    ordering = ["-month", "facility_ref"]

    def shape(self, queryset):
        return queryset.select_related("facility__firm").annotate(facility_ref=F("facility__ref"))


@documented(serializers.FlagSerializer, "flags")
class FlagViewSet(RegistryViewSet):
    model = Flag
    serializer_class = serializers.FlagSerializer
    filterset_class = filters.FlagFilter
    pagination_class = KeysetPagination
    ordering_fields = ["created_at", "updated_at", "window_end", "rule", "status", "subject_ref", "id"]
    ordering = ["-created_at"]

    def shape(self, queryset):
        return queryset.select_related("connection", "facility", "licence", "firm", "assigned_to").annotate(
            subject_region=Coalesce("connection__region", "facility__region", "licence__firm__region", "firm__region")
        )


@documented(serializers.InspectionSerializer, "inspections")
class InspectionViewSet(RegistryViewSet):
    model = Inspection
    serializer_class = serializers.InspectionSerializer
    filterset_class = filters.InspectionFilter
    ordering_fields = ["date", "created_at", "id"]
    ordering = ["-date"]

    def shape(self, queryset):
        return (
            queryset.select_related("facility", "connection", "firm")
            .prefetch_related("inspectors")
            .annotate(site_region=Coalesce("facility__region", "connection__region"))
        )


@documented(serializers.EnforcementActionSerializer, "enforcement actions")
class EnforcementActionViewSet(RegistryViewSet):
    model = EnforcementAction
    serializer_class = serializers.EnforcementActionSerializer
    filterset_class = filters.EnforcementActionFilter
    ordering_fields = ["date", "region", "action", "value_usd", "created_at", "id"]
    ordering = ["-date"]

    def shape(self, queryset):
        return queryset.select_related("firm", "facility", "connection", "licence")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def not_found(request):
    raise NotFound()
