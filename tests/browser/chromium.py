"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by /usr/bin/chromedriver.

A pytest plugin (`pytest_plugins` in tests/conftest.py), so that every package's tests get the `browser` fixture.
"""

import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


@pytest.fixture
def browser(request):
    """A fresh headless Chromium that asks for English pages; a screenshot is left in the temp dir on failure."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.skip(
            f"browser test needs Debian's Chromium and its driver: missing {', '.join(missing)} "
            "(apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="minereg-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,1000",
            "--lang=en-US",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(argument)
        # The site speaks ru/kk/en and picks by Accept-Language (LocaleMiddleware).
        options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield driver
            if getattr(request.node, "browser_call_failed", False):
                driver.save_screenshot(str(Path(tempfile.gettempdir()) / f"browser_failure_{request.node.name}.png"))
        finally:
            driver.quit()
