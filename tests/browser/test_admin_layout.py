"""The regulator's lists at a laptop's 1366 x 768, in each language: every column on screen, no sideways scroll.

Also leaves screenshots of the admin home and the dashboard for a person to look at after the run.
"""

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django_otp.oath import totp
from selenium.webdriver.common.by import By

from registry import clock
from registry.models import Licence
from tests.browser.waits import Steps
from tests.factories import (
    EnforcementActionFactory,
    FacilityFactory,
    FirmFactory,
    FlagFactory,
    GridConnectionFactory,
    InspectionFactory,
    LicenceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = "/tmp/admin_{name}_1366.png"  # nosec B108  # for a person to look at after the run
LISTS = {
    "/admin/registry/flag/": "created",
    "/admin/registry/facility/": "devices",
    "/admin/registry/licence/": "validity",
}


@pytest.fixture
def crowded(db, inspector):
    """Rows with the longest things each list shows: long firm names, every legal status, a suspended licence."""
    firm = FirmFactory(name="Saryarka Data Centre Holding Limited Liability Partnership", region="east_kazakhstan")
    suspected = FacilityFactory(
        firm=firm, ref="FAC-201-1", name="Ust-Kamenogorsk data hall 2", region="east_kazakhstan"
    )
    licensed = FacilityFactory(firm=firm, ref="FAC-201-2", name="Semey site", capacity_mw=Decimal("35.5"))
    LicenceFactory(firm=firm, facilities=[licensed], number="KZ-DM-2026-000001")
    LicenceFactory(
        firm=firm,
        number="KZ-DM-2026-000002",
        status=Licence.Status.SUSPENDED,
        valid_from=dt.date(2026, 8, 9),
        valid_until=dt.date(2029, 8, 8),
        suspended_until=dt.date(2027, 1, 15),
    )
    LicenceFactory(firm=firm, status=Licence.Status.UNDER_REVIEW)
    FlagFactory(facility=suspected, firm=firm, evidence={"avg_mw": 11.05, "peak_mw": 12.2})
    meter = GridConnectionFactory(meter_id="ALM-002117", tariff="residential", region="almaty")
    FlagFactory(rule="CURTAILED_LOAD", connection=meter, evidence={"avg_mw": 0.442}, month=dt.date(2026, 11, 1))
    closed = FacilityFactory(firm=FirmFactory(name="Closed Operation Kyzylorda"), ref="FAC-202-1")
    EnforcementActionFactory(action="voluntary_closure", facility=closed, firm=closed.firm)
    InspectionFactory(facility=suspected, date=clock.today(), outcome="").inspectors.add(inspector)


class Page(Steps):
    def log_in(self, user):
        self.open("/admin/login/")
        self.driver.find_element(By.ID, "id_username").send_keys(user.username)
        self.driver.find_element(By.ID, "id_password").send_keys("pass")
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "#login-form input[type='submit']"))
        key = base64.b32decode(self.driver.find_element(By.CSS_SELECTOR, "code.secret").text.replace(" ", ""))
        self.driver.find_element(By.ID, "id_token").send_keys(f"{totp(key):06d}")
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "#second-factor-form input[type='submit']"))

    def overflow(self) -> dict:
        """How far the list and the page reach past what the window shows, in CSS pixels."""
        return self.driver.execute_script(
            "var results = document.querySelector('#changelist .results'), page = document.documentElement;"
            "return {list: results.scrollWidth - results.clientWidth, page: page.scrollWidth - page.clientWidth};"
        )

    def right_edge(self, column) -> float:
        header = self.driver.find_element(By.CSS_SELECTOR, f"#result_list thead th.column-{column}")
        return self.driver.execute_script("return arguments[0].getBoundingClientRect().right", header)


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_every_column_of_the_regulators_lists_shows_at_1366_px(browser, live_server, regulator, crowded, language):
    browser.set_window_size(1366, 768)
    page = Page(browser, live_server.url)
    page.log_in(regulator)
    browser.add_cookie({"name": "django_language", "value": language})
    width = browser.execute_script("return document.documentElement.clientWidth")

    for path, last_column in LISTS.items():
        page.open(path)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        assert page.overflow() == {"list": 0, "page": 0}, (language, path)
        assert page.right_edge(last_column) <= width, (language, path)

    page.open("/admin/")
    browser.save_screenshot(SCREENSHOTS.format(name=f"home_{language}"))


def test_the_dashboard_and_home_fit_1366_px(browser, live_server, regulator, crowded):
    browser.set_window_size(1366, 768)
    page = Page(browser, live_server.url)
    page.log_in(regulator)
    for name, path in (("home", "/admin/"), ("dashboard", "/admin/dashboard/")):
        page.open(path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, path
        browser.save_screenshot(SCREENSHOTS.format(name=name))
