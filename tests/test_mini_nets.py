"""Mini heat networks: dwellings, shared walls, balanced contiguous groups, demand, boreholes."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pygfunction as gt
import pytest
import shapely
from shapely.geometry import box

from warmtegis import read_buildings
from warmtegis.buildings.classify import classify_buildings, shared_walls
from warmtegis.buildings.demand import heat_demand
from warmtegis.datasets import get_path
from warmtegis.mini_nets.boreholes import ground_loads, size_borefield, size_mini_nets
from warmtegis.mini_nets.grouping import mini_net_candidates, partition_block
from warmtegis.params.dwellings import BoreholeParams, DemandParams, MiniNetParams


def houses(boxes, *, units=1, use="woonfunctie", year=1980, floor=115.0):
    """BAG-like buildings from (xmin, ymin, xmax, ymax) boxes."""
    n = len(boxes)
    return gpd.GeoDataFrame(
        {
            "building_id": [f"{i:016d}" for i in range(n)],
            "year_built": [year] * n,
            "use": [use] * n,
            "n_units": [units] * n if np.isscalar(units) else units,
            "floor_area_max_m2": [floor] * n,
            "status": ["Pand in gebruik"] * n,
            "source": ["bag"] * n,
        },
        geometry=[box(*b) for b in boxes],
        crs="EPSG:28992",
    )


def row(n, x0=0.0, y0=0.0, width=6.0, depth=10.0, gap=0.0):
    return [
        (x0 + i * (width + gap), y0, x0 + (i + 1) * width + i * gap, y0 + depth) for i in range(n)
    ]


def groups_of(result):
    b = result.buildings
    return b.dropna(subset=["mini_net_id"]).groupby("mini_net_id")["building_id"].apply(sorted)


# ------------------------------------------------------------------------------------------
# hand-built footprints
# ------------------------------------------------------------------------------------------
def test_semi_detached_pair_is_one_group_of_two():
    r = mini_net_candidates(houses(row(2)))
    assert len(r.mini_nets) == 1
    assert r.mini_nets["n_dwellings"].item() == 2
    assert set(r.buildings["dwelling_type"]) == {"semi-detached"}
    # the hand-computed area of the group: two 6 x 10 m houses
    assert r.mini_nets.geometry.area.item() == pytest.approx(120.0)


def test_row_of_fourteen_becomes_two_groups_of_seven_in_order():
    r = mini_net_candidates(houses(row(14)))
    groups = groups_of(r)
    assert sorted(len(g) for g in groups) == [7, 7]
    # contiguous along the row: the first seven and the last seven houses
    ids = [f"{i:016d}" for i in range(14)]
    assert sorted(map(tuple, groups)) == [tuple(ids[:7]), tuple(ids[7:])]
    types = r.buildings["dwelling_type"].to_list()
    assert types[0] == types[-1] == "end-of-terrace"
    assert set(types[1:-1]) == {"mid-terrace"}


def test_row_of_three_is_one_group_and_detached_is_none():
    buildings = houses([*row(3), (100, 100, 110, 110)])
    r = mini_net_candidates(buildings)
    assert r.mini_nets["n_dwellings"].to_list() == [3]
    lone = r.buildings.iloc[3]
    assert lone["dwelling_type"] == "detached"
    assert pd.isna(lone["mini_net_id"])
    assert not lone["eligible"]


def test_apartment_block_is_excluded_and_counted():
    buildings = houses([*row(2), (50, 0, 80, 12)], units=[1, 1, 12])
    r = mini_net_candidates(buildings)
    apartment = r.buildings.iloc[2]
    assert apartment["category"] == "apartments"
    assert apartment["dwellings"] == 12
    assert pd.isna(apartment["mini_net_id"])
    assert apartment["heat_demand_gj"] == pytest.approx(12 * 22.0)  # method.md: 22 GJ per apartment
    summary = {k: v for k, v, _ in r.summary()}
    assert summary["dwellings"] == 14
    assert summary["dwellings_in_apartment_buildings"] == 12
    assert summary["mini_net_eligible_dwellings"] == 2


def test_rows_touching_at_a_corner_are_two_blocks():
    # row B starts exactly at the top-right corner of row A
    buildings = houses([*row(3), *row(3, x0=18.0, y0=10.0)])
    walls = shared_walls(buildings.geometry)
    assert len(walls) == 4  # 2 walls in each row, none at the corner
    r = mini_net_candidates(buildings)
    assert sorted(r.mini_nets["n_dwellings"]) == [3, 3]
    assert r.buildings["block_id"].nunique() == 2


def test_digitising_gap_is_bridged_but_a_real_gap_is_not():
    bridged = mini_net_candidates(houses(row(2, gap=0.1)))
    assert len(bridged.mini_nets) == 1
    apart = mini_net_candidates(houses(row(2, gap=1.0)))
    assert len(apart.mini_nets) == 0
    # a 1 m sliver of contact (a porch corner) is not a party wall
    sliver = houses([(0, 0, 6, 10), (6, 9, 12, 19)])
    assert len(shared_walls(sliver.geometry)) == 0


def test_outbuildings_and_not_in_use_are_left_out():
    buildings = houses([*row(2), (12, 0, 15, 3)], units=[1, 1, 0])
    buildings.loc[1, "status"] = "Bouwvergunning verleend"
    cls = classify_buildings(buildings)
    assert cls["category"].to_list() == ["ground_bound", "not_in_use", "outbuilding"]
    assert cls["dwellings"].to_list() == [1, 0, 0]


def test_footprint_fallback_without_register_attributes():
    buildings = houses([*row(2), (20, 0, 25, 5), (40, 0, 60, 20)]).drop(
        columns=["use", "n_units", "floor_area_max_m2"]
    )
    buildings["source"] = "bgt"
    cls = classify_buildings(buildings)
    # 60 m2 houses count as dwellings, 25 m2 is a shed, 400 m2 is not taken for a house
    assert cls["category"].to_list() == ["ground_bound", "ground_bound", "outbuilding", "unknown"]
    assert set(cls["basis"]) == {"footprint"}


def test_join_detached_houses_within_a_distance():
    buildings = houses([(0, 0, 10, 10), (14, 0, 24, 10), (60, 0, 70, 10)])
    assert len(mini_net_candidates(buildings).mini_nets) == 0
    joined = mini_net_candidates(buildings, params=MiniNetParams(join_detached_within_m=5.0))
    assert joined.mini_nets["n_dwellings"].to_list() == [2]


@pytest.mark.parametrize(
    ("n", "sizes"),
    [(14, [7, 7]), (23, [7, 8, 8]), (11, [5, 6]), (10, [10]), (21, [7, 7, 7]), (1, [])],
)
def test_partition_of_a_row_is_balanced_and_contiguous(n, sizes):
    graph = nx.path_graph(n)
    groups = partition_block(graph, min_size=2, max_size=10)
    assert sorted(len(g) for g in groups) == sizes
    assert sorted(v for g in groups for v in g) == (list(range(n)) if n >= 2 else [])
    assert all(nx.is_connected(graph.subgraph(g)) for g in groups)


def test_partition_of_branched_and_closed_blocks():
    # a perimeter block (cycle of 30) and a T-shaped block (rows of 12 + 9 meeting)
    cycle = nx.cycle_graph(30)
    tee = nx.path_graph(12)
    tee.add_edges_from([(5, 100), *((100 + i, 101 + i) for i in range(8))])
    for graph in (cycle, tee):
        groups = partition_block(graph, min_size=2, max_size=10)
        sizes = [len(g) for g in groups]
        assert sum(sizes) == graph.number_of_nodes()
        assert all(2 <= s <= 10 for s in sizes)
        assert max(sizes) - min(sizes) <= 2
        assert all(nx.is_connected(graph.subgraph(g)) for g in groups)
    # deterministic
    assert partition_block(tee) == partition_block(tee.copy())


# ------------------------------------------------------------------------------------------
# demand
# ------------------------------------------------------------------------------------------
def test_demand_anchor_and_override():
    d = heat_demand(
        pd.Series([1980, 1920, None]),
        pd.Series([115.0, 115.0, 115.0]),
        pd.Series(["mid-terrace", "end-of-terrace", "detached"]),
    )
    assert d[0] == pytest.approx(42.0, abs=0.1)  # docs/method.md: about 42 GJ, 1974-1994 stock
    assert d[1] == pytest.approx(0.56 * 115 * 1.12)
    assert d[2] == pytest.approx(0.365 * 115 * 1.45)  # unknown year -> 1980
    buildings = houses(row(2))
    buildings["heat_demand_gj"] = [30.0, None]
    r = mini_net_candidates(buildings)
    assert r.buildings["heat_demand_gj"].to_list() == pytest.approx([30.0, 0.365 * 115 * 1.2])


def test_demand_table_is_validated():
    from warmtegis import ConfigError

    with pytest.raises(ConfigError, match="without gaps"):
        DemandParams(specific_gj_per_m2={"-1945": 0.5, "1950-": 0.3})


# ------------------------------------------------------------------------------------------
# boreholes
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("case", "expected"), [(1, 56.77), (3, 66.87), (4, 91.46)])
def test_sizing_matches_ghetool_validation_cases(case, expected):
    """GHEtool's published L3 answers (Validation/cases.py, Peere et al. 2021)."""
    from ghetool_cases import load_case

    params = BoreholeParams(
        ground_conductivity_w_mk=3.5,
        ground_temperature_c=10.0,
        borehole_resistance_mk_w=0.2,
        min_fluid_temperature_c=0.0,
        max_fluid_temperature_c=16.0,
        simulation_years=20,
        buried_depth_m=4.0,
        borehole_radius_m=0.075,
    )
    field = gt.borefield.Borefield.rectangle_field(10, 12, 6.5, 6.5, 100, 4, 0.075)
    result = size_borefield(*load_case(case), borefield=field, params=params)
    assert result.length_m == pytest.approx(expected, rel=0.01)
    assert result.limited_by == ("injection" if case == 1 else "extraction")


