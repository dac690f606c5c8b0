"""A flag's page in a real browser: a chart an inspector can read at 1366 px, and a decision taken from a button."""

import base64
import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp.oath import totp
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from registry.models import Flag, MeterReading
from tests.browser.waits import Steps
from tests.factories import FlagFactory, FlagMeterFactory, GridConnectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = "/tmp/flag_page.png"  # nosec B108  # for a person to look at after the run
SCREENSHOT_RU = "/tmp/flag_page_ru.png"  # nosec B108


@pytest.fixture
def split_flag(db):
    """Four flats at one address, 25-45 kW each, flat within 1% all month but for a night's outage: one farm."""
    window_end = timezone.now().replace(minute=0, second=0, microsecond=0)
    window_start = window_end - dt.timedelta(days=30)
    noise = random.Random(14)
    flats = [
        GridConnectionFactory(
            meter_id=f"AB-12-{n}", tariff="residential", address=f"Abai street 12, apt {n}", region="almaty"
        )
        for n in range(1, 5)
    ]
    flag = FlagFactory(
        rule="SPLIT_LOAD",
        connection=flats[0],
        subject_ref="abai street 12",
        window_start=window_start,
        window_end=window_end,
        evidence={"avg_mw": 0.138, "peak_mw": 0.142, "load_factor": 0.97, "coverage": 0.99, "meters": 4},
    )
    readings = []
    for n, flat in enumerate(flats):
        FlagMeterFactory(flag=flag, connection=flat, role="member")
        level = 25 + 6 * n
        for hour in range(30 * 24):
            if 200 <= hour < 206:  # an outage: no readings at all
                continue
            kwh = Decimal(f"{level * (1 + noise.uniform(-0.01, 0.01)):.3f}")
            readings.append(
                MeterReading(connection=flat, period_start=window_start + dt.timedelta(hours=hour), kwh=kwh)
            )
    MeterReading.objects.bulk_create(readings)
    return flag


class Page(Steps):
    def find(self, xpath):
        return self.wait.until(ec.presence_of_element_located((By.XPATH, xpath)))

    def log_in(self, user):
        self.open("/admin/login/")
        self.driver.find_element(By.ID, "id_username").send_keys(user.username)
        self.driver.find_element(By.ID, "id_password").send_keys("pass")
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "#login-form input[type='submit']"))
        key = base64.b32decode(self.driver.find_element(By.CSS_SELECTOR, "code.secret").text.replace(" ", ""))
        self.driver.find_element(By.ID, "id_token").send_keys(f"{totp(key):06d}")
        self.click_through(self.driver.find_element(By.CSS_SELECTOR, "#second-factor-form input[type='submit']"))

    def chart(self) -> dict:
        """The drawn chart: its canvas's size on screen and its axis titles."""
        self.wait.until(lambda d: d.execute_script("return !!window.Chart && !!Chart.getChart('flag-chart')"))
        return self.driver.execute_script(
            "var chart = Chart.getChart('flag-chart'), box = chart.canvas.getBoundingClientRect();"
            "return {width: box.width, height: box.height, y: chart.options.scales.y.title.text,"
            " x: chart.options.scales.x.title.text,"
            " datasets: chart.data.datasets.map(function (d) { return d.label; }),"
            " ticks: chart.scales.x.ticks.map(function (t) { return t.label; }).filter(Boolean)};"
        )

    def screenshot(self, path):
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(path)

    def script_errors(self) -> list[str]:
        """What the browser's console reported as errors since the last call (the missing favicon aside)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
        ]

    def messages(self):
        return [li.text for li in self.driver.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


def test_a_regulator_reads_the_chart_of_a_split_load_and_dismisses_it_from_its_page(
    browser, live_server, regulator, split_flag, settings
):
    settings.DEBUG = True  # as `make run` serves it: the database cursor is wrapped for debugging
    browser.set_window_size(1366, 1500)
    page = Page(browser, live_server.url)
    page.log_in(regulator)
    page.script_errors()

    # The regulator's day starts on the admin home: one open flag, high; its link opens the queue, then the flag.
    assert "1 open flag" in page.find("//div[@id='queue-flags']").text
    page.click_through(page.link("1 high", within="//div[@id='queue-flags']"))
    page.click_through(page.link("Mining load split over several meters", within="//table[@id='result_list']"))
    assert f"/admin/registry/flag/{split_flag.pk}/change/" in browser.current_url

    chart = page.chart()
    assert chart["width"] >= 800 and chart["height"] >= 250, chart
    assert "MW" in chart["y"]
    assert chart["datasets"][:4] == ["AB-12-1", "AB-12-2", "AB-12-3", "AB-12-4"]
    assert chart["datasets"][4:] == ["Sum of the 4 meters", "Minimum average load: 0.100 MW"]
    assert 5 <= len(chart["ticks"]) <= 12  # a day's label every few days, in local time
    assert not browser.find_element(By.CSS_SELECTOR, ".flag-chart-figures").is_displayed()  # the chart says it
    page.screenshot(SCREENSHOT)
    assert page.script_errors() == []  # no script error, no refusal by the content security policy

    # The same page in Russian: the axis speaks Russian too.
    browser.add_cookie({"name": "django_language", "value": "ru"})
    page.open(f"/admin/registry/flag/{split_flag.pk}/change/")
    chart_ru = page.chart()
    assert "МВт" in chart_ru["y"]
    page.screenshot(SCREENSHOT_RU)
    assert page.script_errors() == []
    browser.add_cookie({"name": "django_language", "value": "en"})
    page.open(f"/admin/registry/flag/{split_flag.pk}/change/")

    # Dismiss from the page's button: the reason form, then back on the page with the result.
    page.click_through(page.link("Dismiss", within="//div[@class='flag-decisions']"))
    assert page.find("//h1").text == "Dismiss"
    browser.find_element(By.NAME, "reason").send_keys("Inspected: four flats with electric heating, no miners.")
    page.click_through(browser.find_element(By.CSS_SELECTOR, "#content-main form input[type='submit']"))

    assert page.messages() == ["Dismiss: SPLIT_LOAD abai street 12"]
    assert browser.find_element(By.CSS_SELECTOR, ".field-status .readonly").text == "Dismissed"
    assert browser.find_elements(By.CSS_SELECTOR, ".flag-decisions") == []
    assert Flag.objects.get(pk=split_flag.pk).status == "dismissed"
