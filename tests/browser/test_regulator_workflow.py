"""The regulator's day in the admin, in a real browser: triage the high flags, inspect, see the site turn illegal."""

import base64
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.oath import totp
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from registry import clock
from registry.models import Facility, Firm, Flag, Inspection
from tests.browser.waits import Steps
from tests.factories import FacilityFactory, FlagFactory, GridConnectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPERATOR_BIN = "291417776310"  # a valid BIN no firm in this world has


@pytest.fixture
def world(firm_b, inspector):
    """Firm B (no licence) runs FAC-B1 and FAC-X; two hidden farms sit on meters no facility lists.

    Open and high: FAC-B1 drawing power without a licence, and a residential meter AL-7001 with a farm's flat
    load and no consumer BIN. Also in the queue: a medium flag on a commercial meter, and FAC-X's own
    high flag, already under inspection, which keeps FAC-X "suspected illegal" until someone records the visit.
    """
    window_end = timezone.now().replace(minute=0, second=0, microsecond=0)
    fac_b1 = Facility.objects.get(ref="FAC-B1")
    fac_x = FacilityFactory(ref="FAC-X", firm=firm_b, name="Beta site X", capacity_mw=Decimal("6"))
    for facility, meter_id in ((fac_b1, "KR-0001"), (fac_x, "KR-0002")):
        facility.connections.add(GridConnectionFactory(meter_id=meter_id, operator="Karaganda REC", region="karaganda"))
    hidden_high = GridConnectionFactory(
        meter_id="AL-7001", operator="Almaty REC", region="almaty", tariff="residential"
    )
    hidden_medium = GridConnectionFactory(
        meter_id="AL-7002", operator="Almaty REC", region="almaty", tariff="commercial"
    )
    facility_evidence = {"avg_mw": 2.4, "peak_mw": 2.9, "coverage": 0.98, "load_factor": 0.83}
    farm_evidence = {"avg_mw": 0.52, "peak_mw": 0.55, "coverage": 1.0, "load_factor": 0.95}
    return {
        "b1": FlagFactory(facility=fac_b1, firm=firm_b, evidence=facility_evidence, window_end=window_end),
        "farm": FlagFactory(
            rule="UNLICENSED_MINING",
            connection=hidden_high,
            evidence={**farm_evidence, "tariff": "residential"},
            window_end=window_end,
        ),
        "medium": FlagFactory(
            rule="UNLICENSED_MINING",
            severity="medium",
            connection=hidden_medium,
            evidence={**farm_evidence, "tariff": "commercial"},
            window_end=window_end,
        ),
        "x": FlagFactory(
            status="under_inspection",
            facility=fac_x,
            firm=firm_b,
            assigned_to=inspector,
            evidence=facility_evidence,
            window_end=window_end,
        ),
    }


class Page(Steps):
    """What the regulator does with the browser, each step waiting for what they would wait for."""

    def find(self, xpath):
        return self.wait.until(ec.presence_of_element_located((By.XPATH, xpath)))

    def text(self, css="#content"):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def messages(self):
        return [li.text for li in self.driver.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]

    def flag_subjects(self):
        return sorted(td.text for td in self.driver.find_elements(By.CSS_SELECTOR, "#result_list td.field-subject_ref"))

    def run_action(self, subject_ref, action):
        """Tick the flag's row, pick the action, press Go: the decision form opens."""
        row = (
            f"//table[@id='result_list']//tr"
            f"[td[contains(@class,'field-subject_ref')][normalize-space()='{subject_ref}']]"
        )
        self.find(f"{row}//input[@name='_selected_action']").click()
        Select(self.driver.find_element(By.NAME, "action")).select_by_value(action)
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "button[name='index']"))

    def legal_status(self, ref):
        return self.find(
            f"//table[@id='result_list']//tr[th[normalize-space()='{ref}']]//td[contains(@class,'field-legal_status')]"
        ).text

    def submit_decision(self):
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "#content-main form input[type='submit']"))


