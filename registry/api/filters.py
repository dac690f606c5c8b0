"""Query filters and ordering of the read endpoints.

A malformed value (a date that is not a date, an unknown choice, a BIN that
is not 12 digits, an ordering field the endpoint does not offer) answers 400
naming the parameter; nothing is silently ignored.
"""

import datetime as dt
import re
from decimal import Decimal

import django_filters as df
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.drainage import set_override
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

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
    licence_in_force,
)
from registry.selectors.legal_status import LegalStatus, facility_conditions, firm_conditions, with_status

from .scoping import Scope, reader_scope

BIN_PATTERN = r"^[0-9]{12}$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=a,-b` over the fields a view lists in `ordering_fields`; an unknown field answers 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param, "")
        fields = list(self._requested(params, queryset, view, request) if params else self.get_default_ordering(view))
        # Ties are broken by id, so that pages never overlap or skip a row.
        if not {"pk", "-pk", "id", "-id"} & set(fields):
            fields.append("-pk" if fields[0].startswith("-") else "pk")
        return fields

    def _requested(self, params, queryset, view, request):
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        fields = params.split(",")
        unknown = [f for f in fields if f.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Unknown ordering field “%(field)s”; choose from: %(valid)s (prefix - for descending).")
                        % {"field": unknown[0], "valid": ", ".join(valid)}
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view):
        fields = [name if isinstance(name, str) else name[0] for name in view.ordering_fields]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _("Order by a field, descending with a leading -; several fields separated by commas."),
                "schema": {"type": "string", "enum": [p + f for f in fields for p in ("", "-")]},
                "allowEmptyValue": True,
            }
        ]


class Documented:
    """A filter whose OpenAPI schema is given (`schema`), with its label as the description."""

    schema: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        description = {"description": str(self.label)} if self.label else {}
        set_override(self, "field", {**self.schema, **description})


class BinField(forms.CharField):
    default_validators = [RegexValidator(r"\A[0-9]{12}\Z", gettext_lazy("Enter a BIN of 12 digits."))]

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)


class BinFilter(Documented, df.CharFilter):
    field_class = BinField
    schema = {"type": "string", "pattern": BIN_PATTERN}


