"""Formats as Dutch providers ship them, read from real files and checked against plain GDAL.

LVBAG deliveries (zip of zips, one zip, XML, a folder, /vsizip/ paths), BAG verblijfsobjecten,
PDOK's shapefile export with 10-character names, OpenStreetMap XML and PBF (tag-filtered),
SUFRIB 2.1 sewer inspection files and shapefiles without a .dbf.
"""

from __future__ import annotations

import bz2
import logging
import shutil
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import warmtegis as wg
from warmtegis.datasets import get_path
from warmtegis.inputs.bag import read_verblijfsobjecten
from warmtegis.inputs.sewers import read_sufrib

LVBAG = get_path("lvbag/BAGNLDL-15092020-small.zip")
VOORBURG = get_path("voorburg/bag_subset.gpkg")
SUFRIB = LVBAG.parents[1] / "sufrib"
KOUVOLA = get_path("osm/kouvola.osm.bz2")
RIBS = ["4F1 asfalt werk.rib", "Filmwijk nabij 231-0.rib"]


def _gdal_pand(path: str) -> gpd.GeoDataFrame:
    """Plain GDAL (pyogrio) read of LVBAG panden, current versions only."""
    g = pyogrio.read_dataframe(path)
    return g[g["eindGeldigheid"].isna()]


# ------------------------------------------------------------------------------ LVBAG
def test_lvbag_delivery_zip_of_zips(tmp_path):
    b = wg.read_buildings(LVBAG)
    gdal = _gdal_pand(f"/vsizip/{{/vsizip/{{{LVBAG}}}/9999PND15092020.zip}}")
    assert len(b) == len(gdal) > 0
    expected = gdal["identificatie"].str.replace("NL.IMBAG.Pand.", "", regex=False)
    assert sorted(b["building_id"]) == sorted(expected)
    assert b["source"].eq("lvbag").all() and b.crs.equals("EPSG:28992")
    assert b.area.sum() == pytest.approx(gdal.to_crs(28992).area.sum())


def test_lvbag_one_zip_xml_folder_and_vsizip(tmp_path):
    with zipfile.ZipFile(LVBAG) as zf:
        zf.extract("9999PND15092020.zip", tmp_path)
        zf.extract("9999VBO15092020.zip", tmp_path)
    one = tmp_path / "9999PND15092020.zip"
    folder = tmp_path / "xml"
    with zipfile.ZipFile(one) as zf:
        zf.extractall(folder)
    with zipfile.ZipFile(tmp_path / "9999VBO15092020.zip") as zf:
        zf.extractall(folder)
    xml = next(folder.glob("*PND*.xml"))
    reference = sorted(wg.read_buildings(LVBAG)["building_id"])
    for source, layer in (
        (one, None),
        (xml, None),  # an .xml that is not OSM goes to GDAL's LVBAG driver
        (folder, "Pand"),
        (f"/vsizip/{{{one}}}", None),
    ):
        assert sorted(wg.read_buildings(source, layer=layer)["building_id"]) == reference


def test_lvbag_verblijfsobjecten_count_units_per_pand():
    vbo = read_verblijfsobjecten(LVBAG)
    raw = pyogrio.read_dataframe(f"/vsizip/{{/vsizip/{{{LVBAG}}}/9999VBO15092020.zip}}")
    raw = raw[raw["eindGeldigheid"].isna()]
    assert vbo["vbo_id"].nunique() == len(raw)
    b = wg.read_buildings(LVBAG, verblijfsobjecten=LVBAG)
    # by hand from the raw records: units per pand through pandRef
    per_pand = (
        raw.explode("pandRef")["pandRef"].str.replace("NL.IMBAG.Pand.", "", regex=False)
    ).value_counts()
    got = b.set_index("building_id")["n_units"]
    for pand, n in per_pand.items():
        if pand in got.index:
            assert got[pand] == n
    assert "woonfunctie" in set(b["use"].dropna())


