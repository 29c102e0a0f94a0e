"""Trunk routing: Steiner heuristics vs known optima and the MILP, sizing, the pipes layer."""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon

import warmtegis as wg
from warmtegis.datasets import get_path
from warmtegis.network.graph import street_graph
from warmtegis.network.hydraulics import DN_INNER_DIAMETER_MM, pipe_dn, pressure_drop, simultaneity
from warmtegis.network.routing import route_network
from warmtegis.network.steiner import steiner_milp, steiner_tree
from warmtegis.network.steiner_graph import shortest_path_tree
from warmtegis.params.street import RoutingParams

CRS = "EPSG:28992"


# ------------------------------------------------------------------------------ Steiner trees
def star() -> nx.Graph:
    """Three terminals pairwise 2 apart, a Steiner node 1.1 from each: optimum 3.3 (star)."""
    G = nx.Graph()
    for a, b in [("a", "b"), ("b", "c"), ("a", "c")]:
        G.add_edge(a, b, weight=2.0)
    for t in "abc":
        G.add_edge("s", t, weight=1.1)
    return G


def jittered_grid(n: int, seed: int = 0) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(n, n), label_attribute="ij")
    xy = np.array([G.nodes[v]["ij"] for v in G]) * 60.0 + rng.uniform(-12, 12, (len(G), 2))
    for u, v in G.edges:
        G[u][v]["weight"] = float(np.hypot(*(xy[u] - xy[v])))
    return G


def test_star_needs_a_steiner_node():
    G = star()
    assert steiner_tree(G, "abc", method="mehlhorn").length == pytest.approx(4.0)
    improved = steiner_tree(G, "abc")
    assert improved.length == pytest.approx(3.3)
    assert set(improved.tree.nodes) == set("abcs")
    exact = steiner_milp(G, "abc")
    assert exact.optimal and exact.length == pytest.approx(3.3)


def test_grid_corners_h_shape():
    # 3 x 3 unit grid, the four corners: the optimum is an H of length 6 (a plus through the
    # centre is 8)
    G = nx.grid_2d_graph(3, 3)
    nx.set_edge_attributes(G, 1.0, "weight")
    corners = [(0, 0), (0, 2), (2, 0), (2, 2)]
    for method in ("mehlhorn", "kou", "sph", "improved", "milp"):
        res = steiner_tree(G, corners, method=method)
        assert nx.is_tree(res.tree) and set(corners) <= set(res.tree)
        assert res.length <= 6.0 * 1.05 + 1e-9, method
    assert steiner_tree(G, corners, method="milp").length == pytest.approx(6.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_improved_within_5_percent_of_milp(seed):
    G = jittered_grid(8, seed)
    terms = [int(t) for t in np.random.default_rng(seed + 10).choice(len(G), 15, replace=False)]
    exact = steiner_milp(G, terms, root=terms[0])
    assert exact.optimal
    assert exact.bound == pytest.approx(exact.length, rel=1e-6)
    improved = steiner_tree(G, terms, root=terms[0])
    mehlhorn = steiner_tree(G, terms, root=terms[0], method="mehlhorn")
    assert exact.length - 1e-6 <= improved.length <= exact.length * 1.05
    assert improved.length <= mehlhorn.length + 1e-9
    for res in (exact, improved):
        assert nx.is_tree(res.tree) and set(terms) <= set(res.tree)
        assert res.length == pytest.approx(res.tree.size(weight="weight"))


def test_improved_beats_mehlhorn_on_a_dense_grid():
    G = jittered_grid(30, 3)
    terms = [int(t) for t in np.random.default_rng(4).choice(len(G), 225, replace=False)]
    improved = steiner_tree(G, terms, root=terms[0])
    mehlhorn = steiner_tree(G, terms, root=terms[0], method="mehlhorn")
    assert nx.is_tree(improved.tree) and set(terms) <= set(improved.tree)
    # every leaf is a terminal
    assert all(improved.tree.degree(v) > 1 or v in terms for v in improved.tree)
    assert improved.length < mehlhorn.length * 0.98


def test_steiner_errors():
    G = star()
    with pytest.raises(ValueError, match="method"):
        steiner_tree(G, "abc", method="prim")
    with pytest.raises(nx.NodeNotFound):
        steiner_tree(G, ["a", "x"])
    H = star()
    H.add_edge("x", "y", weight=1.0)
    with pytest.raises(nx.NetworkXError, match="not all connected"):
        steiner_tree(H, ["a", "x"], method="sph")


@pytest.mark.parametrize("seed", range(6))
def test_array_shortest_path_tree_equals_the_graph_heuristic(seed):
    """The scipy-array SPH (mini-net trenches) builds the same tree as steiner_tree's "sph".

    Two implementations of Takahashi & Matsuyama's heuristic (scipy Dijkstra passes vs
    incremental pure-Python waves); distinct random weights leave no ties, so the trees
    must be edge for edge the same, and each a tree joining every terminal.
    """
    G = jittered_grid(9, seed)
    rng = np.random.default_rng(seed)
    terminals = sorted(rng.choice(len(G), 8, replace=False).tolist())
    root = terminals[0]
    u, v = (np.array(x) for x in zip(*G.edges, strict=True))
    w = np.array([G[a][b]["weight"] for a, b in G.edges])
    ta, tb = shortest_path_tree(len(G), u, v, w, terminals, root)
    mine = {tuple(sorted(e)) for e in zip(ta.tolist(), tb.tolist(), strict=True)}
    ref = steiner_tree(G, terminals, root=root, method="sph")
    assert mine == {tuple(sorted(e)) for e in ref.tree.edges}
    T = nx.Graph(list(mine))
    assert nx.is_tree(T) and set(terminals) <= set(T)
    with pytest.raises(ValueError, match="not all connected"):
        shortest_path_tree(4, np.array([0, 2]), np.array([1, 3]), np.ones(2), [0, 3], 0)
    # parallel edges: the lightest counts (0-1 at 1.0 beats 0-2-1 at 1.5; 3.0 is ignored)
    a, b = shortest_path_tree(
        3, np.array([0, 1, 0, 2]), np.array([1, 0, 2, 1]), np.array([3.0, 1.0, 0.5, 1.0]), [1], 0
    )
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 1)]


