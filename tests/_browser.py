"""Headless Chromium for the map test and the README screenshot (not used by the pipeline)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["find_chromium", "headless_page"]


def find_chromium() -> tuple[str, str] | None:
    """Return the paths of Chromium and ChromeDriver (Debian: chromium, chromium-driver)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def headless_page(html: Path, *, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """Open the local HTML file `html` in headless Chromium and yield the Selenium driver.

    The browser's console log is kept (``driver.get_log("browser")``).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError(
            "headless Chromium not found: install Debian's chromium and chromium-driver"
        )
    browser, driver_path = found
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        driver.get(Path(html).resolve().as_uri())
        time.sleep(1.5)  # let Leaflet draw
        yield driver
    finally:
        driver.quit()
