"""The public register as JSON: only the fields the law makes public."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from registry.models import Licence, Region
from registry.selectors.public import WarningAction

from .forms import MAX_QUERY


class SearchParams(serializers.Serializer):
    """The query parameters of both lists, as on the web pages."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY,
        help_text=_("A BIN (exact), part of a firm's name (any case) or, for licences, part of a licence number."),
    )
    region = serializers.ChoiceField(
        choices=Region.choices, required=False, allow_blank=True, help_text=_("Only entries in this region.")
    )


class LicenceSerializer(serializers.Serializer):
    firm_name = serializers.CharField(read_only=True)
    bin = serializers.CharField(source="firm_bin", read_only=True)
    licence_number = serializers.CharField(source="number", read_only=True)
    subtype = serializers.ChoiceField(choices=Licence.Subtype.choices, read_only=True)
    regions = serializers.ListField(child=serializers.ChoiceField(choices=Region.choices), read_only=True)
    capacity_mw = serializers.DecimalField(max_digits=10, decimal_places=3, read_only=True)
    valid_from = serializers.DateField(read_only=True)
    valid_until = serializers.DateField(read_only=True)


class WarningSerializer(serializers.Serializer):
    operator_name = serializers.CharField(source="name", read_only=True)
    bin = serializers.CharField(read_only=True)
    regions = serializers.ListField(child=serializers.ChoiceField(choices=Region.choices), read_only=True)
    date = serializers.DateField(
        source="last_date", read_only=True, allow_null=True, help_text=_("The date of the latest action taken.")
    )
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=WarningAction.choices),
        read_only=True,
        help_text=_("What was done, in the order the actions escalate."),
    )