# ------------------------------------------------------------------------------ sizing
def colebrook_drop(kw: float, di: float, p: RoutingParams) -> tuple[float, float]:
    """Independent check: Colebrook-White by fixed-point iteration, water at 55 °C."""
    rho, cp, mu = 985.7, 4180.0, 0.504e-3  # IAPWS values at 55 °C
    q = kw * 1e3 / (cp * (p.supply_temp - p.return_temp)) / rho
    v = q / (math.pi * di**2 / 4)
    re = rho * v * di / mu
    f = 0.02
    for _ in range(50):
        f = (-2 * math.log10(p.roughness_mm / 1e3 / (3.7 * di) + 2.51 / (re * math.sqrt(f)))) ** -2
    return v, f * rho * v**2 / (2 * di)


@pytest.mark.parametrize(("kw", "dn"), [(30.0, "32"), (500.0, "100"), (5000.0, "250")])
def test_pressure_drop_matches_colebrook(kw, dn):
    p = RoutingParams()
    di = DN_INNER_DIAMETER_MM[dn] / 1e3
    v, r = pressure_drop(np.array([kw]), np.array([di]), p)
    v_ref, r_ref = colebrook_drop(kw, di, p)
    assert v[0] == pytest.approx(v_ref, rel=0.01)
    assert r[0] == pytest.approx(r_ref, rel=0.03)


def test_pipe_dn_is_the_smallest_within_limits():
    p = RoutingParams()
    sizes = list(DN_INNER_DIAMETER_MM)
    for kw in (5.0, 60.0, 700.0, 3000.0, 15000.0):
        dn = str(pipe_dn(np.array([kw]), p)[0])
        v, r = colebrook_drop(kw, DN_INNER_DIAMETER_MM[dn] / 1e3, p)
        assert r <= p.max_pressure_drop_pa_per_m * 1.03 and v <= p.max_velocity_m_s
        k = sizes.index(dn)
        if k:
            v0, r0 = colebrook_drop(kw, DN_INNER_DIAMETER_MM[sizes[k - 1]] / 1e3, p)
            assert r0 > p.max_pressure_drop_pa_per_m * 0.97 or v0 > p.max_velocity_m_s


