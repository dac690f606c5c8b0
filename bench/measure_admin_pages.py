"""Open the registry's admin pages as a regulator in this process; print each page's figures as JSON.

Run by bench/admin_pages.py with DATABASE_URL pointing at its database and
ALLOWED_HOSTS=testserver, so that Django is set up on that database from the
start. The one argument is JSON: {"targets": {model_name: pk}, "repeat": 3,
"only": "", "limit_ms": 500}.

The regulator logs in as staff do, through both steps: the password on the
admin's login page, then the code of their authenticator (a TOTP device the
bench enrols for its own user, with a fresh secret each run). The run stops
if either step does not open the admin.

For each page: one warm-up request under CaptureQueriesContext (status,
whether the body is the page itself, query count, SQL time, the slowest
query, the largest <select>), then `repeat` requests timed without
capturing; for a page at or above the limit, EXPLAIN (ANALYZE, BUFFERS) of
its slowest query.
"""

import json
import os
import re
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# A <select> and its field's name (the part after the last "-" in an inline's form).
SELECT = re.compile(r'<select\b[^>]*?\bname="(?:[^"]*-)?([^"-]*)"[^>]*>(.*?)</select>', re.S)
# Only a signed-in, verified staff user sees the admin's user tools; the login and code pages have none.
SIGNED_IN = 'id="user-tools"'
# Legal statuses a regulator filters by: two common ones and the largest set ("no status": ordinary consumers).
LEGAL_STATUS_FILTERS = ["licensed", "suspected_illegal", "none"]


@dataclass(frozen=True)
class Page:
    """An admin URL, the status it should answer, and text only that page holds (checked on a 200).

    A `cold` page is opened with the cache emptied before every request; it is outside the time budget.
    """

    name: str
    url: str
    expected: int = 200
    marker: str = ""
    cold: bool = False


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
        listed = 'id="changelist"'
        found.append(Page(f"{name} list", changelist, 302 if model is DetectionSettings else 200, listed))
        for spec in model_admin.list_filter:
            if isinstance(spec, type) and issubclass(spec, LegalStatusFilter):
                found += [
                    Page(f"{name} list legal_status={status}", f"{changelist}?legal_status={status}", marker=listed)
                    for status in LEGAL_STATUS_FILTERS
                ]
        if model is Flag:
            found.append(
                Page(
                    "flag list status=open&severity=high",
                    f"{changelist}?status__exact=open&severity__exact=high",
                    marker=listed,
                )
            )
        manager = model._default_manager
        obj = manager.filter(pk=targets[name]).first() if name in targets else manager.order_by("pk").first()
        objects[name] = obj
        term = obj and search_term(obj, model_admin.search_fields)
        if term:
            found.append(Page(f"{name} search", f"{changelist}?{urlencode({'q': term})}", marker=listed))
        if manager.count() > 49 * model_admin.list_per_page:
            found.append(Page(f"{name} list page 50", f"{changelist}?p=50", marker=listed))
        if obj is not None:
            change = reverse(admin_urlname(opts, "change"), args=[obj.pk])
            found.append(Page(f"{name} change", change, marker=f'id="{name}_form"'))
    found.append(Page("dashboard", reverse("admin-dashboard"), marker='id="legal-status"'))
    # Its figures are cached for a few minutes: the first visitor after that waits for all of them.
    found.append(
        Page("dashboard, figures recomputed", reverse("admin-dashboard"), marker='id="legal-status"', cold=True)
    )
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
            found.append(
                Page(f"autocomplete {field} '{term}'", f"{reverse('admin:autocomplete')}?{query}", marker='"results":')
            )
    return found


def measure(client, page: Page, repeat: int, limit_ms: float) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if page.cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    body = response.content.decode(errors="replace")
    status = response.status_code
    if status == 200 and not is_the_page(page, body):
        status = "200, not the page"
    elif status == 302 and response["Location"].startswith(signed_out()):
        status = f"302 to {response['Location'].split('?')[0]}"
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    slowest_ms, slowest_sql = max(queries, default=(0.0, ""))
    times = []
    for _ in range(repeat):
        if page.cold:
            cache.clear()
        started = time.perf_counter()
        again = client.get(page.url)
        times.append((time.perf_counter() - started) * 1000)
        if again.status_code != response.status_code:
            status = f"{status}, then {again.status_code}"
    median_ms = statistics.median(times)
    result = {
        "name": page.name,
        "url": page.url,
        "status": status,
        "expected": page.expected,
        "budget": not page.cold,
        "repeat": repeat,
        "median_ms": median_ms,
        "times_ms": times,
        "queries": len(queries),
        "sql_ms": sum(ms for ms, _sql in queries),
        "slowest_ms": slowest_ms,
        "slowest_sql": slowest_sql,
        "max_options": most_options(body),
    }
    if median_ms >= limit_ms and slowest_sql.lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest_sql}")
            result["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return result


def most_options(body: str) -> int:
    """The most options in one dropdown of a relation: one that could be an autocomplete or a raw id instead."""
    from django.apps import apps

    relations = {
        field.name
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and not field.auto_created
    }
    return max((options.count("<option") for name, options in SELECT.findall(body) if name in relations), default=0)


def is_the_page(page: Page, body: str) -> bool:
    """The answer is the page asked for, not the login or code page (which answer 200 too, when followed)."""
    if page.marker and page.marker not in body:
        return False
    return body.lstrip().startswith("{") or SIGNED_IN in body


def signed_out() -> tuple[str, ...]:
    """Where a page sends a visitor whose session is not (fully) signed in."""
    from django.conf import settings
    from django.urls import reverse

    return reverse("admin:login"), reverse("staff:second_factor"), settings.LOGIN_URL


def log_in(client, username: str) -> None:
    """Sign in as staff do: the password on the admin's login page, then the authenticator's current code.

    The bench's own user gets a fresh password and a fresh authenticator
    (as if enrolled once on the set-up page) each run; nothing is bypassed.
    """
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="bench authenticator", key=secrets.token_hex(20), confirmed=True)

    admin_index, second_factor = reverse("admin:index"), reverse("staff:second_factor")
    steps = []
    response = client.post(reverse("admin:login"), {"username": username, "password": password, "next": admin_index})
    steps.append(("password", response))
    if response.status_code == 302:
        response = client.get(response.url)
        steps.append(("admin before the code", response))
    if response.status_code == 302 and response.url.startswith(second_factor):
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        response = client.post(second_factor, {"token": f"{code:0{device.digits}d}", "next": admin_index})
        steps.append(("code", response))
    if response.status_code == 302 and response.url == admin_index:
        response = client.get(admin_index)
        steps.append(("admin", response))
    if response.status_code != 200 or SIGNED_IN not in response.content.decode(errors="replace"):
        trail = ", ".join(f"{step} {r.status_code} {r.get('Location', '')}".rstrip() for step, r in steps)
        raise SystemExit(f"logging in as {username} did not open the admin: {trail}")


def main() -> None:
    import django

    django.setup()
    from django.test import Client

    from registry.models import DetectionSettings

    options = json.loads(sys.argv[1])
    DetectionSettings.current()  # its one row, as the first visit to its page would make it
    client = Client()
    log_in(client, "bench_regulator")
    results = []
    for page in pages(options["targets"]):
        if options["only"] in page.name:
            results.append(measure(client, page, options["repeat"], options["limit_ms"]))
            print(f"  {page.name}: {results[-1]['median_ms']:.0f} ms", file=sys.stderr, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
