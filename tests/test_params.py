"""One validated parameter system; checked stage entries; outputs that record themselves."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import warmtegis as wg
from warmtegis import ConfigError, InputError
from warmtegis.datasets import get_path
from warmtegis.params.dwellings import BoreholeParams, DemandParams, MiniNetParams
from warmtegis.params.parameters import Parameters, parameter_table, read_parameters
from warmtegis.params.street import CorridorParams, RoutingParams


# ------------------------------------------------------------------ validated in Python too
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CorridorParams(trench_width_m=-1), "trench_width_m must be >= 0.05"),
        (lambda: RoutingParams(network="HT"), "network must be one of 'MT', 'ZLT'"),
        (lambda: RoutingParams(method="dijkstra"), "method must be one of"),
        (lambda: RoutingParams(supply_temp_c=30, return_temp_c=40), "higher than return"),
        (lambda: BoreholeParams(hot_water_share=1.5), "hot_water_share must be <= 1"),
        (lambda: MiniNetParams(min_dwellings=5, max_dwellings=3), "must not exceed"),
        (lambda: DemandParams(full_load_hours=9000), "full_load_hours must be <= 8760"),
        (lambda: DemandParams(default_year=1980.5), "default_year must be an integer"),
        (lambda: CorridorParams(sewer_clearance_m="1"), "must be a number"),
        (lambda: CorridorParams(usable_functions="voetpad"), "list of text values"),
        (lambda: Parameters(network="HT"), "network must be 'MT' or 'ZLT'"),
    ],
)
def test_sections_validate_when_built_in_python(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


def test_python_and_toml_paths_validate_the_same():
    with pytest.raises(ConfigError) as py:
        CorridorParams(trench_width_m=-1)
    with pytest.raises(ConfigError) as toml:
        read_parameters({"corridors": {"trench_width_m": -1}}, location="s.toml")
    assert toml.value.problems == [f"s.toml: {py.value.problems[0]}"]


def test_api_misuse_is_a_type_error():
    with pytest.raises(TypeError, match="corridors must be a CorridorParams"):
        Parameters(corridors={"trench_width_m": 0.6})
    with pytest.raises(TypeError, match="GeoDataFrame"):
        wg.analyse_corridors(pd.DataFrame({"a": [1]}))


def test_every_problem_reported_at_once():
    with pytest.raises(ConfigError) as exc:
        read_parameters(
            {
                "netwerk": "ZLT",
                "corridors": {"trench_width": 0.6, "sewer_clearance_m": -1},
                "routing": {"network": "HT"},
            }
        )
    text = str(exc.value)
    for part in ("parameters.netwerk", "'trench_width'", "sewer_clearance_m must be >= 0", "'HT'"):
        assert part in text


# ------------------------------------------------------------------ the network sets defaults
def test_network_sets_trench_temperatures_and_prices():
    mt, zlt = Parameters(), read_parameters({"network": "ZLT"})
    assert (mt.net, mt.corridors.trench_width_m, mt.routing.supply_temp_c) == ("MT", 1.2, 70.0)
    assert (zlt.net, zlt.routing.network) == ("ZLT", "ZLT")
    assert (zlt.corridors.trench_width_m, zlt.routing.supply_temp_c) == (0.6, 30.0)
    # an explicit value wins over the network's default
    own = read_parameters({"network": "ZLT", "corridors": {"trench_width_m": 0.8}})
    assert own.corridors.trench_width_m == 0.8
    # the old way (network in the routing section only) still gives a consistent ZLT
    old = read_parameters({"routing": {"network": "ZLT"}})
    assert (old.net, old.corridors.trench_width_m) == ("ZLT", 0.6)
    with pytest.raises(ConfigError, match="set the network once"):
        read_parameters({"network": "MT", "routing": {"network": "ZLT"}})


def test_zlt_study_file_alone_gives_the_zlt_trench_and_prices(tmp_path):
    src = get_path("otterlo/study.toml").read_text()
    study = tmp_path / "zlt.toml"
    text = src.replace("[parameters]", '[parameters]\nnetwork = "ZLT"')
    for name in ("bgt_pand", "bgt_wegdeel", "riool_benaderd", "bgt_boom", "bgt_terrein"):
        text = text.replace(f'"{name}.gpkg"', f'"{get_path("otterlo/" + name + ".gpkg")}"')
    study.write_text(text)
    r = wg.run_study(study)
    assert r.corridors.params.trench_width_m == 0.6
    keys = set(r.summary["key"])
    assert "ZLT_ort_per_connection" in keys and "MT_ort_per_connection" not in keys
    assert r.network.business_case.network == "ZLT"
    # ZLT secondary pipes at the cost file's ZLT price per metre
    zlt_price = r.parameters.costs.networks["ZLT"].pipe_eur_per_m["secondary"]
    sec = r.network.pipes.query("pipe_class == 'secondary' and passable and crossings == 0")
    assert sec["cost_eur"].sum() == pytest.approx(sec["length_m"].sum() * zlt_price)
    # a narrower trench fits in more streets than the MT trench of the demo
    table = r.summary.set_index("key")["value"]
    assert table["passable_share"] > 50.2


def test_full_load_hours_has_one_home():
    fields = {
        cls.__name__: {f.name for f in dataclasses.fields(cls)}
        for cls in (CorridorParams, RoutingParams, MiniNetParams, DemandParams, BoreholeParams)
    }
    assert [n for n, f in fields.items() if "full_load_hours" in f] == ["DemandParams"]


def test_parameter_table_lists_every_parameter_with_origin():
    p = read_parameters({"network": "ZLT", "corridors": {"tree_root_margin_m": 2.0}})
    t = parameter_table(p).set_index(["section", "key"])
    assert t.loc[("corridors", "tree_root_margin_m"), "value"] == "2"
    assert t.loc[("corridors", "tree_root_margin_m"), "origin"] == "study"
    assert "Handboek Bomen" in t.loc[("corridors", "tree_root_margin_m"), "source"]
    assert t.loc[("corridors", "trench_width_m"), "origin"] == "network ZLT"
    assert t.loc[("costs", "networks.ZLT.pipe_eur_per_m.secondary"), "unit"] == "EUR/m"
    # every field of every section is listed
    n_fields = sum(len(dataclasses.fields(cls)) for cls in wg.params.SECTIONS.values())
    assert (t.reset_index()["section"].isin(wg.params.SECTIONS)).sum() == n_fields


# ------------------------------------------------------------------ checked stage entries
def test_corridors_on_wgs84_roads_equal_rd():
    roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    rd = wg.analyse_corridors(roads)
    wgs = wg.analyse_corridors(roads.to_crs("EPSG:4326"))
    a, b = rd.road_segments, wgs.road_segments
    assert str(b.crs) == "EPSG:28992"
    assert len(a) == len(b)
    assert b["length_m"].sum() == pytest.approx(a["length_m"].sum(), rel=1e-6)
    assert (a["passable"].to_numpy() == b["passable"].to_numpy()).all()
    np.testing.assert_allclose(b["free_width_m"], a["free_width_m"], atol=0.01)


def test_buildings_stage_on_wgs84_equals_rd():
    b = wg.read_buildings(get_path("delft_wippolder/bag_pand.gpkg"))
    rd = wg.enrich_buildings(b).buildings
    wgs = wg.enrich_buildings(b.to_crs("EPSG:4326")).buildings
    assert (rd["category"] == wgs["category"]).all()
    assert (rd["dwelling_type"].fillna("") == wgs["dwelling_type"].fillna("")).all()
    np.testing.assert_allclose(wgs["heat_demand_gj"], rd["heat_demand_gj"], rtol=1e-4)


def test_naive_and_incomplete_frames_refused():
    b = wg.read_buildings(get_path("delft_wippolder/bag_pand.gpkg"))
    naive = b.set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no coordinate reference system"):
        wg.enrich_buildings(naive)
    with pytest.raises(InputError, match="no column 'building_id'"):
        wg.mini_net_candidates(b.drop(columns="building_id"))
    roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    with pytest.raises(InputError, match="Point geometries"):
        wg.analyse_corridors(roads.set_geometry(roads.centroid))
    with pytest.raises(InputError, match="no coordinate reference system"):
        wg.route_network(roads.set_crs(None, allow_override=True), b)


def test_routing_needs_no_mini_net_stage():
    roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    houses = wg.read_buildings(get_path("wageningen/bag_pand.gpkg"))
    raw = wg.route_network(roads, houses)
    staged = wg.route_network(roads, wg.mini_net_candidates(houses).buildings)
    assert raw.lengths_by_class == pytest.approx(staged.lengths_by_class)
    assert int(raw.connections["connected"].sum()) == int(staged.connections["connected"].sum())


# ------------------------------------------------------------------ outputs record themselves
def _layer_types(path):
    return {
        name: pyogrio.read_info(path, layer=name)["geometry_type"]
        for name, _ in pyogrio.list_layers(path)
    }


def test_geopackage_records_parameters_and_styles(otterlo, tmp_path):
    out = otterlo.to_geopackage(tmp_path / "o.gpkg")
    params = gpd.read_file(out, layer="parameters")
    assert list(params.columns[:5]) == ["section", "key", "value", "unit", "source"]
    row = params.query("section == 'warmtegis' and key == 'version'")
    assert row["value"].item() == wg.__version__
    margin = params.query("section == 'corridors' and key == 'tree_root_margin_m'")
    assert margin["value"].item() == "1.5"
    styles = gpd.read_file(out, layer="layer_styles")
    styled = set(styles["f_table_name"])
    assert {"pipes", "road_segments", "bottlenecks", "mini_nets", "buildings"} <= styled
    for row in styles.itertuples():
        root = ET.fromstring(row.styleQML.split("'SYSTEM'>", 1)[1])
        renderer = root.find("renderer-v2")
        assert renderer is not None and renderer.get("type") == "categorizedSymbol"
        cats = [c.get("value") for c in renderer.iter("category")]
        symbols = renderer.find("symbols")
        assert len(cats) == len(symbols) >= 2
        layer = gpd.read_file(out, layer=row.f_table_name, rows=1)
        attr = renderer.get("attr")
        # the renderer's field (or every field its expression names) exists in the layer
        names = [attr] if attr in layer.columns else [c for c in layer.columns if f'"{c}"' in attr]
        assert names, (row.f_table_name, attr)
        assert (
            row.f_geometry_column == pyogrio.read_info(out, layer=row.f_table_name)["geometry_name"]
        )
    # pipes by class: every class that occurs has a category
    qml = styles.set_index("f_table_name").loc["pipes", "styleQML"]
    for cls in otterlo.layers["pipes"]["pipe_class"].unique():
        assert f'value="{cls}"' in qml


def test_geometry_types_fixed_across_runs(otterlo, tmp_path):
    a = _layer_types(otterlo.to_geopackage(tmp_path / "otterlo.gpkg"))
    wag = wg.run_study(get_path("wageningen/study.toml"))
    b = _layer_types(wag.to_geopackage(tmp_path / "wageningen.gpkg"))
    # an area without trees, sewers or mini nets: every stage layer present but empty
    houses = wg.read_buildings(get_path("wageningen/bag_pand.gpkg"))
    roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    kinds = wg.enrich_buildings(houses).buildings["category"].to_numpy()
    ground = np.flatnonzero(kinds == "ground_bound")
    near = roads.distance(houses.geometry.iloc[ground].union_all().centroid).idxmin()
    d = houses.geometry.iloc[ground].distance(roads.geometry.loc[near]).to_numpy()
    one = houses.iloc[[int(ground[np.argmin(d)])]]  # the house nearest a street
    bare = wg.run_stages(wg.Inputs(buildings=one, roads=roads), source=None)
    assert len(bare.layers["mini_nets"]) == 0 and len(bare.layers["obstacles"]) == 0
    c = _layer_types(bare.to_geopackage(tmp_path / "bare.gpkg"))
    stage_layers = ["buildings", "obstacles", "free_corridors", "road_segments",
                    "bottlenecks", "mini_nets", "pipes"]  # fmt: skip
    for name in stage_layers:
        assert a[name] == b[name] == c[name], name
    assert a["mini_nets"] == "MultiPolygon" and a["free_corridors"] == "MultiPolygon"
    assert a["pipes"] == "LineString"
    read = gpd.read_file(tmp_path / "otterlo.gpkg", layer="mini_nets")
    assert set(read.geom_type) == {"MultiPolygon"}
    assert shapely.area(read.geometry.values).sum() == pytest.approx(
        otterlo.layers["mini_nets"].area.sum()
    )