def test_more_demand_never_gives_fewer_metres():
    for n in (2, 3, 6, 10):
        demand = np.linspace(20, 80, 25) * n
        sized = size_mini_nets(np.full(len(demand), n), demand)
        assert np.all(np.diff(sized["drilled_m"].to_numpy()) >= 0)
        assert sized["borehole_depth_m"].between(30, 200).all()


def test_grid_sizing_matches_direct_sizing():
    params = BoreholeParams()
    sized = size_mini_nets(np.array([3]), np.array([126.0])).iloc[0]
    monthly, peak = ground_loads(np.array([126.0]), params)
    direct = size_borefield(
        monthly[0], np.zeros(12), peak[0], np.zeros(12),
        n_boreholes=int(sized["n_boreholes"]), params=params,
    )  # fmt: skip
    assert sized["borehole_depth_m"] == pytest.approx(direct.length_m, rel=0.01)
    assert direct.fluid_min_c == pytest.approx(params.min_fluid_temperature_c, abs=0.01)
    # the ground supplies 1 - 1/SPF of the heat: 126 GJ = 35,000 kWh -> 27,222 kWh
    assert sized["ground_extraction_mwh"] == pytest.approx(35.0 * (1 - 1 / 4.5))


# ------------------------------------------------------------------------------------------
# real data
# ------------------------------------------------------------------------------------------
def check_groups(result, params=None):
    params = params or MiniNetParams()
    b = result.buildings
    nets = result.mini_nets
    assert nets["n_dwellings"].between(params.min_dwellings, params.max_dwellings).all()
    assert nets["n_dwellings"].sum() == b["eligible"].sum()
    # every dwelling in a block of two or more is in a group
    block_size = b.groupby("block_id")["block_id"].transform("size")
    assert b.loc[block_size >= 2, "eligible"].all()
    # groups are contiguous along shared walls
    walls = nx.Graph()
    walls.add_nodes_from(b.loc[b["eligible"], "building_id"])
    walls.add_edges_from(
        zip(result.walls["building_id_a"], result.walls["building_id_b"], strict=True)
    )
    for _, members in b[b["eligible"]].groupby("mini_net_id")["building_id"]:
        assert nx.is_connected(walls.subgraph(members))
    # groups of one block differ by at most one in size where the block is a plain row
    assert (nets["capex_per_dwelling_eur"] > 0).all()
    assert (nets["borehole_depth_m"] >= 30).all()


