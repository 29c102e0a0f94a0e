"""Mini-net design (mini_nets.design, group_design): scenarios, trench, drop-outs, package."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pygfunction as gt
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from scipy.sparse.csgraph import minimum_spanning_tree
from shapely.geometry import box

from warmtegis import mini_net_candidates, read_buildings
from warmtegis.datasets import get_path
from warmtegis.economics.pricing import mini_net_capex, price_mini_nets
from warmtegis.mini_nets.boreholes import ground_loads, size_borefield, size_mini_nets
from warmtegis.mini_nets.collective_loop import route_trench, size_pe
from warmtegis.mini_nets.design import (
    SCENARIOS,
    bill_of_quantities,
    dropouts,
    insulation_scenarios,
    scenario_demand,
)
from warmtegis.params.costs import load_cost_params
from warmtegis.params.dwellings import BoreholeParams, CollectiveLoopParams, MiniNetParams
from warmtegis.params.parameters import Parameters

CRS = "EPSG:28992"


# ------------------------------------------------------------------------------ scenarios
def test_scenario_demand_by_hand():
    b = pd.DataFrame(
        {
            "heat_demand_gj": [41.975, 27.6, 17.25, 60.0],
            "year_built": [1980, 2010, 2020, pd.NA],
            "floor_area_m2": [115.0, 115.0, 115.0, 100.0],
            "dwelling_type": ["mid-terrace", "mid-terrace", "mid-terrace", "semi-detached"],
        }
    )
    s = scenario_demand(b)
    # 1980: 30 % saved (the reference study), at 33,975 EUR; target 115 x 0.15 = 17.25 GJ
    assert s.loc[0, "demand_standaard"] == pytest.approx(41.975 * 0.7)
    assert s.loc[0, "insulation_standaard"] == 33975
    assert s.loc[0, "demand_streef"] == pytest.approx(17.25)
    # 2010: meets the standard already; the target still lowers it
    assert s.loc[1, "demand_standaard"] == 27.6 and s.loc[1, "insulation_standaard"] == 0
    # 2020: at the target already, nothing to do
    assert s.loc[2, "demand_streef"] == 17.25 and s.loc[2, "insulation_streef"] == 0
    # unknown year: the demand model's default year (1980); semi-detached factor 1.2
    assert s.loc[3, "demand_standaard"] == pytest.approx(42.0)
    assert s.loc[3, "demand_streef"] == pytest.approx(100 * 0.15 * 1.2)


@pytest.fixture(scope="module")
def doesburg():
    return mini_net_candidates(read_buildings(get_path("doesburg/bag_pand.gpkg")))


def test_insulation_moves_loops_per_dwelling_the_way_the_pilots_describe(doesburg):
    s = insulation_scenarios(doesburg.mini_nets, doesburg.buildings)
    assert len(s) == 3 * len(doesburg.mini_nets)
    by = s.groupby("scenario", sort=False)[["n_dwellings", "n_boreholes", "drilled_m"]].sum()
    per_loop = by["n_dwellings"] / by["n_boreholes"]
    # fewer loops per dwelling after insulation, more dwellings per loop
    assert per_loop["as built"] < per_loop["standaard"] < per_loop["streef"]
    wide = s.pivot(index="mini_net_id", columns="scenario", values="n_boreholes")
    assert (wide["standaard"] <= wide["as built"]).all()
    assert (wide["streef"] <= wide["standaard"]).all()
    # every group recomputed independently: its scenario demand summed from the buildings
    demand = scenario_demand(doesburg.buildings[doesburg.buildings["eligible"]])
    demand["g"] = doesburg.buildings.loc[demand.index, "mini_net_id"].astype(str)
    again = demand.groupby("g")["demand_streef"].sum()
    streef = s[s["scenario"] == "streef"].set_index("mini_net_id")
    assert np.allclose(streef["heat_demand_gj"], again.reindex(streef.index))
    sized = size_mini_nets(streef["n_dwellings"].to_numpy(), again.reindex(streef.index).to_numpy())
    assert (sized["n_boreholes"].to_numpy() == streef["n_boreholes"].to_numpy()).all()


# ------------------------------------------------------------------------------- drop-outs
def test_dropouts_are_the_smaller_group_priced_by_hand():
    nets = pd.DataFrame(
        {"mini_net_id": ["three", "two"], "n_dwellings": [3, 2],
         "heat_demand_gj": [126.0, 84.0], "trench_length_m": [30.0, 20.0]}
    )  # fmt: skip
    d = dropouts(nets).set_index("mini_net_id")
    # without one member, "three" is a group of two with 2/3 of demand and trench
    sized = size_mini_nets(np.array([2]), np.array([84.0]))
    row = pd.DataFrame({"n_dwellings": [2], "heat_demand_gj": [84.0], "trench_length_m": [20.0],
                        "n_boreholes": sized["n_boreholes"], "borehole_depth_m":
                        sized["borehole_depth_m"]})  # fmt: skip
    by_hand = price_mini_nets(row).iloc[0]
    assert d.loc["three", "annual_1_out_eur"] == pytest.approx(
        by_hand["annual_cost_per_dwelling_eur"]
    )
    assert d.loc["three", "capex_1_out_eur"] == pytest.approx(by_hand["capex_per_dwelling_eur"])
    assert np.isnan(d.loc["three", "annual_2_out_eur"])  # one left is no mini net
    assert d.loc["two", "falls_apart_with_one_dropout"]  # a pair falls apart with one out
    # with no premium allowed, a group works only when no dearer than going alone
    strict = dropouts(nets, params=Parameters(mini_nets=MiniNetParams(shared_premium=0.0)))
    strict = strict.set_index("mini_net_id")
    full = price_mini_nets(nets.assign(
        n_boreholes=size_mini_nets(nets["n_dwellings"], nets["heat_demand_gj"])["n_boreholes"],
        borehole_depth_m=size_mini_nets(nets["n_dwellings"], nets["heat_demand_gj"])[
            "borehole_depth_m"],
    )).set_index("mini_net_id")  # fmt: skip
    works = full["annual_cost_per_dwelling_eur"] <= strict["own_borehole_annual_eur"]
    assert (strict["smallest_working_group"] > 0).equals(works)


# ------------------------------------------------------------------------- collective loop
def test_size_pe_against_colebrook_by_hand():
    p = CollectiveLoopParams()
    kw = np.array([3.0, 12.0, 40.0])
    od, flow, dp = size_pe(kw, p)
    q = kw * 1e3 / (p.brine_density_kg_m3 * p.brine_heat_capacity_j_kgk * p.brine_delta_t_k)
    assert flow == pytest.approx(q * 3600)

    def colebrook(q: float, d: float) -> float:
        v = q / (math.pi * d**2 / 4)
        re = p.brine_density_kg_m3 * v * d / p.brine_viscosity_pa_s
        if re < 2300:
            f = 64 / re
        else:
            f = 0.02
            for _ in range(50):
                f = (-2 * math.log10(p.roughness_mm / 1e3 / 3.7 / d + 2.51 / (re * f**0.5))) ** -2
        return f * p.brine_density_kg_m3 * v**2 / (2 * d)

    sizes = [25, 32, 40, 50, 63, 75, 90, 110, 125]
    for i, qi in enumerate(q):
        first = next(s for s in sizes if colebrook(qi, s * 9 / 11 / 1000) <= 150)
        assert od[i] == first
        # Swamee-Jain is fitted for Re > 5,000; a small loop runs at 3,000-10,000: within 5 %
        assert dp[i] == pytest.approx(colebrook(qi, first * 9 / 11 / 1000), rel=0.05)


def _row_with_gardens():
    """Four 6 x 10 m row houses, 15 m back gardens, a 1 m paved path across them at 17-18 m."""
    houses = [box(6 * i, 0, 6 * i + 6, 10) for i in range(4)]
    gardens = [box(6 * i, 10, 6 * i + 6, 25) for i in range(4)]
    path = box(0, 17, 24, 18)
    surfaces = gpd.GeoDataFrame(
        {"surface": ["garden"] * 4 + ["paving"]}, geometry=[*gardens, path], crs=CRS
    )
    return houses, surfaces


def test_trench_joins_every_wall_and_loop_inside_the_gardens():
    houses, surfaces = _row_with_gardens()
    loops = np.array([[3.0, 22.0], [21.0, 22.0]])
    t = route_trench(
        "row", np.array(houses, dtype=object), np.full(4, 6.5), loops,
        surfaces=surfaces, blocked=np.array(houses, dtype=object),
    )  # fmt: skip
    assert t.reason == ""
    lines = t.lines
    net = shapely.union_all(lines.geometry.values)
    # inside the open ground, never through a house
    assert shapely.covered_by(net, shapely.buffer(shapely.union_all(surfaces.geometry), 1e-6))
    assert shapely.intersection(net, shapely.buffer(shapely.union_all(houses), -0.01)).length == 0
    # reaches every wall (within wall_reach_m) and every loop (a grid point on it)
    for h in houses:
        assert shapely.distance(h, net) <= CollectiveLoopParams().wall_reach_m + 1e-9
    for x, y in loops:
        assert shapely.distance(shapely.Point(x, y), net) < 1e-6
    # length between the Euclidean Steiner bound and a grid route of the terminals' MST:
    # terminals are the walls' nearest points (3 m into the garden at most) and the loops
    ends = shapely.get_coordinates(shapely.boundary(net))
    term = np.vstack([loops, [[p.x, p.y] for p in
                      (shapely.ops.nearest_points(h, net)[1] for h in houses)]])  # fmt: skip
    dist = np.linalg.norm(term[:, None] - term[None, :], axis=2)
    mst = minimum_spanning_tree(dist).sum()
    length = lines["length_m"].sum()
    # the grid route is within 1.15 of the MST of its grid terminals, which lie at most
    # wall_reach_m from the wall points; the straight last stretches to the walls add as much
    reach = CollectiveLoopParams().wall_reach_m
    assert math.sqrt(3) / 2 * mst <= length <= 1.15 * mst + 2.15 * len(houses) * reach
    assert len(ends) >= 2
    # the paved path is crossed and reported as paving
    by = t.length_by_surface
    assert by.get("paving", 0) > 0 and by.get("garden", 0) > by["paving"]
    # the pipe next to the manifold carries the most: no section has a larger pipe
    assert lines["pipe_od_mm"].max() == size_pe(np.array([4 * 6.5 * (1 - 1 / 4.5) * 0.97]))[0][0]


def test_trench_reports_a_dwelling_it_cannot_reach():
    houses, surfaces = _row_with_gardens()
    # the open ground ends 3.5 m short of the fourth house (sheds, a wall): it is cut off
    surfaces = surfaces.iloc[[0, 1, 2, 4]]
    cut = shapely.intersection(surfaces.geometry, box(0, 0, 14.5, 30))
    surfaces = surfaces.assign(geometry=cut)
    t = route_trench(
        "row", np.array(houses, dtype=object), np.full(4, 6.5), np.array([[3.0, 22.0]]),
        surfaces=surfaces, blocked=np.array(houses, dtype=object),
    )  # fmt: skip
    assert t.reason.startswith("no trench route: dwelling 4")


def test_bill_adds_up_and_prices_each_surface():
    c = load_cost_params().mini_net
    bill = bill_of_quantities(
        4, 2, 150.0, {"garden": 40.0, "paving": 10.0, "road crossing": 6.0}, np.array([6, 6, 8, 8])
    )
    trench = 40 * c.trench_eur_per_m + 10 * c.trench_paving_eur_per_m + 6 * c.trench_road_eur_per_m
    by_hand = mini_net_capex(4, 2, 150.0, 0.0)["capex"] + trench
    assert bill["amount_eur"].sum() == pytest.approx(float(by_hand))
    assert bill.loc[bill["item"] == "heat_pump_8kw", "quantity"].item() == 2


# ------------------------------------------------------------------------- Otterlo, design
def test_otterlo_run_has_trenches_scenarios_and_real_gfunctions(otterlo, tmp_path):
    layers = otterlo.layers
    nets, trenches = layers["mini_nets"], layers["mini_net_trenches"]
    assert set(trenches["surface"]) <= {"garden", "paving", "road crossing"}
    routed = nets[nets["has_trench"].astype(bool)]
    assert len(routed) >= 10
    per = trenches.groupby("mini_net_id")["length_m"].sum()
    assert np.allclose(per.reindex(routed["mini_net_id"]), routed["trench_routed_m"])
    parts = routed[["trench_garden_m", "trench_paving_m", "trench_road_m"]].sum(axis=1)
    assert np.allclose(parts, routed["trench_routed_m"])
    # no trench runs through a building (1 m grid: corners may be grazed by < 0.5 m)
    inner = shapely.buffer(shapely.union_all(layers["buildings"].geometry.values), -0.5)
    assert shapely.intersection(shapely.union_all(trenches.geometry.values), inner).length == 0
    # the eligible groups have room and a trench
    assert (nets["eligible"] == (nets["has_room"] & nets["has_trench"].astype(bool))).all()
    # one group's field recomputed independently with pygfunction at the layer's positions
    alone = nets[nets["has_room"] & (nets["neighbour_loops"] == 0)].iloc[0]
    pts = layers["boreholes"].query(f"mini_net_id == '{alone['mini_net_id']}'")
    xy = shapely.get_coordinates(pts.geometry.values)
    bp = BoreholeParams()
    monthly, peak = ground_loads(np.array([alone["heat_demand_gj"]]), bp)
    field = gt.borefield.Borefield(
        np.full(len(xy), 100.0), np.full(len(xy), 1.0), np.full(len(xy), 0.065), xy[:, 0], xy[:, 1]
    )
    again = size_borefield(monthly[0], np.zeros(12), peak[0], np.zeros(12), borefield=field)
    assert pts["depth_m"].iloc[0] == pytest.approx(max(again.length_m, bp.min_depth_m), rel=0.015)
    # the GeoPackage holds the scenarios table, three rows per group
    out = otterlo.to_geopackage(tmp_path / "o.gpkg")
    table = pyogrio.read_dataframe(out, layer="mini_net_scenarios")
    assert len(table) == 3 * len(nets) and list(table["scenario"].unique()) == list(SCENARIOS)


def test_design_package_on_otterlo(otterlo, tmp_path):
    from warmtegis.outputs.design_package import write_design_packages

    nets = otterlo.layers["mini_nets"]
    ids = nets.loc[nets["eligible"], "mini_net_id"].head(2).tolist()
    folders = write_design_packages(otterlo, tmp_path / "design", groups=ids)
    assert [f.name for f in folders] == ids
    gpkg = folders[0] / "design.gpkg"
    names = set(pyogrio.list_layers(gpkg)[:, 0])
    assert {"dwellings", "boreholes", "trench", "manifold", "exclusion_zones", "klic_request",
            "bill_of_quantities"} <= names  # fmt: skip
    bh = pyogrio.read_dataframe(gpkg, layer="boreholes")
    assert set(bh["scenario"]) <= set(SCENARIOS) and "as built" in set(bh["scenario"])
    klic = pyogrio.read_dataframe(gpkg, layer="klic_request").geometry.iloc[0]
    trench = pyogrio.read_dataframe(gpkg, layer="trench")
    assert shapely.covered_by(shapely.union_all([*bh.geometry, *trench.geometry]), klic)
    # the tender request lists every quantity of the bill, per scenario
    bill = pyogrio.read_dataframe(gpkg, layer="bill_of_quantities")
    md = (folders[0] / "offerte-uitvraag.md").read_text(encoding="utf-8")
    for r in bill.itertuples():
        assert f"| {r.description} | {r.quantity:.1f} | {r.unit} |" in md
    # an unknown group is a clear error; the packages written before stay
    from warmtegis import InputError

    with pytest.raises(InputError, match="no such mini net"):
        write_design_packages(otterlo, tmp_path / "design", groups=["nope"])
    assert (folders[0] / "design.html").exists()


def test_design_sheet_renders_in_headless_chromium(otterlo, tmp_path):
    from _browser import headless_page, skip_without

    from warmtegis.outputs.design_package import write_design_packages

    skip_without("chromium")
    nets = otterlo.layers["mini_nets"]
    gid = nets.loc[nets["eligible"], "mini_net_id"].iloc[0]
    folder = write_design_packages(otterlo, tmp_path / "d", groups=[gid])[0]
    gpkg = folder / "design.gpkg"
    n_dwell = len(pyogrio.read_dataframe(gpkg, layer="dwellings"))
    bh = pyogrio.read_dataframe(gpkg, layer="boreholes")
    with headless_page(folder / "design.html") as driver:
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        maps = driver.find_elements("css selector", "svg.map")
        assert len(maps) == 3
        first = maps[0]
        assert len(first.find_elements("css selector", "#layer-dwellings path")) == n_dwell
        n_as_built = int((bh["scenario"] == "as built").sum())
        assert len(first.find_elements("css selector", "#layer-boreholes circle")) == n_as_built
        assert first.find_elements("css selector", "#layer-trench path")
        assert first.find_elements("css selector", "#layer-klic path")
        assert first.find_element("css selector", "#layer-dwellings path").size["width"] > 5
        text = driver.find_element("tag name", "main").text
        assert "Staat van hoeveelheden" in text and "Eigen bodemwarmtepomp" in text


def test_design_cli_writes_packages_and_refuses_a_study_without_groups(tmp_path):
    from warmtegis.cli import main

    res = CliRunner().invoke(
        main, ["-q", "design", str(get_path("otterlo/study.toml")), "--out-dir",
               str(tmp_path / "pk"), "--group", "mn00042-00"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pk" / "mn00042-00" / "design.html").exists()
    assert (tmp_path / "pk" / "index.csv").read_text().startswith("mini_net_id")
    res = CliRunner().invoke(
        main, ["-q", "design", str(get_path("otterlo/study.toml")), "--out-dir",
               str(tmp_path / "pk"), "--group", "mn99999-99"],
    )  # fmt: skip
    assert res.exit_code == 2 and "no such mini net" in res.output
    assert (tmp_path / "pk" / "mn00042-00" / "design.html").exists()  # the good set stays


def test_trench_reaches_every_wall(otterlo):
    """The trench runs to each member's wall, where its heat pump stands (it stopped up to
    3 m short, at the edge of the grid's building clearance)."""
    import shapely

    lines = otterlo.design.trench_lines
    members = otterlo.mini_nets.buildings
    short = otterlo.design.trenches.set_index("mini_net_id")["trench_walls_not_reached"]
    assert len(lines)
    for gid, trench in lines.groupby("mini_net_id"):
        net = shapely.union_all(trench.geometry.values)
        homes = members.loc[members["mini_net_id"] == gid].geometry.values
        gaps = shapely.distance(homes, net)
        # every wall is reached, or the group counts the ones where a building, a root zone
        # or water lies between (and the trench ends at most wall_reach_m from that wall)
        assert int((gaps > 1e-6).sum()) == short[gid], gid
        assert gaps.max() <= CollectiveLoopParams().wall_reach_m + 1e-6
    assert (short == 0).any()