class StrictField(forms.Field):
    """A query value written exactly as the schema says (`pattern`), converted by `convert`.

    Django's form fields are lenient in ways an API should not be: they strip
    spaces, take "5.0" for 5, dates in the active language's formats, and
    instants without an offset. Here anything but the documented form is 400.
    """

    pattern = r""
    default_error_messages = {"invalid": gettext_lazy("Enter a valid value.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return self.convert(value)
        except (ValueError, OverflowError, ArithmeticError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def convert(self, value: str):
        return value


class MonthField(StrictField):
    """A month written YYYY-MM, cleaned to its first day."""

    pattern = MONTH_PATTERN[1:-1]
    default_error_messages = {"invalid": gettext_lazy("Enter a month as YYYY-MM.")}

    def convert(self, value: str) -> dt.date:
        return dt.date.fromisoformat(f"{value}-01")


class StrictBooleanField(StrictField):
    pattern = r"true|false"
    default_error_messages = {"invalid": gettext_lazy("Enter true or false.")}

    def convert(self, value: str) -> bool:
        return value == "true"


class IdField(StrictField):
    pattern = r"[1-9][0-9]{0,18}"
    default_error_messages = {"invalid": gettext_lazy("Enter an id: a whole number from 1.")}

    def convert(self, value: str) -> int:
        return int(value)


class DecimalNumberField(StrictField):
    pattern = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
    default_error_messages = {"invalid": gettext_lazy("Enter a number, such as 12.5.")}

    def convert(self, value: str) -> Decimal:
        number = Decimal(value)
        if abs(number.adjusted()) > 30:
            raise ValueError(value)
        return number


class ISODateField(StrictField):
    pattern = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    default_error_messages = {"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")}

    def convert(self, value: str) -> dt.date:
        return dt.date.fromisoformat(value)


class InstantField(StrictField):
    """An RFC 3339 instant (with its offset), turned to UTC: PostgreSQL refuses offsets beyond ±15:59."""

    pattern = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
    default_error_messages = {"invalid": gettext_lazy("Enter an instant as YYYY-MM-DDThh:mm:ssZ or with an offset.")}

    def convert(self, value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


class MonthFilter(Documented, df.Filter):
    field_class = MonthField
    schema = {"type": "string", "pattern": MONTH_PATTERN}


class StrictBooleanFilter(Documented, df.Filter):
    field_class = StrictBooleanField
    schema = {"type": "boolean"}


class IdFilter(Documented, df.Filter):
    field_class = IdField
    schema = {"type": "integer", "minimum": 1}


class NumberFilter(Documented, df.Filter):
    field_class = DecimalNumberField
    schema = {"type": "number"}


class DateFilter(Documented, df.Filter):
    field_class = ISODateField
    schema = {"type": "string", "format": "date"}


class InstantFilter(Documented, df.Filter):
    field_class = InstantField
    schema = {"type": "string", "format": "date-time"}


class _OptionalChoicesField(df.fields.MultipleChoiceField):
    def to_python(self, value):
        # `?region=` means no filter, as an empty value does for every other parameter.
        return [v for v in super().to_python(value) if v != ""]


class AnyOfFilter(df.MultipleChoiceFilter):
    """One or more choices (`?status=a&status=b`), matching any of them."""

    field_class = _OptionalChoicesField


def date_range(field: str, verbose) -> tuple[DateFilter, DateFilter]:
    """`<field>_after` and `<field>_before`, both inclusive."""
    return (
        DateFilter(
            field_name=field,
            lookup_expr="gte",
            label=format_lazy(gettext_lazy("{field} on or after (YYYY-MM-DD)"), field=verbose),
        ),
        DateFilter(
            field_name=field,
            lookup_expr="lte",
            label=format_lazy(gettext_lazy("{field} on or before (YYYY-MM-DD)"), field=verbose),
        ),
    )


def instant_range(field: str, verbose) -> tuple[InstantFilter, InstantFilter]:
    """`<field>_after` (inclusive) and `<field>_before` (exclusive)."""
    return (
        InstantFilter(
            field_name=field,
            lookup_expr="gte",
            label=format_lazy(gettext_lazy("{field} at or after (RFC 3339)"), field=verbose),
        ),
        InstantFilter(
            field_name=field,
            lookup_expr="lt",
            label=format_lazy(gettext_lazy("{field} before (RFC 3339)"), field=verbose),
        ),
    )


def regions(field: str = "region") -> AnyOfFilter:
    return AnyOfFilter(field_name=field, choices=Region.choices, label=gettext_lazy("Region (repeat for several)"))


class StaffFilterSet(df.FilterSet):
    """A filter set some of whose filters only staff may use (they would tell a firm about flags)."""

    staff_only: tuple[str, ...] = ()

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if reader_scope(user=user, model=self._meta.model) is not Scope.ALL:
            for name in self.staff_only:
                self.filters.pop(name, None)


class FirmFilter(StaffFilterSet):
    bin = BinFilter(label=gettext_lazy("BIN"))
    name = df.CharFilter(lookup_expr="icontains", label=gettext_lazy("Name contains"))
    region = regions()
    origin = df.ChoiceFilter(choices=Firm.Origin.choices)
    verification = df.ChoiceFilter(choices=Firm.Verification.choices)
    legal_status = df.ChoiceFilter(
        choices=LegalStatus.choices, method="filter_legal_status", label=gettext_lazy("Legal status (staff)")
    )
    staff_only = ("legal_status",)

    class Meta:
        model = Firm
        fields: list = []

    def filter_legal_status(self, queryset, name, value):
        return with_status(queryset, firm_conditions(), value)


class FacilityFilter(StaffFilterSet):
    ref = df.CharFilter(label=gettext_lazy("Facility reference"))
    firm = IdFilter(field_name="firm_id", label=gettext_lazy("Firm id"))
    firm_bin = BinFilter(field_name="firm__bin", label=gettext_lazy("Firm BIN"))
    region = regions()
    meter_id = df.CharFilter(method="filter_meter_id", label=gettext_lazy("A meter id of its grid connections"))
    capacity_mw_min = NumberFilter(
        field_name="capacity_mw", lookup_expr="gte", label=gettext_lazy("Capacity at least, MW")
    )
    capacity_mw_max = NumberFilter(
        field_name="capacity_mw", lookup_expr="lte", label=gettext_lazy("Capacity at most, MW")
    )
    created_after, created_before = instant_range("created_at", gettext_lazy("Created"))
    legal_status = df.ChoiceFilter(
        choices=LegalStatus.choices, method="filter_legal_status", label=gettext_lazy("Legal status (staff)")
    )
    staff_only = ("legal_status",)

    class Meta:
        model = Facility
        fields: list = []

    def filter_meter_id(self, queryset, name, value):
        return queryset.filter(
            pk__in=Facility.connections.through.objects.filter(connection__meter_id=value).values("facility_id")
        )

    def filter_legal_status(self, queryset, name, value):
        return with_status(queryset, facility_conditions(), value)


class ConnectionFilter(df.FilterSet):
    meter_id = df.CharFilter(label=gettext_lazy("Meter id"))
    operator = df.CharFilter(label=gettext_lazy("Grid operator"))
    consumer_bin = BinFilter(label=gettext_lazy("Consumer BIN/IIN"))
    region = regions()
    tariff = AnyOfFilter(choices=GridConnection.Tariff.choices, label=gettext_lazy("Tariff (repeat for several)"))
    parent_meter_id = df.CharFilter(
        field_name="parent__meter_id", label=gettext_lazy("Fed by the meter with this id (its upstream meter)")
    )

    class Meta:
        model = GridConnection
        fields: list = []


class LicenceFilter(df.FilterSet):
    number = df.CharFilter(label=gettext_lazy("Licence number"))
    firm = IdFilter(field_name="firm_id", label=gettext_lazy("Firm id"))
    firm_bin = BinFilter(field_name="firm__bin", label=gettext_lazy("Firm BIN"))
    facility_ref = df.CharFilter(
        method="filter_facility_ref", label=gettext_lazy("Covers the facility with this reference")
    )
    region = AnyOfFilter(
        choices=Region.choices,
        method="filter_region",
        label=gettext_lazy("Covers a facility in this region (repeat for several)"),
    )
    status = AnyOfFilter(choices=Licence.Status.choices, label=gettext_lazy("Status (repeat for several)"))
    subtype = df.ChoiceFilter(choices=Licence.Subtype.choices)
    in_force_on = DateFilter(method="filter_in_force_on", label=gettext_lazy("In force on this date (YYYY-MM-DD)"))
    valid_from_after, valid_from_before = date_range("valid_from", gettext_lazy("Valid from"))
    valid_until_after, valid_until_before = date_range("valid_until", gettext_lazy("Valid until"))

    class Meta:
        model = Licence
        fields: list = []

    def filter_facility_ref(self, queryset, name, value):
        return queryset.filter(
            pk__in=Licence.facilities.through.objects.filter(facility__ref=value).values("licence_id")
        )

    def filter_region(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            pk__in=Licence.facilities.through.objects.filter(facility__region__in=value).values("licence_id")
        )

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(licence_in_force(value))


class DeclarationFilter(df.FilterSet):
    facility = IdFilter(field_name="facility_id", label=gettext_lazy("Facility id"))
    facility_ref = df.CharFilter(field_name="facility__ref", label=gettext_lazy("Facility reference"))
    firm_bin = BinFilter(field_name="facility__firm__bin", label=gettext_lazy("Firm BIN"))
    region = regions("facility__region")
    month = MonthFilter(field_name="month", label=gettext_lazy("Month (YYYY-MM)"))
    month_after = MonthFilter(field_name="month", lookup_expr="gte", label=gettext_lazy("Month on or after (YYYY-MM)"))
    month_before = MonthFilter(
        field_name="month", lookup_expr="lte", label=gettext_lazy("Month on or before (YYYY-MM)")
    )
    power_source = df.ChoiceFilter(choices=PowerDeclaration.PowerSource.choices)
    review = df.ChoiceFilter(choices=PowerDeclaration.Review.choices)
    is_current = StrictBooleanFilter(
        label=gettext_lazy("Only the filing in force (true) or only superseded ones (false)")
    )
    filed_after, filed_before = instant_range("filed_at", gettext_lazy("Filed"))

    class Meta:
        model = PowerDeclaration
        fields: list = []


class FlagFilter(df.FilterSet):
    rule = AnyOfFilter(choices=Flag.Rule.choices, label=gettext_lazy("Rule (repeat for several)"))
    severity = AnyOfFilter(choices=Flag.Severity.choices, label=gettext_lazy("Severity (repeat for several)"))
    status = AnyOfFilter(choices=Flag.Status.choices, label=gettext_lazy("Status (repeat for several)"))
    subject_type = df.ChoiceFilter(choices=Flag.SubjectType.choices)
    subject_ref = df.CharFilter(label=gettext_lazy("Subject: meter id, facility reference, licence number or BIN"))
    region = regions("subject_region")
    firm_bin = BinFilter(method="filter_firm_bin", label=gettext_lazy("About the firm (or consumer) with this BIN"))
    facility_ref = df.CharFilter(field_name="facility__ref", label=gettext_lazy("Facility reference"))
    meter_id = df.CharFilter(field_name="connection__meter_id", label=gettext_lazy("Meter id"))
    licence_number = df.CharFilter(field_name="licence__number", label=gettext_lazy("Licence number"))
    month = MonthFilter(field_name="month", label=gettext_lazy("Month (YYYY-MM)"))
    created_after, created_before = instant_range("created_at", gettext_lazy("Created"))
    updated_after, updated_before = instant_range("updated_at", gettext_lazy("Updated"))

    class Meta:
        model = Flag
        fields: list = []

    def filter_firm_bin(self, queryset, name, value):
        return queryset.filter(
            Q(firm__bin=value)
            | Q(facility__firm__bin=value)
            | Q(licence__firm__bin=value)
            | Q(connection__consumer_bin=value)
        )


class InspectionFilter(df.FilterSet):
    outcome = df.ChoiceFilter(choices=Inspection.Outcome.choices)
    date_after, date_before = date_range("date", gettext_lazy("Date"))
    region = regions("site_region")
    firm_bin = BinFilter(method="filter_firm_bin", label=gettext_lazy("Operator BIN"))
    facility_ref = df.CharFilter(field_name="facility__ref", label=gettext_lazy("Facility reference"))
    meter_id = df.CharFilter(field_name="connection__meter_id", label=gettext_lazy("Meter id"))
    flag = IdFilter(field_name="flag_id", label=gettext_lazy("Flag id"))

    class Meta:
        model = Inspection
        fields: list = []

    def filter_firm_bin(self, queryset, name, value):
        return queryset.filter(Q(firm__bin=value) | Q(facility__firm__bin=value))


class EnforcementActionFilter(df.FilterSet):
    action = AnyOfFilter(choices=EnforcementAction.Action.choices, label=gettext_lazy("Action (repeat for several)"))
    region = regions()
    date_after, date_before = date_range("date", gettext_lazy("Date"))
    firm_bin = BinFilter(field_name="firm__bin", label=gettext_lazy("Operator BIN"))
    facility_ref = df.CharFilter(field_name="facility__ref", label=gettext_lazy("Facility reference"))
    meter_id = df.CharFilter(field_name="connection__meter_id", label=gettext_lazy("Meter id"))
    case_number = df.CharFilter(label=gettext_lazy("Criminal case number"))

    class Meta:
        model = EnforcementAction
        fields: list = []
