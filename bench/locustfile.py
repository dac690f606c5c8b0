"""Locust users for bench/load.py: firms filing in the portal, visitors searching the register, staff on the flag queue.

    .venv/bin/python bench/load.py      # prepares the database and the plan, starts gunicorn, runs this file

The plan (MINEREG_LOAD_PLAN, a JSON file bench/load.py writes) gives each
virtual user an account of its own: a firm user whose firm has facilities and
months nobody has declared yet, or a staff user of the regulators group with
a TOTP device (a code is accepted once per 30-second step per device, so no
two virtual users share one). Each user logs in once (on_start), then loops.

Every request is named after its group, so locust's statistics (by method
and name) are the table bench/load.py prints: "login" (the forms and their
POSTs, the second factor included), "portal filing" (POST), "portal pages",
"register search", "admin flag list". Redirects are not followed, so each
row counts single requests. A response counts as a failure unless it is what
a person would have seen work: the filing redirects to the declarations list,
which then shows the success message; a search lists the firm searched for
(not just the query echoed in the search box); the flag list shows its
changelist table.
"""

import json
import os
import random
import re
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

from django_otp.oath import totp
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["MINEREG_LOAD_PLAN"], encoding="utf-8").read())
WAIT = between(PLAN["wait_min"], PLAN["wait_max"])
# The single-user pass runs one user of each class; the load run shares users out by weight.
ONE_EACH = PLAN.get("one_each", False)

LOGIN = "login"
FILING = "portal filing"
PORTAL = "portal pages"
SEARCH = "register search"
FLAGS = "admin flag list"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CORRECT_LINK = re.compile(r'href="/portal/declarations/(\d+)/correct/"')
OPEN_LINK = re.compile(r'href="/portal/declarations/(\d+)/"')

_environment = None
# Every request as (method, name, started at, ms, ok), so bench/load.py can also report the run after the logins.
_samples: list[tuple[str, str, float, float, bool]] = []


@events.request.add_listener
def keep_sample(
    request_type: str, name: str, response_time: float, exception, start_time: float = 0.0, **kwargs
) -> None:
    _samples.append((request_type, name, start_time, response_time, exception is None))


@events.quit.add_listener
def write_result(exit_code: int, **kwargs) -> None:
    """Leave the final statistics for bench/load.py (the --csv files are rewritten once a second, so they can miss
    the requests of the last second)."""
    if not os.environ.get("MINEREG_LOAD_RESULT"):
        return
    runner = _environment.runner
    result = {
        "exit_code": exit_code,
        "stats": runner.stats.serialize_stats(),
        "errors": [error.to_dict() for error in runner.stats.errors.values()],
        "exceptions": [
            {"count": e["count"], "msg": e["msg"], "traceback": e["traceback"]} for e in runner.exceptions.values()
        ],
        "samples": _samples,
    }
    with open(os.environ["MINEREG_LOAD_RESULT"], "w", encoding="utf-8") as out:
        json.dump(result, out)


@events.init.add_listener
def remember_environment(environment, **kwargs) -> None:
    global _environment
    _environment = environment


# Accounts are handed out in order, one per virtual user of this process.
_firm_accounts = iter(PLAN["firms"])
_staff_accounts = iter(PLAN["staff"])


def location(response) -> str:
    return response.headers.get("Location") or response.headers.get("location") or ""


def csrf_token(response) -> str | None:
    match = CSRF.search(response.text or "")
    return match.group(1) if match else None


def expect(
    response,
    status: int,
    *,
    contains: tuple[str, ...] = (),
    absent: tuple[str, ...] = (),
    redirect_to: str | None = None,
) -> bool:
    """Mark the response a failure unless it has the status, the redirect target and the texts given."""
    if response.status_code != status:
        where = f" → {location(response)}" if 300 <= response.status_code < 400 else ""
        response.failure(f"status {response.status_code}{where}, expected {status}")
        return False
    if redirect_to is not None and location(response) != redirect_to:
        response.failure(f"redirected to {location(response)!r}, expected {redirect_to!r}")
        return False
    text = (response.text or "") if contains or absent else ""
    for needle in contains:
        if needle not in text:
            response.failure(f"response lacks {needle!r}")
            return False
    for needle in absent:
        if needle in text:
            response.failure(f"response has {needle!r}")
            return False
    response.success()
    return True


class RegistryUser(FastHttpUser):
    abstract = True
    wait_time = WAIT
    # English pages, so the checks can look for the success messages' words.
    default_headers = {"Accept-Language": "en"}

    def get(self, url: str, name: str, **kwargs):
        return self.client.get(url, name=name, allow_redirects=False, catch_response=True, **kwargs)

    def post(self, url: str, data: dict, name: str):
        return self.client.post(url, data=data, name=name, allow_redirects=False, catch_response=True)

    def form_token(self, url: str, name: str, *, contains: tuple[str, ...] = ()) -> str | None:
        """GET a page with a form; its CSRF token, or None (the request marked failed) if it has none."""
        with self.get(url, name) as response:
            if not expect(response, 200, contains=contains):
                return None
            token = csrf_token(response)
            if token is None:
                response.failure("no csrfmiddlewaretoken in the form")
            return token


