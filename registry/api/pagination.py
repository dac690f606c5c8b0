"""Pagination: numbered pages for the small lists, keyset cursors for the large ones.

A bad page, page size or cursor answers 400 naming the parameter, never 404
or 500.
"""

import base64
import binascii
import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def single(request, param: str) -> str:
    """The value of a query parameter that takes one value ("" when absent); 400 when it is repeated."""
    values = request.query_params.getlist(param)
    if len(values) > 1:
        raise ValidationError({param: [_("Give this parameter once.")]})
    return values[0] if values else ""


def _page_size(request, param: str, default: int, maximum: int) -> int:
    raw = single(request, param)
    if raw == "":
        return default
    size = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= size <= maximum:
        raise ValidationError({param: [_("Enter a whole number from 1 to %(max)d.") % {"max": maximum}]})
    return size


def _page_size_parameter(param: str, maximum: int) -> dict:
    return {
        "name": param,
        "required": False,
        "in": "query",
        "description": _("Number of results to return per page (at most %(max)d).") % {"max": maximum},
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
        "allowEmptyValue": True,
    }


class PagePagination(PageNumberPagination):
    """Numbered pages with a total count, for lists of at most a few thousand rows."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = single(request, self.page_query_param)
        if raw in ("", *self.last_page_strings):
            return super().get_page_number(request, paginator)
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_query_param: [_("Enter a whole number from 1.")]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(self.get_page_number(request, paginator))
        except InvalidPage:
            raise ValidationError({self.page_query_param: [_("There is no such page.")]}) from None
        self.display_page_controls = paginator.num_pages > 1
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter.update(schema={"type": "integer", "minimum": 1}, allowEmptyValue=True)
        return [
            _page_size_parameter(self.page_size_query_param, self.max_page_size)
            if p["name"] == self.page_size_query_param
            else p
            for p in parameters
        ]


class KeysetPagination(CursorPagination):
    """Cursor pages over the whole ordering (ties broken by id): stable and fast however deep.

    DRF's cursor keeps only the first ordering field and counts ties with an
    offset capped at 1000, which loses rows when a month holds thousands of
    declarations. Here the cursor carries the last row's value of every
    ordering field, and the next page is the rows after it in that order. Only
    non-null fields may be used for ordering (the views list them).
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-pk",)

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            _page_size_parameter(self.page_size_query_param, self.max_page_size)
            if p["name"] == self.page_size_query_param
            else {**p, "allowEmptyValue": True}
            for p in super().get_schema_operation_parameters(view)
        ]

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view))
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        fields = [_field(queryset, name.lstrip("-")) for name in self.ordering]
        reverse, position = self._decode(request, fields)

        order = [_flip(name) for name in self.ordering] if reverse else list(self.ordering)
        queryset = queryset.order_by(*order)
        if position is not None:
            queryset = queryset.filter(_after(order, position))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_previous, self.has_next = more, bool(self.page)
        else:
            self.has_previous, self.has_next = position is not None, more
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        return self._link(self.page[-1], reverse=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[0], reverse=True)

    def _link(self, row, *, reverse: bool) -> str:
        values = [_text(_value(row, name.lstrip("-"))) for name in self.ordering]
        token = json.dumps({"r": int(reverse), "p": values}, separators=(",", ":"))
        encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def _decode(self, request, fields) -> tuple[bool, list | None]:
        encoded = single(request, self.cursor_query_param)
        if encoded == "":
            return False, None
        invalid = ValidationError({self.cursor_query_param: [_("Invalid cursor: start again from the first page.")]})
        try:
            token = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            reverse, values = token["r"], token["p"]
            if reverse not in (0, 1) or not isinstance(values, list) or len(values) != len(fields):
                raise invalid
            position = [_checked(field.to_python(value)) for field, value in zip(fields, values, strict=True)]
        except (
            binascii.Error,
            UnicodeDecodeError,
            ValueError,
            TypeError,
            KeyError,
            OverflowError,
            DjangoValidationError,
        ):
            raise invalid from None
        return bool(reverse), position


def _field(queryset, name: str):
    """The model field (or annotation's output field) behind an ordering name."""
    if name == "pk":
        return queryset.model._meta.pk
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValidationError({"ordering": [_("Unknown ordering field “%(name)s”.") % {"name": name}]}) from None


def _checked(value):
    """A cursor value as the database may compare it; ValueError for one a client made up."""
    if value is None or (isinstance(value, Decimal) and not value.is_finite()):
        raise ValueError(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(value)
        return value.astimezone(dt.UTC)  # PostgreSQL refuses offsets beyond ±15:59
    return value


def _value(row, name: str):
    return row.pk if name == "pk" else getattr(row, name)


def _text(value) -> str | int:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def _after(order: list[str], position: list) -> Q:
    """Rows strictly after `position` in `order`: (a > x) or (a = x and b > y) or …"""
    condition = Q()
    equal: dict = {}
    for name, value in zip(order, position, strict=True):
        field = name.lstrip("-")
        lookup = "lt" if name.startswith("-") else "gt"
        condition |= Q(**equal, **{f"{field}__{lookup}": value})
        equal[field] = value
    return condition
