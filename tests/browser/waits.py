"""Waiting for a page a click opened, and the steps every browser test builds on."""

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 15


def detached(element) -> bool:
    """The old page's element is gone; Chromium may say so as a stale reference or an inspector error."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException or "Node … does not belong to the document"
        return True
    return False


class Steps:
    """What a person does with the browser, each step waiting for what they would wait for."""

    link_scope = "//body"  # where link() looks for a link by its text

    def __init__(self, driver, base_url):
        self.driver = driver
        self.base_url = base_url
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def open(self, path):
        self.driver.get(self.base_url + path)
        self._loaded()

    def click_through(self, element):
        """Click something that loads a new page, and wait until it has."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.wait.until(lambda _driver: detached(old))
        self._loaded()

    def _loaded(self):
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    def link(self, text, within=None):
        within = self.link_scope if within is None else within
        return self.wait.until(ec.element_to_be_clickable((By.XPATH, f"{within}//a[normalize-space()='{text}']")))
