"""A firm's month in the portal, in a real browser: register a facility, declare, correct, then read it in Kazakh."""

from decimal import Decimal

import pytest
from django.utils import translation
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from registry import clock
from registry.models import Facility, PowerDeclaration
from tests.browser.waits import Steps
from tests.factories import GridConnectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

METER = "PV-7777"
SCREENSHOT = "/tmp/portal_kk.png"


@pytest.fixture
def meter(firm_a):
    """A meter the grid company has under firm A's BIN: a facility that lists it is linked to it at once."""
    return GridConnectionFactory(
        meter_id=METER, operator="Pavlodar REC", consumer_name=firm_a.name, consumer_bin=firm_a.bin, region="pavlodar"
    )


class Portal(Steps):
    """What a firm's employee does with the browser, each step waiting for what they would wait for."""

    link_scope = "//main"

    def menu(self, text):
        return self.link(text, within="//header//nav")

    def field(self, name):
        return self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"main form [name='{name}']")))

    def type(self, name, *keys):
        element = self.field(name)
        element.clear()
        element.send_keys(*keys)
        return element

    def choose(self, name, text):
        Select(self.field(name)).select_by_visible_text(text)

    def save(self):
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "main form button[type='submit']"))

    def language(self):
        return self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")

    def heading(self):
        return self.driver.find_element(By.CSS_SELECTOR, "main h1").text

    def messages(self):
        return [li.text for li in self.driver.find_elements(By.CSS_SELECTOR, "main ul.messages li")]

    def rows(self):
        """The table's body, row by row: (the row's classes, its cells' text)."""
        return [
            (row.get_attribute("class") or "", [td.text for td in row.find_elements(By.TAG_NAME, "td")])
            for row in self.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        ]


