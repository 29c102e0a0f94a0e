"""Screenshot the demo's folium map in headless Chromium to docs/otterlo_map.png.

Run: python docs/make_map_screenshot.py LEAFLET_DIST
LEAFLET_DIST is a folder with Leaflet 1.9's leaflet.js and leaflet.css (e.g. from
``npm pack leaflet@1.9.4``), inlined so the page renders without internet (no tiles).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from warmtegis import run_study
from warmtegis.datasets import get_path
from warmtegis.outputs.map import write_map

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from _browser import headless_page

OUT = Path(__file__).parent / "otterlo_map.png"


def main(assets: Path) -> None:
    """Run the demo, write its map with inlined Leaflet and save a screenshot."""
    result = run_study(get_path("otterlo/study.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        html = write_map(result, Path(tmp) / "otterlo.html", tiles=None, assets=assets)
        with headless_page(html) as page:
            page.save_screenshot(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