class FirmUser(RegistryUser):
    """A firm's employee: files monthly declarations, corrects them, looks at the portal."""

    weight = 3
    fixed_count = 1 if ONE_EACH else 0

    def on_start(self):
        account = next(_firm_accounts)
        self.facilities = {f["id"]: f for f in account["facilities"]}
        self.free = list(account["free"])  # [facility id, "YYYY-MM"], newest month first
        token = self.form_token("/accounts/login/", LOGIN, contains=('name="username"',))
        if token is None:
            return self.stop()
        data = {
            "csrfmiddlewaretoken": token,
            "username": account["username"],
            "password": PLAN["password"],
            "next": "/portal/declarations/",
        }
        with self.post("/accounts/login/", data, LOGIN) as response:
            if not expect(response, 302, redirect_to="/portal/declarations/"):
                return self.stop()

    def values(self, facility: dict) -> dict:
        capacity = Decimal(facility["capacity_mw"])
        peak = capacity * Decimal(random.uniform(0.7, 1.0))
        return {
            "consumed_mwh": f"{peak * Decimal(random.uniform(600, 720)):.3f}",
            "peak_mw": f"{peak:.3f}",
            "devices": str(int(peak * 270)),
            "power_source": random.choice(["grid_exchange", "grid_exchange", "own_generation"]),
        }

    def submit(self, url: str, data: dict, message: str) -> None:
        """POST a filing; it must redirect to the list, and the list must show the success message."""
        with self.post(url, data, FILING) as response:
            if not expect(response, 302, redirect_to="/portal/declarations/"):
                return
        with self.get("/portal/declarations/", PORTAL) as response:
            expect(response, 200, contains=(message,))

    @task(3)
    def file_a_month(self):
        if not self.free:
            return self.correct_a_month()
        facility_id, month = self.free.pop(0)
        facility = self.facilities[facility_id]
        token = self.form_token("/portal/declarations/file/", PORTAL, contains=(f'value="{facility_id}"',))
        if token is None:
            return
        data = {"csrfmiddlewaretoken": token, "facility": str(facility_id), "month": month, **self.values(facility)}
        self.submit("/portal/declarations/file/", data, f"Declaration for {facility['ref']}, {month} filed.")

    @task(1)
    def correct_a_month(self):
        with self.get("/portal/declarations/", PORTAL) as response:
            if not expect(response, 200, contains=("/portal/declarations/file/",)):
                return
            current = CORRECT_LINK.findall(response.text)
        if not current:
            return
        pk = random.choice(current)
        url = f"/portal/declarations/{pk}/correct/"
        with self.get(url, PORTAL) as response:
            if not expect(response, 200, contains=("Correct a declaration",)):
                return
            token = csrf_token(response)
            facility_id = re.search(r'<option value="(\d+)" selected', response.text)
            month = re.search(r'name="month" value="(\d{4}-\d{2})"', response.text)
            if token is None or facility_id is None or month is None:
                response.failure("the correction form lacks its token, facility or month")
                return
        facility = self.facilities[int(facility_id.group(1))]
        data = {"csrfmiddlewaretoken": token, **self.values(facility)}
        self.submit(url, data, f"Declaration for {facility['ref']}, {month.group(1)} filed.")

    @task(2)
    def look_around(self):
        with self.get("/portal/", PORTAL) as response:
            expect(response, 200, contains=("/portal/declarations/",))
        with self.get("/portal/declarations/", PORTAL) as response:
            if not expect(response, 200, contains=("/portal/declarations/file/",)):
                return
            filed = OPEN_LINK.findall(response.text)
        if filed:
            with self.get(f"/portal/declarations/{random.choice(filed)}/", PORTAL) as response:
                expect(response, 200, contains=("<h1>Declaration FAC-LOAD-",))


