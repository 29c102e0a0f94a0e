"""Loaders on every bundled data set, and a clear InputError for every kind of bad input."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from tests.conftest import square as _square
from warmtegis import (
    InputError,
    list_layers,
    parse_height_class,
    read_buildings,
    read_roads,
    read_sewers,
    read_trees,
    write_geopackage,
)
from warmtegis.buildings.classify import classify_buildings
from warmtegis.datasets import available

RD = "EPSG:28992"
#: Hand-made layers lie near Amersfoort (the RD origin area): readers refuse data outside
#: the Netherlands, so (0, 0) would be an error.
X0, Y0 = 155000.0, 463000.0


def square(x: float, y: float, size: float = 10.0):
    return _square(X0 + x, Y0 + y, size)


def line(*points: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in points])


# --------------------------------------------------------------------- real data: buildings
@pytest.mark.parametrize(
    ("name", "count", "source", "kind_col"),
    [
        ("otterlo/bgt_pand.gpkg", 762, "bgt", "bag_pand_id"),
        ("wageningen/bag_pand.gpkg", 1000, "bag", "bouwjaar"),
        ("delft_wippolder/bag_pand.gpkg", 60, "bag", "bouwjaar"),
        ("doesburg/bag_pand.gpkg", 7395, "lvbag", "oorspronkelijkBouwjaar"),
    ],
)
def test_read_buildings_real(data, name, count, source, kind_col):
    b = read_buildings(data(name))
    assert len(b) == count
    assert b.crs.equals(RD)
    assert (b["source"] == source).all()
    assert kind_col in b.columns  # original attributes kept
    assert b["building_id"].is_unique
    if source == "bgt":
        # pand ids shared by several BGT polygons or the '...9999999999' placeholder
        # fall back to the BGT lokaalID
        assert b["building_id"].str.fullmatch(r"\d{16}").sum() == 762 - 31
        assert b["building_id"].str.startswith("G0228.").sum() == 31
    elif name.startswith("delft"):
        # one feature of the Delft extract (a greenhouse) carries the id 'x2', not a BAG id
        assert b["building_id"].str.fullmatch(r"\d{16}").sum() == 59
        assert b.set_index("building_id").loc["x2", "year_built"] is pd.NA
    else:
        assert b["building_id"].str.fullmatch(r"\d{16}").all()
    assert set(b.geom_type) == {"Polygon"}
    np.testing.assert_allclose(b["footprint_m2"], b.area)


def test_bag_values_parsed(data):
    delft = read_buildings(data("delft_wippolder/bag_pand.gpkg"))
    row = delft.set_index("building_id").loc["0503100000004254"]
    assert row["year_built"] == 1925
    assert row["use"] == "woonfunctie"
    assert row["n_units"] == 1
    assert row["floor_area_min_m2"] == 146.0
    # Delft rows were built 1915-1925
    years = delft["year_built"].dropna()
    assert years.between(1900, 2030).all()
    doesburg = read_buildings(data("doesburg/bag_pand.gpkg"))
    # LVBAG ids 'NL.IMBAG.Pand.0221100000311191' become the 16-digit pand id
    assert doesburg["building_id"].iloc[0] == "0221100000311191"
    assert doesburg["year_built"].iloc[0] == 1992
    assert doesburg["status"].value_counts()["Pand in gebruik"] == 7204
    # Wageningen ids were stored as integers and lost their leading zero
    wag = read_buildings(data("wageningen/bag_pand.gpkg"))
    assert wag["building_id"].iloc[0] == "0228100000081768"
    assert int((wag["use"] == "woonfunctie").sum()) == 667


def test_demolished_buildings_dropped(tmp_gpkg, caplog):
    gdf = gpd.GeoDataFrame(
        {
            "identificatie": ["0001100000000001", "0001100000000002", "0001100000000003"],
            "bouwjaar": [1980, 1990, 2000],
            "status": ["Pand in gebruik", "Pand gesloopt", "Niet gerealiseerd pand"],
        },
        geometry=[square(0, 0), square(20, 0), square(40, 0)],
        crs=RD,
    )
    with caplog.at_level(logging.INFO, logger="warmtegis"):
        b = read_buildings(tmp_gpkg(gdf, "pand"))
    assert b["building_id"].tolist() == ["0001100000000001"]
    assert "dropped 2 buildings" in caplog.text


def test_osm_buildings(data, abroad):
    b = read_buildings(data("osm/kouvola.osm.bz2"))
    assert len(b) > 2000
    assert b.crs.equals(RD)
    assert (b["building"] == "terrace").sum() == 10
    # the building tag is a use, not a register status (read as one, no building was in use)
    assert b["status"].isna().all() and not b["building"].isin(["construction"]).any()
    cls = classify_buildings(b)
    assert (cls.loc[b["building"] == "terrace", "category"] == "ground_bound").all()
    assert not (cls["category"] == "not_in_use").any()
    assert b["building_id"].str.match(r"(way|relation)/\d+").all()


# --------------------------------------------------------------------- real data: roads
def test_nwb_roads(data):
    r = read_roads(data("wageningen/nwb_wegvakken.gpkg"))
    assert len(r) == 247
    assert r.attrs["road_kind"] == "centrelines"
    assert r.crs.equals(RD)
    assert (r["source"] == "nwb").all()
    assert r["segment_id"].is_unique
    assert r["node_from"].notna().all() and r["node_to"].notna().all()
    assert r.loc[0, "street_name"] == "Rozenstraat"
    assert r["road_type"].value_counts().to_dict() == {"G": 241, "P": 6}
    assert r.length.sum() == pytest.approx(27452.1, abs=0.5)
    assert r["width_m"].isna().all()  # NWB carries no width; WKD is not bundled


def test_bgt_road_surfaces(data):
    r = read_roads(data("otterlo/bgt_wegdeel.gpkg"))
    assert len(r) == 1252
    assert r.attrs["road_kind"] == "surfaces"
    assert r["road_type"].value_counts()["rijbaan lokale weg"] == 209
    assert r.area.sum() / 1e4 == pytest.approx(34.87, abs=0.01)


def test_osm_roads_clipped_extract(data, caplog, abroad):
    import bz2
    import xml.etree.ElementTree as ET

    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        r = read_roads(data("osm/kouvola.osm.bz2"))
    # by hand: highway ways left with fewer than 2 of their nodes in the clipped file
    with bz2.open(data("osm/kouvola.osm.bz2")) as fh:
        root = ET.parse(fh).getroot()
    nodes = {n.get("id") for n in root.iter("node")}
    highways = [w for w in root.iter("way") if any(t.get("k") == "highway" for t in w.iter("tag"))]
    cut = [w for w in highways if sum(nd.get("ref") in nodes for nd in w.iter("nd")) < 2]
    assert len(cut) == 12
    assert f"dropped {len(cut)} ways" in caplog.text
    assert r["road_type"].notna().all()  # only highway=* ways
    assert r.attrs["road_kind"] == "centrelines"
    assert (r["source"] == "osm").all()
    assert r.crs.equals(RD)
    assert len(r) > 500
    assert r["node_from"].notna().all()
    assert "residential" in set(r["road_type"])


def test_road_width_column(tmp_gpkg):
    gdf = gpd.GeoDataFrame(
        {"wvk_id": [1, 2], "jte_id_beg": [10, 11], "jte_id_end": [11, 12], "breedte": [6.5, 0]},
        geometry=[line((0, 0), (100, 0)), line((100, 0), (200, 0))],
        crs=RD,
    )
    r = read_roads(tmp_gpkg(gdf, "wegvakken"))
    assert r["width_m"].iloc[0] == 6.5
    assert np.isnan(r["width_m"].iloc[1])  # zero width means unknown
    assert r["node_to"].tolist() == ["11", "12"]


# --------------------------------------------------------------------- real data: sewers
def test_sewers_3di_in_metres(data):
    s = read_sewers(data("bergermeer/riool_leidingen.gpkg"))
    assert len(s) == 42
    assert s["diameter_m"].between(0.2, 0.7).all()
    assert s["diameter_m"].max() == pytest.approx(0.7)
    assert s.length.sum() == pytest.approx(2018.6, abs=0.1)


def test_sewers_mm_detected(tmp_gpkg, caplog):
    gdf = gpd.GeoDataFrame(
        {"diameter": [300, 400, 250]},
        geometry=[line((0, i), (50, i)) for i in range(3)],
        crs=RD,
    )
    s = read_sewers(tmp_gpkg(gdf, "leiding"))
    assert s["diameter_m"].tolist() == [0.3, 0.4, 0.25]
    # said to be metres, 250-400 m wide sewers cannot be right: unknown, and counted
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        s_m = read_sewers(tmp_gpkg(gdf, "leiding", "b.gpkg"), diameter_unit="m")
    assert s_m["diameter_m"].isna().all()
    assert "3 values of 'diameter (m)' lie outside the plausible range 0.05-5 m" in caplog.text


def test_otterlo_sewers_and_manholes(data):
    s = read_sewers(data("otterlo/riool_benaderd.gpkg"))
    assert len(s) == 219
    assert s["diameter_m"].isna().all()
    put = gpd.read_file(data("otterlo/bgt_put.gpkg"))
    assert (put["plus_type"] == "inspectie- / rioolput").sum() == 257


# --------------------------------------------------------------------- real data: trees
def test_amsterdam_height_classes(data):
    t = read_trees(data("amsterdam/bomen_sarphati.gpkg"))
    assert len(t) == 507
    assert t.crs.equals(RD)
    # Sarphatipark lies around RD (122000, 485500)
    assert t.geometry.x.between(121000, 123000).all()
    assert t.geometry.y.between(484500, 486500).all()
    row = t[t["height_class"] == "9 tot 12 m."].iloc[0]
    assert (row["height_min_m"], row["height_max_m"], row["height_m"]) == (9.0, 12.0, 10.5)
    assert t["height_m"].isna().sum() == 197  # 'Onbekend'
    t2 = read_trees(data("amsterdam/bomen_wallengebied.gpkg"))
    assert len(t2) == 1099
    assert t2["tree_id"].is_unique
    assert (t2["height_class"] == "12 tot 15 m.").sum() == 380


def test_otterlo_trees(data):
    t = read_trees(data("otterlo/bgt_boom.gpkg"))
    assert len(t) == 2088
    assert t["height_m"].isna().all() and t["crown_diameter_m"].isna().all()


@pytest.mark.parametrize(
    ("text", "lower", "upper", "middle"),
    [
        ("tot 6 m.", 0, 6, 3),
        ("6 tot 9 m.", 6, 9, 7.5),
        ("9 tot 12 m.", 9, 12, 10.5),
        ("24 m. en hoger", 24, np.nan, 24),
        ("0,5 - 1 m", 0.5, 1, 0.75),
        ("12.5", 12.5, 12.5, 12.5),
        ("Onbekend", np.nan, np.nan, np.nan),
        (None, np.nan, np.nan, np.nan),
    ],
)
def test_parse_height_class(text, lower, upper, middle):
    out = parse_height_class(pd.Series([text], dtype="string")).iloc[0]
    np.testing.assert_equal([out["lower"], out["upper"], out["middle"]], [lower, upper, middle])


def test_trees_csv_lonlat_and_wkt(tmp_path):
    lonlat = tmp_path / "bomen.csv"
    lonlat.write_text(
        "id;LNG;LAT;hoogte;kroondiameter;stamdiameter\n"
        "1;4.8963;52.3550;14;8;45\n2;4.8954;52.3536;9 tot 12 m.;;30\n"
    )
    t = read_trees(lonlat)
    assert t.crs.equals(RD)
    assert t["height_m"].tolist() == [14.0, 10.5]
    assert t["crown_diameter_m"].iloc[0] == 8.0
    assert t["stem_diameter_m"].tolist() == [0.45, 0.30]  # cm detected
    wkt = tmp_path / "bomen_wkt.csv"
    wkt.write_text('wkt,height\n"SRID=28992;POINT (181000 457000)",6\n"POINT (181010 457000)",\n')
    t = read_trees(wkt)
    assert t.geometry.x.tolist() == [181000.0, 181010.0]
    assert t["height_m"].iloc[0] == 6.0


# --------------------------------------------------------------------- bad input
def test_csv_without_coordinates(tmp_path):
    bad = tmp_path / "bomen.csv"
    bad.write_text("naam,hoogte\neik,12\n")
    with pytest.raises(
        InputError, match=r"bomen\.csv has no coordinates.*columns present: naam, hoogte"
    ):
        read_trees(bad)


def _write_without_crs(gdf, path, layer):
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gdf.to_file(path, layer=layer)


def test_no_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"bouwjaar": [1980]}, geometry=[square(0, 0)])
    path = tmp_path / "nocrs.gpkg"
    _write_without_crs(gdf, path, "pand")
    with pytest.raises(
        InputError, match=r"layer 'pand' in .*nocrs\.gpkg has no coordinate reference"
    ):
        read_buildings(path)


def test_wrong_geometry_type(tmp_gpkg):
    gdf = gpd.GeoDataFrame({"x": [1]}, geometry=[Point(0, 0)], crs=RD)
    with pytest.raises(
        InputError, match=r"holds Point geometries; buildings must be MultiPolygon or Polygon"
    ):
        read_buildings(tmp_gpkg(gdf, "pand"))
    with pytest.raises(InputError, match=r"sewer lines must be"):
        read_sewers(tmp_gpkg(gdf, "leiding", "s.gpkg"))


def test_every_problem_listed_at_once(tmp_path):
    gdf = gpd.GeoDataFrame({"x": [1]}, geometry=[Point(0, 0)])  # no CRS and wrong type
    path = tmp_path / "bad.gpkg"
    _write_without_crs(gdf, path, "leiding")
    with pytest.raises(InputError) as err:
        read_sewers(path, diameter_column="dn_mm")
    problems = err.value.problems
    assert len(problems) == 3, problems
    text = str(err.value)
    assert "no coordinate reference system" in text
    assert "holds Point geometries" in text
    assert "has no column 'dn_mm'" in text


def test_empty_layer(tmp_path):
    gdf = gpd.GeoDataFrame({"x": []}, geometry=gpd.GeoSeries([], crs=RD))
    path = tmp_path / "empty.gpkg"
    gdf.to_file(path, layer="boom")
    with pytest.raises(InputError, match=r"layer 'boom' in .*empty\.gpkg is empty"):
        read_trees(path)


def test_missing_column(tmp_gpkg, data):
    gdf = gpd.GeoDataFrame({"x": [1]}, geometry=[Point(0, 0)], crs=RD)
    with pytest.raises(InputError, match=r"has no column 'Boomhoogte'.*columns present: x"):
        read_trees(tmp_gpkg(gdf, "boom"), height_column="Boomhoogte")
    with pytest.raises(InputError, match=r"no column 'function'"):
        read_roads(
            tmp_gpkg(
                gpd.GeoDataFrame({"x": [1]}, geometry=[square(0, 0)], crs=RD), "wegdeel", "w.gpkg"
            )
        )


def test_unknown_layer_lists_layers(data):
    with pytest.raises(InputError, match=r"has no layer 'panden'.*layers in the file: pand"):
        read_buildings(data("otterlo/bgt_pand.gpkg"), layer="panden")


def test_unreadable_file(tmp_path):
    junk = tmp_path / "junk.gpkg"
    junk.write_text("this is not a geopackage")
    with pytest.raises(InputError, match=r"cannot read .*junk\.gpkg"):
        read_buildings(junk)
    with pytest.raises(InputError, match=r"file not found"):
        read_buildings(tmp_path / "missing.gpkg")
    html = tmp_path / "page.osm"
    html.write_text("<html/>")
    with pytest.raises(InputError, match=r"page\.osm is not OpenStreetMap XML"):
        read_roads(html)


def test_every_bundled_file_is_tested(data):
    """Every data set in data/raw is loaded by a test above (keep this list complete)."""
    tested = {
        "amsterdam/bomen_sarphati.gpkg",
        "amsterdam/bomen_wallengebied.gpkg",
        "bergermeer/riool_leidingen.gpkg",
        "delft_wippolder/bag_pand.gpkg",
        "doesburg/bag_pand.gpkg",
        "lvbag/BAGNLDL-15092020-small.zip",  # tests/test_readers.py from here on
        "sufrib/4F1 asfalt werk.rib",
        "sufrib/Filmwijk nabij 231-0.rib",
        "voorburg/bag_subset.gpkg",
        "voorburg/bag_buurten.gpkg",  # tests/test_residents.py
        "voorburg/cbs_buurten.gpkg",  # tests/test_residents.py (the CBS check)
        "osm/kouvola.osm.bz2",
        "otterlo/bgt_boom.gpkg",
        "otterlo/bgt_pand.gpkg",
        "otterlo/bgt_put.gpkg",
        "otterlo/bgt_wegdeel.gpkg",
        "otterlo/bgt_waterdeel.gpkg",  # barriers of tests/test_batch.py
        "otterlo/bgt_terrein.gpkg",  # open ground of tests/test_drilling.py
        "otterlo/riool_benaderd.gpkg",
        "wageningen/bag_pand.gpkg",
        "wageningen/nwb_wegvakken.gpkg",
    }
    bundled = {p for p in available() if not p.endswith(".toml")}
    assert bundled == tested
    assert list_layers(data("otterlo/bgt_put.gpkg")) == ["put"]


# --------------------------------------------------------------------- writing
def test_write_geopackage_atomic(tmp_path, monkeypatch):
    import pyogrio

    out = tmp_path / "out.gpkg"
    good = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=RD)
    write_geopackage({"points": good, "summary": pd.DataFrame({"key": ["n"], "value": [1.0]})}, out)
    assert list_layers(out) == ["points", "summary"]
    before = out.read_bytes()

    real_write = pyogrio.write_dataframe

    def fail_on_second_layer(df, path, layer, **kw):
        if layer == "second":
            raise OSError("disk full")
        return real_write(df, path, layer=layer, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_second_layer)
    with pytest.raises(OSError, match="disk full"):
        write_geopackage({"points": good, "second": good}, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]
