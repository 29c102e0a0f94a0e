"""Headless Chromium for the map test and the README screenshot (not used by the pipeline)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["BROWSER_DEPS", "asset", "find_chromium", "headless_page", "skip_without"]

#: What a skipped browser test says: what it needs and the one command that installs it.
BROWSER_DEPS = (
    'run `eval "$(bash scripts/browser-test-deps.sh)"` (Debian\'s chromium + chromium-driver, '
    "Leaflet 1.9.4 and axe-core 4.14.1 from npm; sets WARMTEGIS_LEAFLET_DIST and WARMTEGIS_AXE_JS)"
)


def asset(name: str) -> Path:
    """Leaflet's dist folder (``"leaflet"``) or axe.min.js (``"axe"``): the variable, else the
    place scripts/browser-test-deps.sh puts it."""
    import os

    ci = Path(__file__).parents[1] / ".ci-assets"
    if name == "leaflet":
        return Path(os.environ.get("WARMTEGIS_LEAFLET_DIST") or ci / "package" / "dist")
    return Path(os.environ.get("WARMTEGIS_AXE_JS") or ci / "axe" / "package" / "axe.min.js")


def skip_without(*needs: str) -> None:
    """Skip the calling test when one of `needs` is missing, saying how to install it.

    `needs`: ``"chromium"``, ``"leaflet"`` (WARMTEGIS_LEAFLET_DIST), ``"axe"``
    (WARMTEGIS_AXE_JS). Under CI (``CI`` set) a missing one fails the test instead.
    """
    import os

    import pytest

    missing = []
    if "chromium" in needs and find_chromium() is None:
        missing.append("headless Chromium and ChromeDriver")
    if "leaflet" in needs and not (asset("leaflet") / "leaflet.js").is_file():
        missing.append("Leaflet's files (WARMTEGIS_LEAFLET_DIST)")
    if "axe" in needs and not asset("axe").is_file():
        missing.append("axe-core (WARMTEGIS_AXE_JS)")
    if missing:
        message = f"needs {', '.join(missing)}: {BROWSER_DEPS}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide it: {message}")
        pytest.skip(message)


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