def test_delft_wippolder_rows():
    buildings = read_buildings(get_path("delft_wippolder/bag_pand.gpkg"))
    r = mini_net_candidates(buildings)
    check_groups(r)
    b = r.buildings
    # BAG: 60 panden; one ground-bound dwelling per pand with one woonfunctie verblijfsobject
    single = (b["use"].str.contains("woonfunctie", na=False)) & (b["n_units"] == 1)
    assert (b["category"] == "ground_bound").sum() == single.sum()
    assert (b["category"] == "apartments").sum() == (
        b["use"].str.contains("woonfunctie", na=False) & (b["n_units"] >= 2)
    ).sum()
    # independent check of the walls: exactly coincident BAG boundaries of 2 m or more
    dw = b[b["category"] == "ground_bound"].reset_index(drop=True)
    geoms = dw.geometry.to_numpy()
    i, j = np.triu_indices(len(dw), 1)
    common = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
    )
    exact = {
        frozenset(p)
        for p in zip(
            dw["building_id"][i[common >= 2]], dw["building_id"][j[common >= 2]], strict=True
        )
    }
    found = {
        frozenset(p) for p in zip(r.walls["building_id_a"], r.walls["building_id_b"], strict=True)
    }
    assert exact <= found


def test_wageningen_and_doesburg():
    for name in ("wageningen/bag_pand.gpkg", "doesburg/bag_pand.gpkg"):
        buildings = read_buildings(get_path(name))
        r = mini_net_candidates(buildings)
        check_groups(r)
        assert len(r.buildings) == len(buildings)
    # all 7,395 Doesburg panden are classified; LVBAG has no use, so by footprint
    assert len(r.buildings) == 7395
    assert set(r.buildings["basis"]) == {"footprint"}
    assert (
        r.buildings["category"].isin(["ground_bound", "outbuilding", "unknown", "not_in_use"]).all()
    )
