"""/exports/: auditors and regulators download every dataset as CSV or XLSX — what `manage.py export` writes.

A staff page beside the admin (its look and login), kept out of registry/exports so the datasets stay below
the service that runs them: this page calls services.exports, which reads the datasets.
"""

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.exports import CONTENT_TYPES, CSV, DATASETS, XLSX, ExportError, ExportFilters
from registry.models import Region
from registry.services.exports import export_prepare, export_start

PERMISSION = "registry.export_datasets"


class ExportForm(forms.Form):
    date_from = forms.DateField(
        label=_("From (UTC day)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (UTC day, inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", "—"), *Region.choices])
    status = forms.CharField(label=_("Status"), required=False, max_length=32)
    meter = forms.CharField(label=_("Meter id"), required=False, max_length=64)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The last day is before the first."))
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            region=data.get("region") or None,
            status=data.get("status") or None,
            meter=data.get("meter") or None,
        )


def staff_only(view):
    """Exports are a staff area: the export permission given to a non-staff account by mistake opens nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@login_required(login_url="admin:login")
@staff_only
@permission_required(PERMISSION, raise_exception=True)
def index(request):
    return render(
        request,
        "exports/index.html",
        {**admin.site.each_context(request), "datasets": list(DATASETS), "form": ExportForm()},
    )


@login_required(login_url="admin:login")
@staff_only
@permission_required(PERMISSION, raise_exception=True)
def download(request, dataset: str, file_format: str = CSV):
    form = ExportForm(
        {key: request.GET.get(key.removeprefix("date_"), request.GET.get(key, "")) for key in ExportForm.base_fields}
    )
    error, status = None, 400
    if form.is_valid():
        try:
            chosen = export_prepare(dataset_name=dataset, filters=form.filters(), file_format=file_format)
            # The query runs here: a failure before the first row is this page with an error, not a 200 file.
            blocks = export_start(
                dataset=chosen,
                filters=form.filters(),
                actor=request.user.get_username(),
                user=request.user,
                file_format=file_format,
            )
        except ExportError as problem:
            error = str(problem)
        except DatabaseError:
            error, status = _("The export failed before its first row, so nothing was downloaded. Try again."), 500
        else:
            # A failure after the first rows breaks the stream off: the server ends the chunked response
            # without its last chunk, and the browser marks the download failed.
            response = StreamingHttpResponse(blocks, content_type=CONTENT_TYPES[file_format])
            stamp = timezone.now().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="{chosen.name}-{stamp}.{file_format}"'
            return response
    return render(
        request,
        "exports/index.html",
        {
            **admin.site.each_context(request),
            "datasets": list(DATASETS),
            "form": form,
            "error": error,
            "chosen": dataset,
        },
        status=status,
    )


# Included under /exports/ as the "exports" namespace (config/urls.py).
urlpatterns = [
    path("", index, name="index"),
    path("<slug:dataset>.csv", download, name="download"),
    path("<slug:dataset>.xlsx", download, {"file_format": XLSX}, name="download_xlsx"),
]
