"""Outputs for people: heat-density raster, folium map (in a real browser), summary, notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import nbformat
import numpy as np
import pytest
import rasterio
from _browser import asset, headless_page, skip_without
from nbclient import NotebookClient
from shapely.geometry import box

import warmtegis as wg
from warmtegis.outputs.map import PIPE_COLOURS, to_folium, write_map
from warmtegis.outputs.raster import heat_density
from warmtegis.outputs.summary import summary_markdown

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:28992"


def test_heat_density_by_hand():
    # 50 m cells (0.25 ha): two buildings in the cell (1000..1050, 2050..2100), one in the
    # cell two columns right and one row down
    b = gpd.GeoDataFrame(
        {"heat_demand_gj": [40.0, 60.0, 25.0, np.nan]},
        geometry=[
            box(1010, 2060, 1020, 2070),
            box(1030, 2080, 1040, 2090),
            box(1110, 2010, 1120, 2020),
            box(1500, 2500, 1510, 2510),  # no demand: ignored
        ],
        crs=CRS,
    )
    grid, transform = heat_density(b, cell_m=50)
    assert (transform.c, transform.f, transform.a, transform.e) == (1000, 2100, 50, -50)
    assert grid.shape == (2, 3)
    assert grid[0, 0] == pytest.approx(100 / 0.25)  # 400 GJ/ha
    assert grid[1, 2] == pytest.approx(25 / 0.25)
    assert grid.sum() * 0.25 == pytest.approx(125.0)


def test_heat_density_raster_of_otterlo(otterlo, tmp_path):
    buildings = otterlo.layers["buildings"]
    path = wg.write_heat_density(buildings, tmp_path / "heat.tif")
    with rasterio.open(path) as r:
        values = r.read(1)
        assert r.crs.to_epsg() == 28992
        assert r.res == (100.0, 100.0)
        assert r.transform.c % 100 == 0 and r.transform.f % 100 == 0
    # 100 m cells are 1 ha: the cells add up to the buildings' total demand
    assert values.sum() == pytest.approx(buildings["heat_demand_gj"].sum(), rel=1e-6)
    assert values.max() > 0


def test_map_layers_and_popups(otterlo):
    m = to_folium(otterlo, tiles=None)
    html = m.get_root().render()
    for name in (
        "Vrije sleufruimte",
        "Knelpunten",
        "Warmtenet: leidingen (klasse, DN)",
        "Mini-warmtenetten: groepen",
        "Gebouwen (mini-warmtenet, warmtenet)",
        "Straten: past de sleuf?",
        "Obstakels (wortelzones, rioolafstand)",
    ):
        assert name in html
    for name in ("Mini-warmtenetten: bodemlussen", "Mini-warmtenetten: sleuf"):
        assert name in html
    assert "vrije breedte (m)" in html and "geblokkeerd door" in html  # segment popup
    assert "piekvermogen (kW)" in html and "DN" in html  # pipe popup
    assert "investering per woning (incl. btw)" in html  # mini-net popup
    assert "warmtegis-legend" in html
    for entry in ("warmtebron", "mini-warmtenet: bodemlus", "mini-warmtenet: sleuf"):
        assert entry in html  # the legend names every kind of feature on the map
    assert "tile.openstreetmap" not in html  # no tiles: renders offline
    # self-contained by default: Leaflet inlined, none of folium's six CDNs linked
    assert "<script src=" not in html and "stylesheet" not in html
    assert "L.Map" in html or "Leaflet" in html
    # popups in euros, rounded, Dutch notation (no cents, no raw codes)
    nets = otterlo.layers["mini_nets"]
    first = nets["capex_per_dwelling_eur"].iloc[0]
    assert json.dumps(f"€ {first:,.0f}".replace(",", ".")) in html
    assert '"goedkoopst": "mini-warmtenet"' in html or '"goedkoopst": "eigen' in html


def test_map_with_missing_assets_leaves_the_old_map(otterlo, tmp_path):
    out = tmp_path / "map.html"
    out.write_text("good map")
    with pytest.raises(wg.InputError, match=r"leaflet\.js"):
        write_map(otterlo, out, assets=tmp_path / "nowhere")
    assert out.read_text() == "good map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_summary_markdown(otterlo):
    md = summary_markdown(otterlo)
    assert md.startswith("# warmtegis summary: otterlo")
    assert "| pipes_secondary |" in md and "| MT_npv |" in md


def leaflet_dist() -> Path | None:
    path = asset("leaflet")
    return path if (path / "leaflet.js").is_file() else None


def test_map_in_headless_chromium(otterlo, tmp_path):
    skip_without("chromium")
    from selenium.webdriver.common.by import By

    # the default map: Leaflet inlined from warmtegis's own copy (no CDN, no assets needed)
    html = write_map(otterlo, tmp_path / "otterlo.html", tiles=None)
    with headless_page(html) as page:
        errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        labels = [
            el.text
            for el in page.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")
        ]
        assert "Warmtenet: leidingen (klasse, DN)" in labels
        assert "Mini-warmtenetten: groepen" in labels and "Knelpunten" in labels
        drawn = page.execute_script("return document.querySelectorAll('canvas').length")
        assert drawn >= 1  # prefer_canvas: the vector layers are drawn on a canvas
        legend = page.find_element(By.ID, "warmtegis-legend")
        assert legend.is_displayed()
        # the metric scale bar stays visible: the legend does not cover it
        scale = page.find_element(By.CSS_SELECTOR, ".leaflet-control-scale")
        assert scale.is_displayed()
        a, b = legend.rect, scale.rect
        apart = (
            a["x"] >= b["x"] + b["width"]
            or b["x"] >= a["x"] + a["width"]
            or a["y"] >= b["y"] + b["height"]
            or b["y"] >= a["y"] + a["height"]
        )
        assert apart, (a, b)
        # every feature of every layer is on the map, styled and with its popup (the
        # layers' features are added to the page as text, see export._layer_class)
        found = page.execute_script(_OVERLAYS_JS)
    layers = otterlo.layers
    expected = {
        "Vrije sleufruimte": "free_corridors",
        "Obstakels (wortelzones, rioolafstand)": "obstacles",
        "Straten: past de sleuf?": "road_segments",
        "Knelpunten": "bottlenecks",
        "Warmtenet: leidingen (klasse, DN)": "pipes",
        "Mini-warmtenetten: groepen": "mini_nets",
        "Gebouwen (mini-warmtenet, warmtenet)": "buildings",
    }
    for label, key in expected.items():
        assert found[label]["n"] == int(layers[key].geometry.notna().sum()), label
        assert found[label]["popup"], label
        assert found[label]["empty"] == 0, label  # no feature simplified away
    pipes = found["Warmtenet: leidingen (klasse, DN)"]
    assert {c: PIPE_COLOURS[c] for c, _ in pipes["pipe_class_colour"]} == dict(
        pipes["pipe_class_colour"]
    )
    assert set(c for c, _ in pipes["pipe_class_colour"]) == set(layers["pipes"]["pipe_class"])
    seg = layers["road_segments"]
    streets = found["Straten: past de sleuf?"]
    assert sorted(streets["ids"]) == sorted(seg["segment_id"].astype(str))
    assert "vrije breedte (m)" in streets["first_popup"]


# per overlay of the layer control: its features, the popup of the first one, and for the
# pipes each feature's class and drawn colour
_OVERLAYS_JS = """
const key = Object.keys(window).find(k => /^layer_control_.*_layers$/.test(k));
const out = {};
for (const [label, group] of Object.entries(window[key].overlays)) {
    const subs = group.getLayers();
    const popup = group.getPopup();
    out[label] = {
        n: subs.length,
        empty: subs.filter(l => l.getLatLngs && l.getLatLngs().flat(Infinity).length === 0).length,
        popup: popup !== undefined,
        first_popup: popup && subs.length ? popup._content(subs[0]).innerHTML : "",
        ids: subs.map(l => String(l.feature.properties.segment_id)),
        pipe_class_colour: subs.filter(l => l.feature.properties.pipe_class !== undefined)
            .map(l => [l.feature.properties.pipe_class, l.options.color]),
    };
}
return out;
"""


@pytest.mark.parametrize(
    "notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")), ids=str
)
def test_notebook_runs_top_to_bottom(notebook):
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []


def test_map_features_text_is_script_safe_geojson():
    """The features text the map embeds is GeoJSON (json.loads) and cannot close its <script>."""
    import json

    from warmtegis.outputs.map import _features_json

    name = "</script><b>Kerk & 'Dorp'</b>"
    gdf = gpd.GeoDataFrame(
        {"street_name": [name, None], "width_m": [4.25, 3.0]},
        geometry=[box(5.8, 52.0, 5.81, 52.01), None],
        crs=4326,
    )
    text, props = _features_json(gdf)
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    fc = json.loads(text)
    assert [f["properties"] for f in fc["features"]] == [{"street_name": name, "width_m": 4.25}]
    assert fc["features"][0]["id"] == "0" and props == [{"street_name": name, "width_m": 4.25}]
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
