"""POST /api/v1/readings/: a grid operator pushes hourly readings (JSON list or CSV body)."""

import shutil
import tempfile

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.errors import ImportRejected
from registry.services.readings import ReadingSource, json_source, readings_import

from .permissions import IsGridOperator


class ReadingsView(APIView):
    """Load readings for the caller's meters, all or nothing. Answers the counts, or 400 with every error."""

    permission_classes = [IsGridOperator]
    parser_classes: list = []  # the body is read as it comes, not parsed by DRF

    def post(self, request):
        operator = request.user.grid_operator.operator
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/csv"):
            return Response(
                {"detail": _("Send the readings as application/json (a list) or text/csv.")},
                status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            size = _spool(request._request, spool, settings.READINGS_API_MAX_BYTES)
            if size is None:
                return Response(
                    {"detail": _("The body is larger than %(max)d bytes: send the readings in smaller batches.")
                     % {"max": settings.READINGS_API_MAX_BYTES}},
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                )
            try:
                if content_type == "application/json":
                    spool.seek(0)
                    source = json_source("request", spool.read())
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
        return Response(
            {
                "import": record.pk,
                "rows": record.rows,
                "inserted": record.inserted,
                "unchanged": record.unchanged,
                "corrected": record.corrected,
            },
            status=status.HTTP_201_CREATED,
        )


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

    def close(self):
        pass


def _reopen(spool) -> _Unclosable:
    spool.seek(0)
    return _Unclosable(spool)