def test_voorburg_panden_with_verblijfsobjecten():
    """A BAG database export: {woonfunctie} and {NL.IMBAG.Pand...} as text."""
    b = wg.read_buildings(
        VOORBURG,
        layer="pand",
        verblijfsobjecten=VOORBURG,
        verblijfsobjecten_layer="verblijfsobject",
    )
    # independently: plain pandas on the raw layers
    vbo = pyogrio.read_dataframe(VOORBURG, layer="verblijfsobject", read_geometry=False)
    gone = ("Verblijfsobject ingetrokken", "Niet gerealiseerd verblijfsobject")
    vbo = vbo[~vbo["status"].isin(gone)]
    ref = vbo["pandref"].str.strip("{}").str.split(",").explode()
    ref = ref.str.replace("NL.IMBAG.Pand.", "", regex=False).value_counts()
    got = b.set_index("building_id")["n_units"]
    common = got.index.intersection(ref.index)
    assert len(common) > 0.95 * len(ref)
    assert (got[common] == ref[common]).all()
    assert int(got[~got.index.isin(ref.index)].sum()) == 0  # panden without a unit hold none
    dwell = vbo["gebruiksdoel"].str.contains("woonfunctie").sum()
    stock = wg.enrich_buildings(b)
    counted = stock.buildings["dwellings"].sum()
    # dwellings follow the register: apartments count their units, houses one each
    assert 0.9 * dwell <= counted <= 1.05 * len(vbo)


# ------------------------------------------------------------------------------ PDOK shapefile
def test_pdok_shapefile_names_read_like_the_geopackage(data, tmp_path, caplog):
    gpkg = wg.read_buildings(data("wageningen/bag_pand.gpkg"))
    raw = gpd.read_file(data("wageningen/bag_pand.gpkg"))
    shp = tmp_path / "pand.shp"
    with warnings.catch_warnings():  # GDAL itself truncates the names, as PDOK's export
        warnings.simplefilter("ignore")
        raw.to_file(shp, engine="pyogrio")
    assert "identifica" in pyogrio.read_info(shp)["fields"]
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        b = wg.read_buildings(shp)
    assert "'aantal_ver' as 'aantal_verblijfsobjecten'" in caplog.text
    pd.testing.assert_series_equal(b["building_id"], gpkg["building_id"])
    pd.testing.assert_series_equal(b["n_units"], gpkg["n_units"])
    assert (b["use"].fillna("") == gpkg["use"].fillna("")).all()
    cats_gpkg = wg.enrich_buildings(gpkg).buildings["category"].value_counts()
    cats_shp = wg.enrich_buildings(b).buildings["category"].value_counts()
    pd.testing.assert_series_equal(cats_gpkg, cats_shp)


def test_columns_option_names_other_columns(data, tmp_path, caplog):
    raw = gpd.read_file(data("wageningen/bag_pand.gpkg")).rename(
        columns={"identificatie": "pand_id", "aantal_verblijfsobjecten": "n_vbo"}
    )
    path = tmp_path / "renamed.gpkg"
    raw.to_file(path, layer="pand")
    b = wg.read_buildings(
        path, columns={"identificatie": "pand_id", "aantal_verblijfsobjecten": "n_vbo"}
    )
    ref = wg.read_buildings(data("wageningen/bag_pand.gpkg"))
    pd.testing.assert_series_equal(b["n_units"], ref["n_units"])
    with pytest.raises(wg.InputError, match=r"no column 'nope' \(for 'identificatie'\)"):
        wg.read_buildings(path, columns={"identificatie": "nope"})


def test_shapefile_without_dbf_warns(data, tmp_path, caplog):
    raw = gpd.read_file(data("delft_wippolder/bag_pand.gpkg"))
    shp = tmp_path / "pand.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw.to_file(shp, engine="pyogrio")
    shp.with_suffix(".dbf").unlink()
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        b = wg.read_buildings(shp)
    assert len(b) == len(raw)
    assert "has no .dbf beside it" in caplog.text
    assert "classified from their footprint alone" not in caplog.text  # not yet classified


# ------------------------------------------------------------------------------ OSM
@pytest.fixture
def pbf(tmp_path):
    import osmium

    path = tmp_path / "kouvola.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    for obj in osmium.FileProcessor(str(KOUVOLA)):
        writer.add(obj)
    writer.close()
    return path


