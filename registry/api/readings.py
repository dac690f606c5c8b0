"""POST /api/v1/readings/: a grid operator pushes hourly readings (JSON list, CSV body or 80020 XML message)."""

import tempfile
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.errors import ImportRejected
from registry.services.readings import ReadingSource, readings_import, xml80020_source

from .permissions import IsGridOperator

_DETAIL = inline_serializer("ReadingsDetail", {"detail": serializers.CharField()})
_ROWS = inline_serializer(
    "ReadingRow",
    {
        "meter_id": serializers.CharField(),
        "period_start": serializers.DateTimeField(help_text=gettext_lazy("On the hour, ISO 8601 with an offset or Z.")),
        "kwh": serializers.DecimalField(
            max_digits=12,
            decimal_places=3,
            min_value=0,
            coerce_to_string=False,
            help_text=gettext_lazy("A number or a decimal string."),
        ),
    },
    many=True,
)
_CSV_BODY = {
    "type": "string",
    "description": "The readings CSV: a header row with meter_id, period_start and kwh, in any order.",
    "example": "meter_id,period_start,kwh\nPV-0001,2026-11-01T00:00:00Z,120.5\n",
}
_XML_BODY = {
    "type": "string",
    "description": (
        "An 80020 XML message (windows-1251 or UTF-8): channel 01 of each measuring point, in the local time of "
        "the grid operator account's time zone, summed into UTC hours."
    ),
    "example": (
        '<?xml version="1.0" encoding="utf-8"?>\n<message class="80020" version="2" number="1">'
        "<datetime><timestamp>20261102013000</timestamp><daylightsavingtime>0</daylightsavingtime>"
        '<day>20261101</day></datetime><area><measuringpoint code="PV-0001" name="ТП-12">'
        '<measuringchannel code="01" desc="Активная энергия, прием">'
        '<period start="0000" end="0030"><value status="0">60.25</value></period>'
        '<period start="0030" end="0100"><value status="0">60.25</value></period>'
        "</measuringchannel></measuringpoint></area></message>"
    ),
}
XML_TYPES = ("application/xml", "text/xml")


class ReadingsView(APIView):
    """Load readings for the caller's meters, all or nothing. Answers the counts, or 400 with every error."""

    permission_classes = [IsGridOperator]
    parser_classes: list = []  # the body is read as it comes, not parsed by DRF

    @extend_schema(
        summary="Push hourly meter readings (grid operator tokens only)",
        description=(
            "A JSON list of readings, a CSV body or an 80020 XML message, for the caller's own meters. All or "
            "nothing: one bad row and nothing is saved. The same meter and hour again with the same value changes "
            "nothing; with another value it replaces the reading and counts as a correction. An 80020 message is "
            "read in the time zone of the caller's grid operator account."
        ),
        request={
            "application/json": _ROWS,
            "text/csv": _CSV_BODY,
            "application/xml": _XML_BODY,
            "text/xml": _XML_BODY,
        },
        responses={
            201: inline_serializer(
                "ReadingsImported",
                {
                    "import": serializers.IntegerField(help_text=gettext_lazy("The id of the import record.")),
                    "rows": serializers.IntegerField(),
                    "inserted": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "corrected": serializers.IntegerField(),
                    "flagged": serializers.IntegerField(
                        required=False,
                        help_text=gettext_lazy(
                            "80020 bodies only: values the metering system marked with a non-zero status."
                        ),
                    ),
                },
            ),
            400: OpenApiResponse(
                inline_serializer(
                    "ReadingsRejected",
                    {
                        "errors": inline_serializer(
                            "ReadingError",
                            {
                                "line": serializers.IntegerField(allow_null=True),
                                "column": serializers.CharField(allow_null=True),
                                "message": serializers.CharField(),
                            },
                            many=True,
                        )
                    },
                ),
                description=gettext_lazy(
                    "Every error found (the first 100), with its line and column; nothing was saved."
                ),
            ),
            401: OpenApiResponse(_DETAIL, description=gettext_lazy("No valid token.")),
            403: OpenApiResponse(_DETAIL, description=gettext_lazy("Not a grid operator's account.")),
            413: OpenApiResponse(_DETAIL, description=gettext_lazy("The body is larger than READINGS_API_MAX_BYTES.")),
            415: OpenApiResponse(
                _DETAIL, description=gettext_lazy("Not application/json, text/csv, application/xml or text/xml.")
            ),
            429: OpenApiResponse(_DETAIL, description=gettext_lazy("Too many requests.")),
        },
        examples=[
            OpenApiExample(
                "JSON list",
                value={"meter_id": "PV-0001", "period_start": "2026-11-01T00:00:00Z", "kwh": "120.5"},
                request_only=True,
                media_type="application/json",
            ),
        ],
    )
    def post(self, request):
        operator = request.user.grid_operator.operator
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/csv", *XML_TYPES):
            return Response(
                {
                    "detail": _(
                        "Send the readings as application/json (a list), text/csv or application/xml (an 80020 "
                        "message)."
                    )
                },
                status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            size = _spool(request._request, spool, settings.READINGS_API_MAX_BYTES)
            if size is None:
                return Response(
                    {
                        "detail": _("The body is larger than %(max)d bytes: send the readings in smaller batches.")
                        % {"max": settings.READINGS_API_MAX_BYTES}
                    },
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                )
            try:
                if content_type == "application/json":
                    source = ReadingSource("request", "json", lambda: _reopen(spool))
                elif content_type in XML_TYPES:
                    zone = zoneinfo.ZoneInfo(request.user.grid_operator.time_zone)
                    source = xml80020_source("request", lambda: _reopen(spool), zone=zone)
                else:
                    source = ReadingSource("request", "csv", lambda: _reopen(spool))
                record = readings_import(
                    sources=[source], label=f"api:{request.user.username}", user=request.user, operator=operator
                )
            except ImportRejected as rejected:
                return Response(
                    {"errors": [{"line": e.line, "column": e.column, "message": e.reason} for e in rejected.errors]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        counts = {
            "import": record.pk,
            "rows": record.rows,
            "inserted": record.inserted,
            "unchanged": record.unchanged,
            "corrected": record.corrected,
        }
        if source.kind == "80020":
            counts["flagged"] = record.flagged_values
        return Response(counts, status=status.HTTP_201_CREATED)


def _spool(request, spool, limit: int) -> int | None:
    """Copy the request body into the spool; None if it is larger than the limit."""
    size = 0
    while chunk := request.read(1 << 20):
        size += len(chunk)
        if size > limit:
            return None
        spool.write(chunk)
    return size


class _Unclosable:
    """The spooled body, handed to the importer as a stream it may read (and close) more than once."""

    def __init__(self, spool):
        self.spool = spool

    def __iter__(self):
        return iter(self.spool)

    def read(self, size: int = -1) -> bytes:
        return self.spool.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.spool.seek(offset, whence)

    def close(self):
        pass


def _reopen(spool) -> _Unclosable:
    spool.seek(0)
    return _Unclosable(spool)
