"""Read-only representations of registry rows; related rows appear by their natural keys.

Instants are written in UTC (`Z`), months as YYYY-MM, amounts as decimal
strings with their unit in the field name.
"""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from registry import clock
from registry.models import (
    EnforcementAction,
    Facility,
    Firm,
    Flag,
    GridConnection,
    Inspection,
    Licence,
    PowerDeclaration,
    Region,
)
from registry.selectors.legal_status import LegalStatus

from .filters import MONTH_PATTERN


class UTCDateTimeField(serializers.DateTimeField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-10"})
class MonthField(serializers.Field):
    def to_representation(self, value):
        return value.strftime("%Y-%m")


class LegalStatusField(serializers.ChoiceField):
    """Shown to staff only: it would tell a firm that its site is under suspicion (null for firm users)."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[*LegalStatus.choices, ("", "no status")],
            read_only=True,
            allow_null=True,
            allow_blank=True,
            help_text=gettext_lazy('Legal status; "" when none applies. Null for firm users (staff only).'),
            **kwargs,
        )


class RegistrySerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


def ref(source: str, **kwargs) -> serializers.CharField:
    """A related row's natural key (null when there is no such row)."""
    return serializers.CharField(source=source, read_only=True, allow_null=True, **kwargs)


@extend_schema_serializer(component_name="FirmRecord")
class FirmSerializer(RegistrySerializer):
    # Not format "email": it is "" when the firm gave none.
    email = serializers.CharField(read_only=True, help_text=gettext_lazy('Contact e-mail, "" when none was given.'))
    legal_status = LegalStatusField()

    class Meta:
        model = Firm
        fields = [
            "id",
            "bin",
            "name",
            "region",
            "address",
            "email",
            "phone",
            "contact_person",
            "origin",
            "verification",
            "legal_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="FacilityRecord")
class FacilitySerializer(RegistrySerializer):
    firm_bin = ref("firm.bin")
    meter_ids = serializers.SlugRelatedField(
        source="connections",
        slug_field="meter_id",
        many=True,
        read_only=True,
        help_text=gettext_lazy("Meter ids of its grid connections."),
    )
    legal_status = LegalStatusField()

    class Meta:
        model = Facility
        fields = [
            "id",
            "ref",
            "firm",
            "firm_bin",
            "name",
            "region",
            "address",
            "latitude",
            "longitude",
            "capacity_mw",
            "devices",
            "meter_ids",
            "unverified_meter_ids",
            "legal_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="ConnectionRecord")
class GridConnectionSerializer(RegistrySerializer):
    parent_meter_id = ref(
        "parent.meter_id",
        help_text=gettext_lazy("Meter id of the meter upstream (a transformer or feeder head); null when none."),
    )

    class Meta:
        model = GridConnection
        fields = [
            "id",
            "meter_id",
            "operator",
            "consumer_name",
            "consumer_bin",
            "region",
            "address",
            "tariff",
            "contracted_mw",
            "parent_meter_id",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="LicenceRecord")
class LicenceSerializer(RegistrySerializer):
    firm_bin = ref("firm.bin")
    facility_refs = serializers.SlugRelatedField(
        source="facilities",
        slug_field="ref",
        many=True,
        read_only=True,
        help_text=gettext_lazy("The facilities it covers."),
    )
    in_force = serializers.SerializerMethodField(
        help_text=gettext_lazy("In force today (registry time zone): active and within its dates.")
    )

    class Meta:
        model = Licence
        fields = [
            "id",
            "number",
            "firm",
            "firm_bin",
            "facility_refs",
            "capacity_mw",
            "subtype",
            "status",
            "valid_from",
            "valid_until",
            "suspended_until",
            "status_reason",
            "in_force",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_in_force(self, licence: Licence) -> bool:
        return licence.is_in_force(clock.today())


@extend_schema_serializer(component_name="DeclarationRecord")
class DeclarationSerializer(RegistrySerializer):
    facility_ref = ref("facility.ref")
    firm_bin = ref("facility.firm.bin")
    month = MonthField(read_only=True)

    class Meta:
        model = PowerDeclaration
        fields = [
            "id",
            "facility",
            "facility_ref",
            "firm_bin",
            "month",
            "consumed_mwh",
            "peak_mw",
            "devices",
            "power_source",
            "is_current",
            "supersedes",
            "review",
            "question",
            "answer",
            "filed_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="FlagRecord")
class FlagSerializer(RegistrySerializer):
    region = serializers.ChoiceField(
        source="subject_region",
        choices=Region.choices,
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The region of the flag's subject."),
    )
    meter_id = ref("connection.meter_id")
    facility_ref = ref("facility.ref")
    licence_number = ref("licence.number")
    firm_bin = ref("firm.bin")
    month = MonthField(read_only=True, allow_null=True)
    assigned_to = ref("assigned_to.username", help_text=gettext_lazy("User name of the regulator handling it."))

    class Meta:
        model = Flag
        fields = [
            "id",
            "rule",
            "severity",
            "status",
            "subject_type",
            "subject_ref",
            "region",
            "meter_id",
            "facility_ref",
            "licence_number",
            "firm_bin",
            "month",
            "window_start",
            "window_end",
            "evidence",
            "assigned_to",
            "decision_reason",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="InspectionRecord")
class InspectionSerializer(RegistrySerializer):
    facility_ref = ref("facility.ref")
    meter_id = ref("connection.meter_id")
    firm_bin = ref("firm.bin", help_text=gettext_lazy("The operator found at the site, when identified."))
    inspectors = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "date",
            "facility",
            "facility_ref",
            "connection",
            "meter_id",
            "firm",
            "firm_bin",
            "flag",
            "inspectors",
            "findings",
            "devices_found",
            "outcome",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="EnforcementActionRecord")
class EnforcementActionSerializer(RegistrySerializer):
    firm_bin = ref("firm.bin")
    firm_name = ref("firm.name")
    facility_ref = ref("facility.ref")
    meter_id = ref("connection.meter_id")
    licence_number = ref("licence.number")

    class Meta:
        model = EnforcementAction
        fields = [
            "id",
            "action",
            "firm",
            "firm_bin",
            "firm_name",
            "facility",
            "facility_ref",
            "connection",
            "meter_id",
            "inspection",
            "licence",
            "licence_number",
            "region",
            "date",
            "devices",
            "value_usd",
            "case_number",
            "fine_kzt",
            "notes",
            "created_at",
        ]
        read_only_fields = fields