def test_simultaneity_properties():
    f = simultaneity(np.array([1, 2, 10, 50, 100, 1000, 1e6]))
    assert f[0] == 1.0
    assert np.all(np.diff(f) < 0)
    assert f[-1] == pytest.approx(0.4497, abs=1e-3)  # Winter's asymptote a
    assert f[4] == pytest.approx(0.588, abs=0.005)


# ------------------------------------------------------------------------------ on geometry
def house(x: float, y: float) -> Polygon:
    """A footprint whose unique nearest point to a street below it is its tip (x, y)."""
    return Polygon([(x, y), (x + 5, y + 3), (x + 5, y + 10), (x - 5, y + 10), (x - 5, y + 3)])


def buildings_at(points: list[tuple[float, float]], gj: float = 42.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "building_id": [f"b{i}" for i in range(len(points))],
            "category": "ground_bound",
            "dwellings": 1,
            "heat_demand_gj": gj,
        },
        geometry=[house(x, y) for x, y in points],
        crs=CRS,
    )


def streets(lines: list[list[tuple[float, float]]], passable=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "segment_id": [f"s{i}" for i in range(len(lines))],
            "passable": passable if passable is not None else [True] * len(lines),
        },
        geometry=[LineString(c) for c in lines],
        crs=CRS,
    )


def test_straight_street_by_hand():
    # a 100 m street, houses with their tips 10 m off it at x = 20, 50, 80, the source 5 m
    # beyond the street's start: service 3 x 10 m; transport = source line 5 m + 0-20 m
    # (no connection before x = 20); secondary 20-80 m; 80-100 m is not built
    net = route_network(
        streets([[(0, 0), (100, 0)]]),
        buildings_at([(20, 10), (50, 10), (80, 10)]),
        source=(-5.0, 0.0),
    )
    lengths = net.lengths_by_class
    assert lengths["service"] == pytest.approx(30.0)
    assert lengths["transport"] == pytest.approx(25.0)
    assert lengths["secondary"] == pytest.approx(60.0)
    assert lengths["primary"] == 0.0
    pipes = net.pipes
    assert (pipes.loc[pipes["pipe_class"] == "service", "dwellings_served"] == 1).all()
    trunk = pipes[pipes["pipe_class"] != "service"].copy()
    trunk["x"] = trunk.geometry.centroid.x
    served = trunk.sort_values("x")["dwellings_served"].tolist()
    assert served == [3, 3, 2, 1]  # source line, 0-20, 20-50, 50-80
    one_kw = 42 / 0.0036 / 1800  # 6.48 kW per dwelling
    expect = [3 * one_kw * simultaneity(3), 2 * one_kw * simultaneity(2), one_kw]
    assert trunk.sort_values("x")["peak_kw"].iloc[1:].to_numpy() == pytest.approx(expect)
    # prices: method.md §2 MT transport 1,902 EUR/m, secondary 1,280 EUR/m, service in connection
    assert pipes["cost_eur"].sum() == pytest.approx(25 * 1902 + 60 * 1280)
    assert (pipes["dn"] >= 20).all()
    keys = dict(zip(*zip(*[(k, v) for k, v, _ in net.summary()], strict=True), strict=True))
    assert keys["connections"] == 3
    assert "MT_npv" in keys


def loop_streets() -> gpd.GeoDataFrame:
    # A(0,0)-B(100,0) has no trench room; the detour A-C(0,50)-D(100,50)-B is 200 m
    return streets(
        [[(0, 0), (100, 0)], [(0, 0), (0, 50)], [(0, 50), (100, 50)], [(100, 50), (100, 0)]],
        passable=[False, True, True, True],
    )


def test_forbid_keeps_pipes_off_impassable_segments():
    b = buildings_at([(100, -20)])
    b["geometry"] = [house(100, -10).buffer(0)]
    forbid = route_network(
        loop_streets(), b, source=(-5.0, 0.0), params=RoutingParams(impassable="forbid")
    )
    assert forbid.pipes["passable"].all()
    assert forbid.connections["connected"].all()
    trunk = forbid.pipes[forbid.pipes["pipe_class"] != "service"]
    assert trunk["length_m"].sum() == pytest.approx(5 + 200)
    assert "s0" not in set(trunk["segment_id"])