class PublicVisitor(RegistryUser):
    """Anyone: searches the register of licensed miners by name, BIN or number, pages, checks an operator."""

    weight = 5
    fixed_count = 1 if ONE_EACH else 0

    def on_start(self):
        self.client.cookiejar.clear()
        # The public pages are the same in every language; visitors use all three.
        self.language = random.choice(["ru", "kk", "en"])

    def search(self, path: str, params: dict, *, contains: tuple[str, ...], absent: tuple[str, ...] = ()) -> None:
        url = f"{path}?{urlencode(params)}" if params else path
        with self.get(url, SEARCH, headers={"Accept-Language": self.language}) as response:
            expect(response, 200, contains=contains, absent=absent)

    # The query comes back in the search box, so each check looks for a result the query itself does not contain.

    @task(3)
    def by_name(self):
        licence = random.choice(PLAN["licensed"])
        word = random.choice(licence["firm_name"].split()[:2])
        self.search("/register/", {"q": word}, contains=(escape(licence["firm_name"]), licence["number"]))

    @task(2)
    def by_bin(self):
        licence = random.choice(PLAN["licensed"])
        self.search(
            "/register/", {"q": licence["firm_bin"]}, contains=(escape(licence["firm_name"]), licence["number"])
        )

    @task(1)
    def by_number(self):
        licence = random.choice(PLAN["licensed"])
        self.search(
            "/register/", {"q": licence["number"]}, contains=(escape(licence["firm_name"]), licence["firm_bin"])
        )

    @task(2)
    def browse(self):
        if random.random() < 0.5:
            licence = random.choice(PLAN["licensed"])
            self.search("/register/", {"region": licence["region"]}, contains=(escape(licence["firm_name"]),))
        else:
            # Each page of the list starts with the firm the plan expects there.
            page = random.randrange(len(PLAN["licensed_page_heads"]))
            params = {"page": page + 1} if page else {}
            self.search("/register/", params, contains=(escape(PLAN["licensed_page_heads"][page]),))

    @task(1)
    def nothing_found(self):
        word = random.choice(["Zzyzx", "Qwerty Mining", "KZ-DM-1999"])
        self.search(
            "/register/",
            {"q": word},
            contains=(f'value="{word}"',),
            absent=tuple(escape(licence["firm_name"]) for licence in PLAN["licensed"][:5]),
        )

    @task(1)
    def check_operator(self):
        licence = random.choice(PLAN["licensed"])
        self.search("/register/check/", {"q": licence["firm_bin"]}, contains=(escape(licence["firm_name"]),))

    @task(1)
    def warning_list(self):
        firm = random.choice(PLAN["warned"])
        if random.random() < 0.5:
            self.search("/register/warnings/", {}, contains=(escape(PLAN["warned"][0]["name"]),))
        else:
            self.search("/register/warnings/", {"q": firm["bin"]}, contains=(escape(firm["name"]),))


class StaffUser(RegistryUser):
    """A regulator: logs in with password and TOTP code, works through the flag queue's filters and pages."""

    weight = 2
    fixed_count = 1 if ONE_EACH else 0

    def on_start(self):
        account = next(_staff_accounts)
        flags = "/admin/registry/flag/"
        token = self.form_token(f"/admin/login/?{urlencode({'next': flags})}", LOGIN, contains=('name="username"',))
        if token is None:
            return self.stop()
        data = {
            "csrfmiddlewaretoken": token,
            "username": account["username"],
            "password": PLAN["password"],
            "next": flags,
        }
        with self.post("/admin/login/", data, LOGIN) as response:
            if not expect(response, 302, redirect_to=flags):
                return self.stop()
        # The admin sends a session without a second factor to /accounts/2fa/.
        second_factor = f"/accounts/2fa/?{urlencode({'next': flags})}"
        with self.get(flags, LOGIN) as response:
            if not expect(response, 302, redirect_to=second_factor):
                return self.stop()
        token = self.form_token(second_factor, LOGIN, contains=('name="token"',))
        if token is None:
            return self.stop()
        code = f"{totp(bytes.fromhex(account['totp_key'])):06d}"
        data = {"csrfmiddlewaretoken": token, "token": code, "next": flags}
        with self.post("/accounts/2fa/", data, LOGIN) as response:
            if not expect(response, 302, redirect_to=flags):
                return self.stop()

    def flag_list(self, params: dict, *, rows: bool = True) -> None:
        url = f"/admin/registry/flag/?{urlencode(params)}" if params else "/admin/registry/flag/"
        with self.get(url, FLAGS) as response:
            expect(response, 200, contains=('id="changelist"', 'id="result_list"') if rows else ('id="changelist"',))

    @task(3)
    def queue(self):
        self.flag_list({})

    @task(3)
    def filtered(self):
        flags = PLAN["flags"]
        params = random.choice(
            [
                {"status__exact": random.choice(flags["statuses"])},
                {"severity__exact": random.choice(flags["severities"])},
                {"rule__exact": random.choice(flags["rules"])},
                {
                    "status__exact": "open",
                    "severity__exact": random.choice(flags["open_severities"] or flags["severities"]),
                },
                {"subject_type__exact": random.choice(flags["subject_types"])},
            ]
        )
        self.flag_list(params)

    @task(2)
    def ordered_and_paged(self):
        params = {"o": random.choice(["-8", "1", "5.-8", "2", "-3"])}
        page = random.randrange(PLAN["flags"]["pages"])
        if page:
            params["p"] = page + 1
        self.flag_list(params)

    @task(1)
    def search_subject(self):
        self.flag_list({"q": random.choice(PLAN["flags"]["subject_refs"])})
