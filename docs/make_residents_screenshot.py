"""Screenshot the residents' page after a search, on a phone-sized window: docs/residents.png.

Run: python docs/make_residents_screenshot.py
Builds the site of the bundled Voorburg buurten, searches the first address of a mini-net
candidate group and saves the page as a 420 px wide phone would show it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from warmtegis import run_study
from warmtegis.datasets import get_path
from warmtegis.outputs.residents import write_residents_site

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from _browser import headless_page

OUT = Path(__file__).parent / "residents.png"


def main() -> None:
    """Build the site, search one group member's address and save a screenshot."""
    from selenium.webdriver.common.by import By

    result = run_study(get_path("voorburg/study.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        page = write_residents_site(result, Path(tmp) / "site")
        found = []
        for chunk in sorted((page.parent / "data" / "adressen").glob("*.js")):
            text = chunk.read_text(encoding="utf-8")
            data = json.loads(text[text.index(",") + 1 : text.rindex(")")])
            found += [
                (pc, k) for pc, streets in data.items() for k, r in streets.items() if r[0] == "g"
            ]
        postcode, number = found[0]
        with headless_page(page, width=420, height=1500) as driver:
            driver.find_element(By.ID, "postcode").send_keys(postcode)
            driver.find_element(By.ID, "huisnummer").send_keys(number)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            time.sleep(1.0)
            driver.execute_script("document.getElementById('zoek').scrollIntoView()")
            driver.save_screenshot(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