def test_osm_pbf_and_xml_read_alike_and_match_gdal(pbf, abroad):
    xml = wg.read_buildings(KOUVOLA)
    b = wg.read_buildings(pbf)
    assert sorted(b["building_id"]) == sorted(xml["building_id"])
    # plain GDAL's OSM driver on the same PBF: every building we read is one of its buildings
    mp = pyogrio.read_dataframe(pbf, layer="multipolygons", on_invalid="ignore")
    mp = mp[mp["building"].notna() & (mp["building"] != "no") & mp.geometry.notna()]
    gdal_ids = set("way/" + mp["osm_way_id"].dropna()) | set("relation/" + mp["osm_id"].dropna())
    assert set(b["building_id"]) <= gdal_ids
    assert len(b) >= 0.98 * len(mp)  # the rest: ways cut by the extract's bounding box
    roads = wg.read_roads(pbf)
    lines = pyogrio.read_dataframe(pbf, layer="lines")
    hw = lines[lines["highway"].notna()].to_crs(28992)
    assert roads.length.sum() == pytest.approx(hw.length.sum(), rel=1e-6)
    assert roads["road_type"].notna().all()  # only highway=* ways, no fences or rail


def test_osm_utf8_header_and_trees_by_tag(tmp_path, abroad):
    with bz2.open(KOUVOLA, "rt", encoding="utf-8") as fh:
        rest = fh.read().split("\n", 1)[1]
    # a real-world header spelling, and two tagged nodes: one tree, one bollard
    extra = (
        '  <node id="990000001" lat="60.86" lon="26.70"><tag k="natural" v="tree"/>'
        '<tag k="height" v="12,5"/></node>\n'
        '  <node id="990000002" lat="60.861" lon="26.701"><tag k="barrier" v="bollard"/></node>\n'
    )
    rest = rest.replace("</osm>", extra + "</osm>")
    path = tmp_path / "kouvola_utf8.osm"
    path.write_text('<?xml version="1.0" encoding="utf8"?>\n' + rest, encoding="utf-8")
    assert len(wg.read_buildings(path)) == len(wg.read_buildings(KOUVOLA))
    trees = wg.read_trees(path)
    assert trees["tree_id"].tolist() == ["node/990000001"]
    assert trees["height_m"].tolist() == [12.5]  # decimal comma read


# ------------------------------------------------------------------------------ SUFRIB
def _independent_rib(files: list[Path]) -> pd.DataFrame:
    """Parse *RIOO records by their '|' separators (not by position)."""
    rows = []
    for f in files:
        for line in f.read_bytes().decode("latin-1").splitlines():
            if line.startswith("*RIOO"):
                parts = [p.strip() for p in line.split("|")]
                rows.append({"a": parts[4], "b": parts[6], "xy_a": parts[5], "xy_b": parts[7]})
    frame = pd.DataFrame(rows)
    ok = frame["xy_a"].str.contains("/") & frame["xy_b"].str.contains("/")
    frame = frame[ok]
    pair = frame.apply(lambda r: "|".join(sorted((r["a"], r["b"]))), axis=1)
    return frame[~pair.duplicated().to_numpy()]


@pytest.mark.parametrize("name", RIBS)
def test_sufrib_files(name):
    path = SUFRIB / name
    sewers = wg.read_sewers(path)
    ref = _independent_rib([path])
    assert len(sewers) == len(ref)
    assert sewers["diameter_m"].between(0.1, 2.0).all()
    first = ref.iloc[0]
    x0, y0 = map(float, first["xy_a"].split("/"))
    row = sewers[sewers["node_from"] == first["a"]].iloc[0]
    assert row.geometry.coords[0] == pytest.approx((x0, y0))


def test_sufrib_folder_dedupes_reinspections(tmp_path):
    for f in SUFRIB.iterdir():
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(SUFRIB / "4F1 asfalt werk.rib", tmp_path / "4F1 herinspectie.RIB")
    both = read_sufrib(sorted(tmp_path.iterdir()))
    once = read_sufrib(sorted(SUFRIB.iterdir()))
    assert len(both) == len(once) == len(_independent_rib(sorted(SUFRIB.iterdir())))
    assert both.length.sum() == pytest.approx(once.length.sum())


