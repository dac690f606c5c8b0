"""What the admin's lists and header say: licence status as a badge, ISO dates in English, МВт in Kazakh,
and a language switcher on every page, the login included."""

import datetime as dt

import pytest

from registry.models import Licence
from tests.factories import FacilityFactory, FlagFactory, LicenceFactory
from tests.portal.page import Page


def row_of(response, text) -> list[str]:
    """The cells (after the tick box) of the list row with a cell reading `text`."""
    for tr in Page(response).root.find("table", id="result_list").find("tbody").find_all("tr"):
        cells = [cell.text for cell in tr.children if not isinstance(cell, str) and cell.tag in {"th", "td"}]
        if text in cells:
            return cells[1:]
    raise AssertionError(f"no row for {text!r}")


def test_the_licence_list_shows_status_as_a_badge_and_the_period_in_iso_dates(rita, firm_a):
    LicenceFactory(
        firm=firm_a,
        number="KZ-DM-2026-000777",
        status=Licence.Status.SUSPENDED,
        valid_from=dt.date(2026, 8, 9),
        valid_until=dt.date(2029, 8, 8),
        suspended_until=dt.date(2027, 1, 15),
    )
    page = rita.get("/admin/registry/licence/")

    assert row_of(page, "KZ-DM-2026-000777")[2:] == [
        "Suspended",
        "I",
        "10.000",
        "2026-08-09 – 2029-08-08 suspended until 2027-01-15",
    ]
    badge = Page(page).root.find("span", cls="licence-badge")
    assert badge.classes == {"licence-badge", "licence-suspended"} and badge.text == "Suspended"
    assert "08/09/2026" not in page.content.decode()


def test_the_flag_list_writes_its_times_short_in_every_language(client, regulator, firm_a):
    flag = FlagFactory(facility=FacilityFactory(firm=firm_a, ref="FAC-T1"), firm=firm_a)
    created = flag.created_at.astimezone(dt.timezone(dt.timedelta(hours=5)))  # Asia/Almaty
    client.force_login(regulator)
    for language, expected in (
        ("en", f"{created:%Y-%m-%d %H:%M}"),
        ("ru", f"{created:%d.%m.%Y %H:%M}"),
        ("kk", f"{created:%d.%m.%Y %H:%M}"),
    ):
        client.cookies["django_language"] = language
        assert row_of(client.get("/admin/registry/flag/"), "FAC-T1")[-1] == expected, language


@pytest.mark.parametrize("path", ["/admin/", "/admin/registry/flag/", "/admin/login/"])
def test_every_admin_page_offers_the_three_languages(client, regulator, path):
    if path != "/admin/login/":
        client.force_login(regulator)
    page = Page(client.get(path))

    form = page.root.find("form", cls="language")
    assert form.attrs["action"] == "/i18n/setlang/" and form.attrs["method"] == "post"
    assert form.find("input", name="csrfmiddlewaretoken") is not None
    assert [option.attrs["value"] for option in form.find_all("option")] == ["ru", "kk", "en"]


def test_switching_the_language_in_the_admin_stays_on_the_page(rita):
    response = rita.post("/i18n/setlang/", {"language": "kk", "next": "/admin/registry/flag/"})

    assert response.status_code == 302 and response["Location"] == "/admin/registry/flag/"
    page = rita.get("/admin/registry/flag/")
    assert page["Content-Language"] == "kk"
    assert Page(page).root.find("html").attrs["lang"] == "kk"


def test_the_kazakh_admin_writes_megawatts_in_cyrillic(client, regulator, firm_a):
    facility = FacilityFactory(firm=firm_a, ref="FAC-K1")
    FlagFactory(facility=facility, firm=firm_a, evidence={"avg_mw": 2.4, "peak_mw": 2.9})
    client.force_login(regulator)
    client.cookies["django_language"] = "kk"
    for path in ("/admin/registry/flag/", "/admin/registry/facility/", "/admin/dashboard/"):
        text = Page(client.get(path)).text
        assert "МВт" in text and " MW" not in text and "MW," not in text, path


def test_a_persons_page_names_every_filing_firm_without_a_query_each(client, regulator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import FirmFactory, OwnershipFactory, PersonFactory

    client.force_login(regulator)
    person = PersonFactory()

    def queries_with(firms: int) -> int:
        for _ in range(firms):
            OwnershipFactory(person=person, firm=FirmFactory())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/admin/registry/person/{person.pk}/change/").status_code == 200
        return len(captured)

    queries_with(0)  # the session and the user's permissions, cached after the first page
    assert queries_with(1) == queries_with(5)