def test_regulator_triages_high_flags_then_an_inspection_makes_the_site_illegal(
    browser, live_server, regulator, inspector, world, firm_b
):
    page = Page(browser, live_server.url)

    # Log in; the site answers in English (the browser asks for it).
    page.open("/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(regulator.username)
    browser.find_element(By.ID, "id_password").send_keys("pass")  # the cast's password
    page.click_through(browser.find_element(By.CSS_SELECTOR, "#login-form input[type='submit']"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    # First login: the second step is set up by scanning the QR code, or typing the key shown under it.
    assert page.find("//h1").text == "Set up two-step login"
    assert browser.find_element(By.CSS_SELECTOR, ".qr svg").is_displayed()
    key = base64.b32decode(browser.find_element(By.CSS_SELECTOR, "code.secret").text.replace(" ", ""))
    browser.find_element(By.ID, "id_token").send_keys(f"{totp(key):06d}")
    page.click_through(browser.find_element(By.CSS_SELECTOR, "#second-factor-form input[type='submit']"))
    assert "Registry" in page.text()

    # The home page opens on the queue: three open flags, two of them high, one site under inspection.
    queue = page.text("#queue-flags").splitlines()
    assert queue[:6] == ["Flags to review", "3 open flags", "2 high", "1 medium", "0 low", "1 flag under inspection"]
    page.click_through(page.link("2 high", within="//div[@id='queue-flags']"))
    assert "status__exact=open" in browser.current_url and "severity__exact=high" in browser.current_url
    assert page.flag_subjects() == ["AL-7001", "FAC-B1"]

    # The same list by the filters: all four flags, then Open, then High.
    page.open("/admin/registry/flag/")
    assert len(page.flag_subjects()) == 4
    page.click_through(page.link("Open", within="//details[@data-filter-title='status']"))
    page.click_through(page.link("High", within="//details[@data-filter-title='severity']"))
    assert page.flag_subjects() == ["AL-7001", "FAC-B1"]

    # Dismiss FAC-B1's flag: an empty reason is stopped by the browser, a blank one by the server.
    page.run_action("FAC-B1", "dismiss")
    assert page.find("//h1").text == "Dismiss"
    applies_to = page.find("//div[@id='content-main']/p").text
    assert page.find("//div[@id='content-main']/ul/li").text == "NO_VALID_LICENCE FAC-B1"
    reason = browser.find_element(By.NAME, "reason")
    browser.find_element(By.CSS_SELECTOR, "#content-main form input[type='submit']").click()
    assert browser.execute_script("return arguments[0].validity.valueMissing", reason)
    assert reason.get_property("validationMessage")  # the browser's "fill out this field" bubble
    assert browser.execute_script("return document.querySelector('#content-main form').checkValidity()") is False
    browser.find_element(By.NAME, "reason").send_keys("   ")
    page.submit_decision()
    assert page.find("//p[@class='errornote']").text == "Please correct the errors below."
    assert "This field is required." in page.text(".form-row.errors")
    assert Flag.objects.get(pk=world["b1"].pk).status == "open"
    reason = browser.find_element(By.NAME, "reason")
    reason.clear()
    reason.send_keys("KR-0001 feeds the neighbouring dairy; the site has been idle since spring.")
    page.submit_decision()
    assert page.messages() == ["Dismiss: NO_VALID_LICENCE FAC-B1"]
    assert page.flag_subjects() == ["AL-7001"]

    # Confirm the residential farm as an illegal operation; the meter has no consumer BIN, so give the operator's.
    page.run_action("AL-7001", "confirm")
    assert page.find("//h1").text == "Confirm as illegal operation"
    assert "Operator BIN" in page.text("#content-main form")
    browser.find_element(By.NAME, "reason").send_keys("Flat 0.52 MW on a residential meter; 40 ASICs seen on site.")
    browser.find_element(By.NAME, "operator_bin").send_keys(OPERATOR_BIN)
    browser.find_element(By.NAME, "operator_name").send_keys("Zhetysu Hash")
    page.submit_decision()
    assert page.messages() == ["Confirm as illegal operation: UNLICENSED_MINING AL-7001"]
    assert page.flag_subjects() == []
    assert "0 flags" in page.text(".paginator")

    # Facilities, from the home page: FAC-B1's suspicion is gone; FAC-X is still suspected, its flag awaiting the visit.
    page.click_through(page.link("Home", within="//div[@class='breadcrumbs']"))
    page.click_through(page.link("Facilities", within="//div[@id='content-main']"))
    assert page.legal_status("FAC-B1") == "—"
    assert page.legal_status("FAC-X") == "Suspected illegal"

    # From FAC-X's page, record the inspection that found an illegal operation.
    page.click_through(page.link("FAC-X", within="//table[@id='result_list']"))
    page.click_through(page.link("Record an inspection"))
    assert page.find("//h1").text == "Add inspection"
    assert "FAC-X — Beta site X" in page.text(".field-facility")
    visit = clock.today() - dt.timedelta(days=1)
    date = browser.find_element(By.ID, "id_date")
    date.clear()
    date.send_keys(visit.isoformat())
    browser.find_element(By.XPATH, "//select[@id='id_inspectors_from']/option[normalize-space()='ivan']").click()
    browser.find_element(By.ID, "id_inspectors_add").click()
    page.find("//select[@id='id_inspectors_to']/option[normalize-space()='ivan']")
    browser.find_element(By.ID, "id_findings").send_keys("120 ASIC miners running off KR-0002; no licence shown.")
    browser.find_element(By.ID, "id_devices_found").send_keys("120")
    Select(browser.find_element(By.ID, "id_outcome")).select_by_visible_text("Illegal operation")
    page.click_through(browser.find_element(By.NAME, "_save"))
    assert page.messages() == [f"The inspection “FAC-X {visit.isoformat()}” was added successfully."]

    # The facility list now calls FAC-X illegal, and the legal-status filter agrees.
    page.click_through(page.link("Home", within="//div[@class='breadcrumbs']"))
    page.click_through(page.link("Facilities", within="//div[@id='content-main']"))
    assert page.legal_status("FAC-X") == "Illegal"
    assert page.legal_status("FAC-B1") == "—"
    browser.save_screenshot(str(Path(tempfile.gettempdir()) / "browser_final.png"))
    page.click_through(page.link("Illegal", within="//details[@data-filter-title='legal status']"))
    assert [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#result_list th.field-ref")] == ["FAC-X"]

    flags = {key: Flag.objects.get(pk=flag.pk) for key, flag in world.items()}
    assert (flags["b1"].status, flags["b1"].decision_reason) == (
        "dismissed",
        "KR-0001 feeds the neighbouring dairy; the site has been idle since spring.",
    )
    assert flags["farm"].status == "confirmed"
    assert (flags["farm"].firm.bin, flags["farm"].firm.name, flags["farm"].firm.origin) == (
        OPERATOR_BIN,
        "Zhetysu Hash",
        "unregistered",
    )
    assert flags["medium"].status == "open"
    inspection = Inspection.objects.get()
    assert (inspection.facility.ref, inspection.date, inspection.outcome, inspection.devices_found) == (
        "FAC-X",
        visit,
        "illegal_operation",
        120,
    )
    assert (inspection.firm, list(inspection.inspectors.all())) == (firm_b, [inspector])
    assert Firm.objects.count() == 2  # firm B and the operator the confirmation registered

    assert applies_to == "This applies to 1 flag:"
    # The visit settled FAC-X's own flag, which was under inspection.
    assert flags["x"].status == "confirmed"
