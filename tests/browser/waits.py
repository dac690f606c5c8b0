"""Waiting for a page a click opened."""

from selenium.common.exceptions import WebDriverException


def detached(element) -> bool:
    """The old page's element is gone; Chromium may say so as a stale reference or an inspector error."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException or "Node … does not belong to the document"
        return True
    return False
