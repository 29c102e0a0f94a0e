"""Batch mode: the bundled Otterlo data split into areas equals the areas run one by one."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from warmtegis import (
    read_buildings,
    read_layer,
    read_parameters,
    read_roads,
    read_sewers,
    read_trees,
    run_study,
)
from warmtegis.cli import main
from warmtegis.datasets import get_path
from warmtegis.national.areas import grid_areas
from warmtegis.national.batch import run_batch

RD = "EPSG:28992"
FILES = {
    "buildings": ("otterlo/bgt_pand.gpkg", "pand"),
    "roads": ("otterlo/bgt_wegdeel.gpkg", "wegdeel"),
    "sewers": ("otterlo/riool_benaderd.gpkg", "riool"),
    "trees": ("otterlo/bgt_boom.gpkg", "boom"),
    "barriers": ("otterlo/bgt_waterdeel.gpkg", "waterdeel"),
}
MARGIN = 50.0
# the batch runs the ZLT variant: the network kind must reach every stage of every area
NETWORK = "ZLT"


@pytest.fixture(scope="module")
def areas():
    """Otterlo cut in two at x = 180,900 (through the village), as a planner would draw it."""
    b = gpd.read_file(get_path(FILES["buildings"][0]))
    xmin, ymin, xmax, ymax = b.total_bounds
    return gpd.GeoDataFrame(
        # the east half has the demo study's heat source: its network is routed too
        {
            "area_id": ["west", "east"],
            "source_x": [np.nan, 181200.0],
            "source_y": [np.nan, 457300.0],
        },
        geometry=[
            box(xmin - 100, ymin - 100, 180900, ymax + 100),
            box(180900, ymin - 100, xmax + 100, ymax + 100),
        ],
        crs=RD,
    )


@pytest.fixture(scope="module")
def batch(areas):
    from dask.distributed import Client, LocalCluster

    inputs = [
        read_buildings(get_path(FILES["buildings"][0])),
        read_roads(get_path(FILES["roads"][0])),
        read_sewers(get_path(FILES["sewers"][0])),
        read_trees(get_path(FILES["trees"][0])),
        read_layer(get_path(FILES["barriers"][0]), what="barriers"),
    ]
    params = read_parameters({"network": NETWORK})
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as c,
        Client(c) as client,
    ):
        return run_batch(areas, *inputs, margin_m=MARGIN, parameters=params, client=client)


def one_area(tmp_path, area_id: str, geom, source) -> dict:
    """Cut the raw files for one area by hand and run it with the single-study pipeline."""
    lines = ["[study]", f'name = "{area_id}"']
    if not np.isnan(source[0]):
        lines += ["[source]", f"x = {source[0]}", f"y = {source[1]}"]
    lines += ["[parameters]", f'network = "{NETWORK}"', "[inputs]"]
    grown = geom.buffer(MARGIN)
    for name, (path, layer) in FILES.items():
        raw = gpd.read_file(get_path(path), layer=layer)
        if name == "buildings":
            pts = raw.geometry.representative_point()
            keep = pts.intersects(geom)
        else:
            keep = raw.intersects(grown)
        out = tmp_path / f"{area_id}_{name}.gpkg"
        raw[keep.to_numpy()].to_file(out, layer=layer)
        lines.append(f'{name} = {{ path = "{out.name}", layer = "{layer}" }}')
    study = tmp_path / f"{area_id}.toml"
    study.write_text("\n".join(lines) + "\n")
    result = run_study(study)
    seg = result.corridors.road_segments
    mid = shapely.line_interpolate_point(seg.geometry.values, 0.5, normalized=True)
    seg = seg[shapely.intersects(geom, mid)]
    s = dict(zip(result.summary["key"], result.summary["value"], strict=True))
    net = result.network
    assert net.business_case.network == NETWORK
    assert result.corridors.params.trench_width_m == 0.6  # the ZLT trench
    return {
        "dwellings": s["dwellings"],
        "eligible_dwellings": s["mini_net_eligible_dwellings"],
        "mini_nets": s["mini_nets"],
        "mini_net_eur_per_dwelling": s.get("mini_net_capex_per_dwelling", np.nan),
        "street_km": seg["length_m"].sum() / 1000,
        "passable_pct": 100 * seg.loc[seg["passable"], "length_m"].sum() / seg["length_m"].sum(),
        "bottlenecks": int(
            result.corridors.bottlenecks["segment_id"].isin(seg["segment_id"]).sum()
        ),
        "mini_net_sizes": sorted(result.mini_nets.mini_nets["n_dwellings"]),
        "connections": s["connections"],
        "trunk_km": sum(v for k, v in net.lengths_by_class.items() if k != "service") / 1000,
        "service_km": net.lengths_by_class["service"] / 1000,
        "crossings": int(net.pipes["crossings"].sum()),
        # the summary key carries the network's name: read it by that name
        "ort_eur_per_connection": s[f"{NETWORK}_ort_per_connection"],
        "ort_eur_per_dwelling": s[f"{NETWORK}_ort_per_dwelling"],
        "pipes_cost": net.pipes["cost_eur"].sum(),
    }


def test_batch_equals_areas_run_one_by_one(batch, areas, tmp_path):
    rows = batch.areas.set_index("area_id")
    for area in areas.itertuples():
        area_id = area.area_id
        ref = one_area(tmp_path, area_id, area.geometry, (area.source_x, area.source_y))
        got = rows.loc[area_id]
        for key in ("dwellings", "eligible_dwellings", "mini_nets", "bottlenecks"):
            assert got[key] == ref[key], (area_id, key)
        for key in ("mini_net_eur_per_dwelling", "street_km", "passable_pct"):
            assert got[key] == pytest.approx(ref[key], rel=1e-9, nan_ok=True), (area_id, key)
        # BGT panden carry no BAG use or unit count: the footprint fallback is counted per area
        assert got["warnings"] >= 1
        sizes = batch.layers["mini_nets"].query("area_id == @area_id")["n_dwellings"]
        assert sorted(sizes) == ref["mini_net_sizes"]
        if area_id == "east":
            assert got["connections"] == ref["connections"] > 100
            assert got["trunk_km"] == pytest.approx(ref["trunk_km"], rel=1e-9)
            assert got["service_km"] == pytest.approx(ref["service_km"], rel=1e-9)
            assert got["network"] == NETWORK
            assert got["ort_eur_per_connection"] == pytest.approx(ref["ort_eur_per_connection"])
            assert got["ort_eur_per_dwelling"] == pytest.approx(ref["ort_eur_per_dwelling"])
            # the water of the BGT is crossed by the trunk: drilled crossings are charged
            assert got["crossings"] == ref["crossings"] > 0
            pipes = batch.layers["pipes"]
            assert set(pipes["area_id"]) == {"east"}
            assert pipes["cost_eur"].sum() == pytest.approx(ref["pipes_cost"], rel=1e-9)
        else:
            assert np.isnan(got["connections"])


def test_every_building_counted_once(batch):
    whole = read_buildings(get_path(FILES["buildings"][0]))
    assert batch.areas["buildings"].sum() == len(whole)
    # both halves hold real work: streets, dwellings, bottlenecks
    assert (batch.areas["street_km"] > 3).all() and (batch.areas["dwellings"] > 50).all()
    segs = batch.layers["road_segments"]
    assert set(segs["area_id"]) == {"west", "east"}
    assert not segs.duplicated(["area_id", "segment_id"]).any()


def test_grid_areas_cover_every_building():
    b = read_buildings(get_path(FILES["buildings"][0]))
    g = grid_areas(b, 500)
    pts = b.geometry.representative_point()
    assert pts.apply(lambda p: g.intersects(p).any()).all()
    assert np.allclose(g.area, 500 * 500)
    assert g["area_id"].is_unique


def test_cli_batch_on_a_grid(tmp_path):
    out = tmp_path / "batch.gpkg"
    args = ["-q", "batch", "--buildings", str(get_path(FILES["buildings"][0]))]
    args += [
        "--roads",
        str(get_path(FILES["roads"][0])),
        "--trees",
        str(get_path(FILES["trees"][0])),
    ]
    args += ["--grid-m", "1000", "--workers", "1", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    layers = gpd.list_layers(out)["name"].tolist()
    assert {"areas", "road_segments", "bottlenecks", "mini_nets"} <= set(layers)
    a = gpd.read_file(out, layer="areas")
    assert a["buildings"].sum() == len(read_buildings(get_path(FILES["buildings"][0])))
    assert pd.api.types.is_float_dtype(a["passable_pct"])


def test_cli_batch_bad_areas(tmp_path):
    areas = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame(
        {"naam": ["a", "a"]},
        geometry=[box(186000, 449000, 186100, 449100), box(186100, 449000, 186200, 449100)],
        crs=RD,
    ).to_file(areas)
    args = ["-q", "batch", str(areas), "--buildings", str(get_path(FILES["buildings"][0]))]
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o.gpkg")])
    assert res.exit_code == 2 and "id column" in res.output
    res = CliRunner().invoke(
        main, [*args, "--id-column", "naam", "--out", str(tmp_path / "o.gpkg")]
    )
    assert res.exit_code == 2 and "unique" in res.output
    assert not (tmp_path / "o.gpkg").exists()


def test_source_columns_checked():
    from warmtegis import InputError
    from warmtegis.national.areas import area_inputs

    b = read_buildings(get_path(FILES["buildings"][0]))
    areas = gpd.GeoDataFrame(
        {"area_id": ["a"], "source_x": [181200.0]}, geometry=[box(*b.total_bounds)], crs=RD
    )
    with pytest.raises(InputError, match="source_y"):
        area_inputs("a", areas, b)
    areas["source_y"] = ["noord"]
    with pytest.raises(InputError, match="numbers"):
        area_inputs("a", areas, b)
    areas["source_y"] = [457300.0]
    item = area_inputs("a", areas, b)
    assert item.source == (181200.0, 457300.0) and len(item.buildings) == len(b)


def test_cli_batch_parameters_file(tmp_path):
    params = tmp_path / "params.toml"
    params.write_text("[parameters.corridors]\ntrench_width = 0.6\n")
    args = ["-q", "batch", "--buildings", str(get_path(FILES["buildings"][0]))]
    args += ["--params", str(params), "--out", str(tmp_path / "o.gpkg")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "trench_width" in res.output
    params.write_text("[parameters.corridors]\ntrench_width_m = 0.6\n")
    res = CliRunner().invoke(main, [*args[:-2], "--grid-m", "2000", "--workers", "1", *args[-2:]])
    assert res.exit_code == 0, res.output


def test_area_without_carriageways_gets_a_note():
    from warmtegis.national.areas import AreaInputs
    from warmtegis.national.bundles import run_area

    roads = read_roads(get_path(FILES["roads"][0]))
    paths = roads[roads["road_type"] == "voetpad"]
    paths.attrs = dict(roads.attrs)
    b = read_buildings(get_path(FILES["buildings"][0]))
    out = run_area(AreaInputs("paths", box(*b.total_bounds), b.iloc[:40], roads=paths))
    assert "no carriageway polygons" in out["row"]["note"]
    assert "road_segments" not in out["layers"]
    assert out["row"]["buildings"] == 40 and out["row"]["dwellings"] > 0  # mini nets still ran


def test_area_with_nothing_to_connect_gets_a_routing_note():
    from warmtegis import mini_net_candidates
    from warmtegis.national.areas import AreaInputs
    from warmtegis.national.bundles import run_area

    b = read_buildings(get_path(FILES["buildings"][0]))
    sheds = mini_net_candidates(b).buildings.query("category == 'outbuilding'")["building_id"]
    only_sheds = b[b["building_id"].isin(sheds)]
    roads = read_roads(get_path(FILES["roads"][0]))
    item = AreaInputs(
        "sheds", box(*b.total_bounds), only_sheds, source=(181200.0, 457300.0), roads=roads
    )
    out = run_area(item)
    assert "routing and costs: route_network: no building" in out["row"]["note"]
    assert "pipes" not in out["layers"] and out["row"]["street_km"] > 30
