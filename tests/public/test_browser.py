"""The register in a real browser: search without JavaScript, readable on a phone, the language switch."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _until(browser, condition):
    """Wait for the page a click opened (the old page's elements go stale meanwhile)."""
    WebDriverWait(browser, 15, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def test_a_visitor_searches_checks_and_switches_language_without_javascript(browser, live_server, world):
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(live_server.url + "/register/")

    browser.find_element(By.ID, "id_q").send_keys("altyn")
    Select(browser.find_element(By.ID, "id_region")).select_by_value("karaganda")
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    _until(browser, lambda d: "q=altyn" in d.current_url)
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.register tbody tr > *")]
    assert world.licences["altyn-2"].number in cells and world.licences["altyn-1"].number not in cells

    browser.find_element(By.LINK_TEXT, "Check an operator").click()
    _until(browser, lambda d: "/register/check/" in d.current_url)
    browser.find_element(By.ID, "id_q").send_keys(world.firms["raided"].bin)
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    _until(browser, lambda d: "q=" in d.current_url)
    assert "On the warning list" in browser.find_element(By.CSS_SELECTOR, "section.verdict h2").text

    Select(browser.find_element(By.ID, "language")).select_by_value("ru")
    browser.find_element(By.CSS_SELECTOR, "form.language button").click()
    _until(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru")
    assert browser.current_url.startswith(live_server.url + "/register/check/?q=")


@pytest.mark.parametrize("path", ["/register/", "/register/warnings/", "/register/check/?q=KZ-DM-2025-900001"])
def test_pages_fit_a_phone_screen(browser, live_server, world, path):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )
    browser.get(live_server.url + path)

    assert browser.execute_script("return window.innerWidth") == 390
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    first = browser.find_element(By.CSS_SELECTOR, "table.register tbody tr")
    assert first.size["width"] <= 390
