"""Data as Dutch providers ship it and hand-built cases a new user tries first.

Each test here failed on main before the fix it names: OSM buildings classified by their tag,
streets a street's width from their houses accepted, multi-part LVBAG deliveries read whole,
PDOK's verblijfsobject shapefile recognised, a SUFRIB folder with a fragment kept.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, box

from warmtegis import InputError, run_study
from warmtegis.buildings.classify import classify_buildings
from warmtegis.cli import main
from warmtegis.core.plausible import check_overlap
from warmtegis.datasets import get_path
from warmtegis.inputs.bag import read_buildings

DATA = Path(__file__).parent / "data"

# tests/data/otterlo_handmade.osm: twelve OSM building outlines placed by hand near Otterlo,
# with the dwellings each one holds counted by hand from its tags
OSM_EXPECTED = {
    "house": (4, 4),  # four terraced houses tagged building=house: 1 dwelling each
    "semidetached_house": (2, 2),
    "apartments": (1, 12),  # building:flats=12
    "garage": (1, 0),
    "yes": (2, 1),  # an 8 x 10 m outline is a house by its footprint, a 3 x 3 m one is not
    "school": (1, 0),
    "construction": (1, 0),  # not in use yet
}


def test_osm_buildings_are_classified_by_their_tags():
    """An OSM building tag is a use, not a register status (every building read as not in use)."""
    b = read_buildings(DATA / "otterlo_handmade.osm")
    # building=demolished is dropped, building=no is not a building
    assert len(b) == 12
    cls = classify_buildings(b).join(b["building"])
    got = {tag: (len(g), int(g["dwellings"].sum())) for tag, g in cls.groupby("building")}
    assert got == OSM_EXPECTED
    assert cls.loc[cls["building"] == "construction", "category"].item() == "not_in_use"
    assert cls.loc[cls["building"] == "school", "category"].item() == "non_residential"


def test_osm_study_end_to_end(tmp_path):
    """Buildings and the street from one OSM file: the study counts the hand-counted dwellings."""
    osm = DATA / "otterlo_handmade.osm"
    (tmp_path / "study.toml").write_text(
        f'[study]\nname = "osm"\n[inputs]\nbuildings = "{osm}"\nroads = "{osm}"\n'
    )
    result = run_study(tmp_path / "study.toml")
    summary = result.summary.set_index("key")["value"]
    assert summary["dwellings"] == sum(d for _, d in OSM_EXPECTED.values()) == 19


# ---- a street beside its houses is the same area (the extents need not overlap)


def _row_and_street(kind: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Six 6 x 9 m terraced houses and one street 5.5 m in front (or 5 m past the row's end)."""
    x0, y0 = 181_000.0, 457_000.0
    houses = [box(x0 + 6 * k, y0, x0 + 6 * (k + 1), y0 + 9) for k in range(6)]
    if kind == "end-on":
        street = LineString([(x0 + 36 + 5, y0 + 4.5), (x0 + 136, y0 + 4.5)])
    else:
        street = LineString([(x0 - 20, y0 - 5.5), (x0 + 56, y0 - 5.5)])
    b = gpd.GeoDataFrame(
        {"identificatie": [f"02210000000000{k:02d}" for k in range(6)]},
        geometry=houses,
        crs="EPSG:28992",
    )
    r = gpd.GeoDataFrame({"wvk_id": [1]}, geometry=[street], crs="EPSG:28992")
    if kind == "diagonal":
        b = b.set_geometry(b.rotate(45, origin=(x0, y0)))
        r = r.set_geometry(r.rotate(45, origin=(x0, y0)))
    return b, r


@pytest.mark.parametrize("kind", ["straight", "diagonal", "end-on"])
def test_street_in_front_of_its_houses_is_not_another_area(kind, tmp_path):
    b, r = _row_and_street(kind)
    gap = shapely.distance(shapely.box(*b.total_bounds), shapely.box(*r.total_bounds))
    assert kind == "diagonal" or gap == pytest.approx(5.5 if kind == "straight" else 5.0)
    check_overlap(b, {"roads": r})  # refused as "0.0 km apart" before
    far = r.set_geometry(r.translate(0, -3_000))  # another town
    with pytest.raises(InputError, match=r"roads \(roads\) lie [23]\.\d km from the buildings"):
        check_overlap(b, {"roads": far})


def test_real_wegvak_with_the_panden_along_it(tmp_path):
    """One NWB wegvak of Wageningen and the four BAG panden 14-15 m from it run as a study."""
    w = gpd.read_file(get_path("wageningen/nwb_wegvakken.gpkg"))
    w = w[w["wvk_id"] == 348286048]
    b = gpd.read_file(get_path("wageningen/bag_pand.gpkg"))
    b = b[b["identificatie"].isin(
        [289100000003154, 289100000008113, 289100000008152, 289100000003273]
    )]  # fmt: skip
    assert len(w) == 1 and len(b) == 4
    assert not shapely.box(*w.total_bounds).intersects(shapely.box(*b.total_bounds))
    w.to_file(tmp_path / "weg.gpkg")
    b.to_file(tmp_path / "pand.gpkg")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "straat"\n[inputs]\nbuildings = "pand.gpkg"\nroads = "weg.gpkg"\n'
    )
    res = CliRunner().invoke(
        main, ["-q", "run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o.gpkg")]
    )
    assert res.exit_code == 0, res.output
    summary = gpd.read_file(tmp_path / "o.gpkg", layer="summary").set_index("key")["value"]
    assert summary["buildings"] == 4
