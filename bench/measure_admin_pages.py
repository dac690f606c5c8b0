"""Open the registry's admin pages as a regulator in this process; print each page's figures as JSON.

Run by bench/admin_pages.py with DATABASE_URL pointing at its database and
ALLOWED_HOSTS=testserver, so that Django is set up on that database from the
start. The one argument is JSON: {"targets": {model_name: pk}, "repeat": 3,
"only": "", "limit_ms": 500}. For each page: one warm-up request under
CaptureQueriesContext (status, query count, SQL time, the slowest query, the
largest <select>), then `repeat` requests timed without capturing; for a
page at or above the limit, EXPLAIN (ANALYZE, BUFFERS) of its slowest query.
"""

import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SELECT = re.compile(r"<select\b.*?</select>", re.S)
# Legal statuses a regulator filters by: two common ones and the largest set ("no status": ordinary consumers).
LEGAL_STATUS_FILTERS = ["licensed", "suspected_illegal", "none"]


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    expected: int = 200


def pages(targets: dict[str, int]) -> list[Page]:
    """Every registry admin's changelist (first page, page 50, a search, its filters), one change page, and more."""
    from django.contrib import admin
    from django.contrib.admin.templatetags.admin_urls import admin_urlname
    from django.urls import reverse

    from registry.admin.base import LegalStatusFilter
    from registry.models import DetectionSettings, Flag

    found = []
    objects = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label != "registry":
            continue
        name = opts.model_name
        changelist = reverse(admin_urlname(opts, "changelist"))
        # The settings' list opens its single row.
        found.append(Page(f"{name} list", changelist, 302 if model is DetectionSettings else 200))
        for spec in model_admin.list_filter:
            if isinstance(spec, type) and issubclass(spec, LegalStatusFilter):
                found += [
                    Page(f"{name} list legal_status={status}", f"{changelist}?legal_status={status}")
                    for status in LEGAL_STATUS_FILTERS
                ]
        if model is Flag:
            found.append(
                Page("flag list status=open&severity=high", f"{changelist}?status__exact=open&severity__exact=high")
            )
        manager = model._default_manager
        obj = manager.filter(pk=targets[name]).first() if name in targets else manager.order_by("pk").first()
        objects[name] = obj
        term = obj and search_term(obj, model_admin.search_fields)
        if term:
            found.append(Page(f"{name} search", f"{changelist}?{urlencode({'q': term})}"))
        if manager.count() > 49 * model_admin.list_per_page:
            found.append(Page(f"{name} list page 50", f"{changelist}?p=50"))
        if obj is not None:
            found.append(Page(f"{name} change", reverse(admin_urlname(opts, "change"), args=[obj.pk])))
    found.append(Page("dashboard", reverse("admin-dashboard")))
    found += autocomplete_pages(objects)
    return found


def search_term(obj, search_fields) -> str:
    """The value of the first search field the object has: what a regulator would type to find it."""
    for field in search_fields:
        value = obj
        for part in field.lstrip("=^@").split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        if value:
            return str(value)
    return ""


def autocomplete_pages(objects: dict) -> list[Page]:
    """The lookups behind the autocomplete widgets over the big tables."""
    from django.contrib import admin
    from django.urls import reverse

    connection, facility, licence = objects.get("gridconnection"), objects.get("facility"), objects.get("licence")
    lookups = [
        ("facilityconnection", "connection", connection and connection.meter_id),
        ("facilityconnection", "connection", connection and connection.consumer_name.split()[0]),
        ("facilityconnection", "facility", facility and facility.ref),
        ("facility", "firm", facility and facility.firm.name.split()[0]),
        ("licencecoverage", "licence", licence and licence.number),
    ]
    found = []
    registered = {
        model._meta.model_name: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "registry"
    }
    for source, field, term in lookups:
        if term and source in registered and field in registered[source].autocomplete_fields:
            query = urlencode({"app_label": "registry", "model_name": source, "field_name": field, "term": term})
            found.append(Page(f"autocomplete {field} '{term}'", f"{reverse('admin:autocomplete')}?{query}"))
    return found


def measure(client, page: Page, repeat: int, limit_ms: float) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    body = response.content.decode(errors="replace")
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    slowest_ms, slowest_sql = max(queries, default=(0.0, ""))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(page.url)
        times.append((time.perf_counter() - started) * 1000)
    median_ms = statistics.median(times)
    result = {
        "name": page.name,
        "url": page.url,
        "status": response.status_code,
        "expected": page.expected,
        "repeat": repeat,
        "median_ms": median_ms,
        "times_ms": times,
        "queries": len(queries),
        "sql_ms": sum(ms for ms, _sql in queries),
        "slowest_ms": slowest_ms,
        "slowest_sql": slowest_sql,
        "max_options": max((select.count("<option") for select in SELECT.findall(body)), default=0),
    }
    if median_ms >= limit_ms and slowest_sql.lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest_sql}")
            result["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return result


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from registry.models import DetectionSettings

    options = json.loads(sys.argv[1])
    DetectionSettings.current()  # its one row, as the first visit to its page would make it
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_regulator"))
    results = []
    for page in pages(options["targets"]):
        if options["only"] in page.name:
            results.append(measure(client, page, options["repeat"], options["limit_ms"]))
            print(f"  {page.name}: {results[-1]['median_ms']:.0f} ms", file=sys.stderr, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