@pytest.mark.parametrize(("penalty", "through"), [(1.5, True), (3.0, False)])
def test_penalty_weighs_impassable_segments(penalty, through):
    b = buildings_at([(100, -10)])
    net = route_network(
        loop_streets(), b, source=(-5.0, 0.0), params=RoutingParams(impassable_penalty=penalty)
    )
    on_bad = net.pipes.loc[~net.pipes["passable"], "length_m"].sum()
    assert on_bad == pytest.approx(100.0 if through else 0.0)
    if through:  # no connection before B, so A-B is transport: 1,902 EUR/m x the penalty
        trunk = net.pipes[net.pipes["segment_id"] == "s0"]
        assert trunk["cost_eur"].sum() == pytest.approx(100 * 1902 * penalty)


def test_ditch_crossing_costs_a_drilling():
    # a ditch crosses the street at x = 50; the only house is at x = 80, so the trunk from
    # the source (5 m line + 80 m, all transport) crosses it once: + 30,000 EUR
    ditch = gpd.GeoDataFrame(geometry=[LineString([(50, -20), (50, 20)])], crs=CRS)
    net = route_network(
        streets([[(0, 0), (100, 0)]]), buildings_at([(80, 10)]), source=(-5.0, 0.0), barriers=ditch
    )
    trunk = net.pipes[net.pipes["pipe_class"] == "transport"]
    assert trunk["length_m"].sum() == pytest.approx(85.0)
    assert trunk["crossings"].sum() == 1
    assert net.pipes["cost_eur"].sum() == pytest.approx(85 * 1902 + 30000)
    s = dict((k, v) for k, v, _ in net.summary())
    assert s["pipes_crossings"] == 1
    assert net.business_case.capex.query("group == 'pipes'")["cost_eur"].sum() == pytest.approx(
        85 * 1902 + 30000
    )


def test_separate_streets_are_linked_or_reported():
    lines = [[(0, 0), (100, 0)], [(120, 0), (220, 0)]]
    b = buildings_at([(50, 10), (170, 10)])
    linked = route_network(streets(lines), b, source=(-5.0, 0.0))
    assert linked.connections["connected"].all()
    assert linked.pipes["linked"].any()
    assert linked.pipes.loc[linked.pipes["linked"], "length_m"].sum() == pytest.approx(20.0)
    apart = route_network(
        streets(lines),
        b,
        source=(-5.0, 0.0),
        params=RoutingParams(link_components=False, service_max_m=30.0),
    )
    assert apart.connections["connected"].tolist() == [True, False]
    assert "no usable street" in apart.connections["reason"].iloc[1]


def test_street_graph_snaps_gaps_and_uses_junction_ids():
    # end points 0.5 m apart join (tolerance 1 m); 3 m apart do not
    g = streets([[(0, 0), (50, 0)], [(50.5, 0), (100, 0)], [(103, 0), (150, 0)]])
    edges, nodes = street_graph(g, params=RoutingParams(link_components=False))
    assert len(nodes) == 5
    assert edges["component"].nunique() == 2
    # NWB junction ids join ends that are apart
    g["node_from"] = ["1", "2", "3"]
    g["node_to"] = ["2", "3", "4"]
    edges, nodes = street_graph(g, params=RoutingParams(link_components=False))
    assert edges["component"].nunique() == 1


def test_route_network_needs_building_columns():
    with pytest.raises(wg.InputError, match="building_id"):
        route_network(
            streets([[(0, 0), (100, 0)]]),
            buildings_at([(20, 10)]).drop(columns="building_id"),
        )


# ------------------------------------------------------------------------------ real data
def pipe_graph(pipes: gpd.GeoDataFrame) -> nx.Graph:
    xy = lambda p: tuple(np.round(p, 3))  # noqa: E731
    G = nx.Graph()
    for geom in pipes.geometry:
        c = np.asarray(geom.coords)
        G.add_edge(xy(c[0]), xy(c[-1]))
    return G


def test_otterlo_network_is_a_tree_with_one_service_pipe_per_building(otterlo):
    pipes = otterlo.layers["pipes"]
    service = pipes[pipes["pipe_class"] == "service"]
    connected = otterlo.layers["buildings"].query("connected")
    assert len(connected) > 250
    assert service["building_id"].is_unique
    assert set(service["building_id"]) == set(connected["building_id"])
    G = pipe_graph(pipes)
    assert nx.is_tree(G)
    assert set(pipes["pipe_class"]) <= {"transport", "primary", "secondary", "service"}
    # the pipes' lengths add up to the graph edges they use
    trunk = pipes[(pipes["pipe_class"] != "service") & (pipes["segment_id"] != "source")]
    net = otterlo.network
    assert trunk["length_m"].sum() == pytest.approx(
        net.edges.loc[[d["row"] for *_, d in net.steiner.tree.edges(data=True)], "length_m"].sum()
    )
    # the source carries every connected dwelling
    assert pipes["dwellings_served"].max() == connected["dwellings"].sum()