def test_sufrib_folder_with_a_fragment(tmp_path, caplog):
    """A folder as shipped with a headerless fragment: the fragment is skipped and named."""
    for f in SUFRIB.iterdir():
        shutil.copy(f, tmp_path / f.name)
    text = (SUFRIB / "4F1 asfalt werk.rib").read_bytes().decode("latin-1")
    lines = text.splitlines(keepends=True)
    # the tail of a cut-off copy: starts inside a record (spaces), repeats the file's pipes
    fragment = lines[5][40:] + "".join(lines[6:120])
    assert fragment.startswith(" ") and fragment.count("*RIOO") > 5
    (tmp_path / "4F1 deel.RIB").write_bytes(fragment.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        sewers = wg.read_sewers(tmp_path)
    good = sorted(SUFRIB.iterdir())
    assert len(sewers) == len(_independent_rib(good))  # all the good files' pipes
    warned = [r.getMessage() for r in caplog.records if "4F1 deel.RIB" in r.getMessage()]
    assert len(warned) == 1 and "not a SUFRIB file" in warned[0] and "skipped" in warned[0]
    with pytest.raises(wg.InputError, match="not a SUFRIB file"):  # alone, it is an error
        read_sufrib(tmp_path / "4F1 deel.RIB")


def test_decimal_commas_read(data, tmp_path):
    raw = gpd.read_file(data("amsterdam/bomen_sarphati.gpkg")).head(5)
    raw["hoogte"] = ["5,5", "12,25", "1.234,5", "n.v.t.", "7"]
    raw = raw.drop(columns=["Boomhoogte"])
    path = tmp_path / "bomen.gpkg"
    raw.to_file(path, layer="bomen")
    t = wg.read_trees(path, height_column="hoogte")
    # 1,234.5 m is no tree: out of range, unknown
    assert t["height_m"].tolist()[:2] == [5.5, 12.25]
    assert np.isnan(t["height_m"].iloc[2]) and np.isnan(t["height_m"].iloc[3])
    assert t["height_m"].iloc[4] == 7.0


def test_osm_without_highways_is_a_clear_error(tmp_path, abroad):
    import xml.etree.ElementTree as ET

    with bz2.open(KOUVOLA) as fh:
        tree = ET.parse(fh)
    root = tree.getroot()
    for way in [w for w in root.findall("way") if w.find("tag[@k='highway']") is not None]:
        root.remove(way)
    path = tmp_path / "no_roads.osm"
    tree.write(path, encoding="utf-8", xml_declaration=True)
    with pytest.raises(wg.InputError, match=r"no_roads\.osm.*highway"):
        wg.read_roads(path)
    assert len(wg.read_buildings(path)) > 2000  # the buildings are still there


def test_study_file_takes_verblijfsobjecten(tmp_path):
    from shapely.geometry import LineString

    from warmtegis.pipeline import load_inputs

    shutil.copy(VOORBURG, tmp_path / "bag.gpkg")
    x0, y0, x1, y1 = gpd.read_file(VOORBURG, layer="pand").total_bounds
    street = gpd.GeoDataFrame(
        {"wvk_id": [1]},
        geometry=[LineString([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)])],
        crs=28992,
    )
    street.to_file(tmp_path / "weg.gpkg", layer="wegvakken")
    (tmp_path / "study.toml").write_text(
        "[inputs]\n"
        'buildings = { path = "bag.gpkg", layer = "pand" }\n'
        'verblijfsobjecten = { path = "bag.gpkg", layer = "verblijfsobject" }\n'
        'roads = "weg.gpkg"\n'
    )
    inputs = load_inputs(wg.read_study(tmp_path / "study.toml"))
    # the verblijfsobjecten's own reader options apply (a renamed pand reference column)
    vbo = gpd.read_file(VOORBURG, layer="verblijfsobject").rename(columns={"pandref": "in_pand"})
    vbo.to_file(tmp_path / "vbo.gpkg", layer="vbo")
    text = (
        (tmp_path / "study.toml")
        .read_text()
        .replace(
            'verblijfsobjecten = { path = "bag.gpkg", layer = "verblijfsobject" }',
            'verblijfsobjecten = { path = "vbo.gpkg", columns = { pandref = "in_pand" } }',
        )
    )
    (tmp_path / "study2.toml").write_text(text)
    renamed = load_inputs(wg.read_study(tmp_path / "study2.toml"))
    pd.testing.assert_series_equal(renamed.buildings["n_units"], inputs.buildings["n_units"])
    direct = wg.read_buildings(
        VOORBURG,
        layer="pand",
        verblijfsobjecten=VOORBURG,
        verblijfsobjecten_layer="verblijfsobject",
    )
    pd.testing.assert_series_equal(inputs.buildings["n_units"], direct["n_units"])
    assert inputs.buildings["n_units"].sum() > 300
