"""/register/: the public register of licensed miners, the operator check and the warning list. No login.

Every page and download is the same for every visitor, so it is sent with
Cache-Control: public and carries nothing per visitor: no CSRF token, no
session, no cookie. The language switch therefore posts to a CSRF-exempt
twin of Django's set_language (switching a language is all it can do).
"""

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from registry import clock
from registry.exports.base import ExportFilters, csv_stream
from registry.models import Firm, Licence, Region
from registry.selectors import public

from .exports import LicensedRegisterExport, WarningListExport
from .forms import CheckForm, SearchForm, WarningSearchForm

CACHE_SECONDS = 300
PAGE_SIZE = 50


def today() -> dt.date:
    """The register's day: the registry-zone date, as for the legal status shown to staff."""
    return clock.today()


def public_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let any cache keep a successful answer for five minutes; it differs only by language (cookie or header)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            patch_vary_headers(response, ["Cookie", "Accept-Language"])
        return response

    return wrapper


def _labelled(rows, *, actions: bool = False) -> list:
    """Give each row of a page the names of its regions (and of its actions) in the visitor's language."""
    rows = list(rows)
    for row in rows:
        row.region_names = [Region(code).label for code in row.regions or []]
        if actions:
            row.action_names = [public.WarningAction(code).label for code in row.actions or []]
    return rows


def _page(request: HttpRequest, queryset, **label_options):
    """The requested page (the first for a missing or malformed number, the last beyond the end)."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _labelled(page.object_list, **label_options)
    return page


@require_safe
@public_cache
def register(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = form.filters()
    day = today()
    licences = public.licences_in_force(today=day, **filters) if filters is not None else Licence.objects.none()
    return render(
        request,
        "public/licensed.html",
        {
            "form": form,
            "page": _page(request, licences),
            "today": day,
            "filtered": bool(filters and any(filters.values())),
        },
    )


@require_safe
@public_cache
def operator_check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.GET or None)
    day = today()
    answer = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        answer = public.operator_check(today=day, query=form.cleaned_data["q"])
        _labelled([answer.warning] if answer.warning is not None else [], actions=True)
        _labelled(answer.in_force + answer.not_in_force)
    return render(
        request,
        "public/check.html",
        {
            "form": form,
            "answer": answer,
            "Verdict": public.Verdict,
            "states": dict(public.LicenceState.choices),
            "today": day,
        },
    )


@require_safe
@public_cache
def warning_list(request: HttpRequest) -> HttpResponse:
    form = WarningSearchForm(request.GET or None)
    filters = form.filters()
    firms = public.warning_list(**filters) if filters is not None else Firm.objects.none()
    return render(
        request,
        "public/warnings.html",
        {
            "form": form,
            "page": _page(request, firms, actions=True),
            "today": today(),
            "filtered": bool(filters and any(filters.values())),
        },
    )


def _csv_response(form: SearchForm, make_dataset: Callable[[dict], object], filename: str) -> HttpResponse:
    """Stream the list's CSV for the form's search, or answer 400 with the form's errors."""
    filters = form.filters()
    if filters is None:
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        csv_stream(make_dataset(filters), ExportFilters()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@public_cache
def licensed_csv(request: HttpRequest) -> HttpResponse:
    day = today()
    return _csv_response(
        SearchForm(request.GET),
        lambda filters: LicensedRegisterExport(today=day, **filters),
        f"minereg-licensed-{day}.csv",
    )


@require_safe
@public_cache
def warnings_csv(request: HttpRequest) -> HttpResponse:
    return _csv_response(
        WarningSearchForm(request.GET), lambda filters: WarningListExport(**filters), f"minereg-warnings-{today()}.csv"
    )


# The public pages carry no CSRF token (they are cached for everyone), so their language form posts here.
language = csrf_exempt(require_POST(set_language))