def test_otterlo_summary_and_geopackage(otterlo, tmp_path):
    s = otterlo.summary.set_index("key")["value"]
    lengths = otterlo.network.lengths_by_class
    assert s["pipes_secondary"] == pytest.approx(lengths["secondary"] / 1000)
    assert s["connections"] == otterlo.layers["buildings"]["connected"].sum()
    bc = otterlo.network.business_case
    assert bc.capex.query("group == 'pipes'")["cost_eur"].sum() == pytest.approx(
        otterlo.layers["pipes"]["cost_eur"].sum()
    )
    path = otterlo.to_geopackage(tmp_path / "o.gpkg")
    pipes = gpd.read_file(path, layer="pipes")
    required = {"pipe_class", "length_m", "dn", "peak_kw", "dwellings_served", "cost_eur"}
    assert required <= set(pipes.columns)
    assert pd.api.types.is_integer_dtype(pipes["dn"])


def test_non_residential_without_demand_gets_the_cost_file_figure():
    # docs/method.md §2: 70 GJ per non-residential connection -> 70 / 0.0036 / 1800 = 10.8 kW peak
    b = buildings_at([(50, 10)])
    b["category"] = "non_residential"
    b["dwellings"] = 0
    b["heat_demand_gj"] = np.nan
    net = route_network(streets([[(0, 0), (100, 0)]]), b, source=(-5.0, 0.0))
    svc = net.pipes[net.pipes["pipe_class"] == "service"]
    assert svc["peak_kw"].iloc[0] == pytest.approx(70 / 0.0036 / 1800)
    assert net.business_case.inputs["connections"]["utiliteit"] == pytest.approx(0.8)


def test_street_graph_of_an_osm_extract_keeps_every_street(abroad):
    # osmnx may draw a way against its u -> v order: ids must not fold such lines up
    roads = wg.read_roads(get_path("osm/kouvola.osm.bz2"))
    edges, nodes = street_graph(roads, params=RoutingParams(link_components=False))
    loops = (roads.geometry.apply(lambda g: g.is_ring)).sum()
    assert len(edges) == len(roads) - loops
    assert len(nodes) <= pd.concat([roads["node_from"], roads["node_to"]]).nunique()
    start = edges.geometry.apply(lambda g: g.coords[0])
    at_u = nodes.geometry.values[edges["u"].to_numpy()]
    assert np.allclose(np.array(start.tolist()), np.c_[at_u.x, at_u.y])
    assert edges["length_m"].sum() == pytest.approx(roads.length.sum(), rel=0.01)


def test_source_beyond_a_stray_road_joins_the_main_network():
    """A road piece near an outside source, not linked to the streets, is not the network."""
    import shapely

    roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    houses = wg.read_buildings(get_path("wageningen/bag_pand.gpkg"))
    _, y0, x1, y1 = roads.total_bounds
    source = (x1 + 800.0, (y0 + y1) / 2)  # 800 m east of the last street
    stray = gpd.GeoDataFrame(  # a 40 m farm track 100 m from the source, 700 m from the rest
        {"wvk_id": [999999], "wegbehsrt": ["G"]},
        geometry=[LineString([(source[0] - 100, source[1]), (source[0] - 100, source[1] + 40)])],
        crs=roads.crs,
    )
    with_stray = pd.concat([roads, stray], ignore_index=True)
    plain = route_network(roads, houses, source=source)
    net = route_network(with_stray, houses, source=source)
    assert int(net.connections["connected"].sum()) == int(plain.connections["connected"].sum())
    assert int(net.connections["connected"].sum()) > 500
    link = net.pipes.query("segment_id == 'source'")
    # by hand: the straight distance from the source to the streets without the stray track
    expected = float(shapely.distance(shapely.Point(source), roads.geometry.union_all()))
    assert link["length_m"].sum() == pytest.approx(expected, abs=0.5)
    assert expected > 700