def test_firm_registers_a_facility_declares_and_corrects_its_month_then_reads_the_list_in_kazakh(
    browser, live_server, alice, firm_a, meter
):
    page = Portal(browser, live_server.url)
    month = clock.previous_month(clock.today())  # the last month that ended
    with translation.override("kk"):
        heading_kk, superseded_kk, filed_kk = (
            translation.gettext(text) for text in ("Monthly declarations", "Superseded", "Filed")
        )

    # Log in; the portal answers in English (the browser asks for it) and opens on the firm's overview.
    page.open("/accounts/login/")
    assert page.heading() == "Log in to the firm portal"
    page.type("username", alice.username)
    page.type("password", "pass")  # the cast's password
    page.save()
    assert browser.current_url == live_server.url + "/portal/"
    assert page.language() == "en"
    assert page.heading() == "Alpha Mining LLP"
    assert "Alpha Mining LLP · BIN 291417776310" in browser.find_element(By.CSS_SELECTOR, "header .firm").text

    # Facilities → Register a facility; the meter is the grid company's under the firm's BIN, so it links at once.
    page.click_through(page.menu("Facilities"))
    page.click_through(page.link("Register a facility"))
    assert page.heading() == "Facility"
    assert Select(page.field("region")).first_selected_option.text == "Pavlodar Region"  # the firm's, to start with
    page.type("name", "Ekibastuz hall 2")
    page.choose("region", "Pavlodar Region")
    page.type("capacity_mw", "5")
    page.type("devices", "1500")
    page.type("meter_ids", METER)
    page.save()
    ref = f"F-{firm_a.bin}-1"
    assert page.messages() == [f"Facility {ref} saved."]  # no meter left "to verify"
    assert page.heading() == "Facilities"
    assert [cells for _, cells in page.rows()] == [
        [ref, "Ekibastuz hall 2", "Pavlodar Region", "5.000", METER, "Edit"],
        ["FAC-A1", "Alpha site 1", "Pavlodar Region", "10.000", "PV-0001", "Edit"],
    ]

    # Declarations → File a declaration for last month; the month picker is typed the way Chromium takes it.
    page.click_through(page.menu("Declarations"))
    assert page.rows() == [("", ["Nothing filed yet."])]
    page.click_through(page.link("File a declaration"))
    assert page.heading() == "File a monthly declaration"
    page.choose("facility", f"{ref} — Ekibastuz hall 2")
    month_input = page.field("month")
    month_input.send_keys(f"{month:%m}", Keys.TAB, f"{month:%Y}")
    assert month_input.get_property("value") == f"{month:%Y-%m}"
    page.type("consumed_mwh", "2400")
    page.type("peak_mw", "3.6")
    page.type("devices", "1450")
    page.choose("power_source", "Grid (energy exchange)")
    page.save()
    assert page.messages() == [f"Declaration for {ref}, {month:%Y-%m} filed."]
    assert page.heading() == "Monthly declarations"
    [(filed_class, filed)] = page.rows()
    assert (filed_class, filed[:4], filed[5:]) == (
        "",
        [f"{month:%Y-%m}", ref, "2400.000", "3.600"],
        ["Filed", "Open · Correct"],
    )

    # Correct it: facility and month stay as filed, the energy was wrong.
    page.click_through(page.link("Correct", within="//main//table"))
    correction_title = (page.heading(), browser.title)
    assert not page.field("facility").is_enabled() and not page.field("month").is_enabled()
    assert Select(page.field("facility")).first_selected_option.text == f"{ref} — Ekibastuz hall 2"
    assert page.field("month").get_property("value") == f"{month:%Y-%m}"
    assert page.field("consumed_mwh").get_property("value") == "2400.000"
    page.type("consumed_mwh", "2310.5")
    page.save()
    assert page.messages() == [f"Declaration for {ref}, {month:%Y-%m} filed."]

    # The list keeps both filings of the month: the correction current, the first greyed out as superseded.
    (new_class, new), (old_class, old) = page.rows()
    assert (new_class, new[:4], new[5:]) == (
        "",
        [f"{month:%Y-%m}", ref, "2310.500", "3.600"],
        ["Filed", "Open · Correct"],
    )
    assert (old_class, old[:4], old[5:]) == (
        "superseded",
        [f"{month:%Y-%m}", ref, "2400.000", "3.600"],
        ["Superseded", "Open"],
    )

    # Switch to Kazakh with the selector in the header: the same list, now in Kazakh.
    Select(browser.find_element(By.ID, "language")).select_by_visible_text("Қазақ")
    page.click_through(browser.find_element(By.CSS_SELECTOR, "header form.language button[type='submit']"))
    assert browser.current_url == live_server.url + "/portal/declarations/"
    assert page.language() == "kk"
    assert heading_kk != "Monthly declarations"
    assert page.heading() == heading_kk
    assert [(cls, cells[1], cells[2], cells[5]) for cls, cells in page.rows()] == [
        ("", ref, "2310,500", filed_kk),
        ("superseded", ref, "2400,000", superseded_kk),
    ]
    assert Select(browser.find_element(By.ID, "language")).first_selected_option.get_attribute("value") == "kk"
    browser.save_screenshot(SCREENSHOT)

    facility = Facility.objects.get(ref=ref)
    assert (facility.firm, facility.name, facility.region, facility.capacity_mw, facility.devices) == (
        firm_a,
        "Ekibastuz hall 2",
        "pavlodar",
        Decimal("5"),
        1500,
    )
    assert (list(facility.connections.all()), facility.unverified_meter_ids) == ([meter], [])
    first, correction = PowerDeclaration.objects.filter(facility=facility, month=month).order_by("filed_at")
    assert (first.consumed_mwh, first.is_current) == (Decimal("2400"), False)
    assert (correction.consumed_mwh, correction.peak_mw, correction.devices, correction.is_current) == (
        Decimal("2310.5"),
        Decimal("3.6"),
        1450,
        True,
    )
    assert (correction.supersedes, correction.filed_by, correction.power_source) == (first, alice, "grid_exchange")
    assert PowerDeclaration.objects.count() == 2

    # The correction form said what it was for.
    assert correction_title == ("Correct a declaration", "Correct a declaration — minereg")
