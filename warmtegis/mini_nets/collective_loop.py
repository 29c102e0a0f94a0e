"""The collective loop of a mini net: its trench in open ground and its PE pipes.

:func:`route_trench` routes one group's trench from each dwelling's wall to the manifold and
the loops: a Steiner tree (:func:`warmtegis.network.steiner_graph.shortest_path_tree`) on a grid of
the open ground the group may dig in, priced per surface (garden, paving, road crossing), with
PE pipes sized by brine flow and pressure drop (:func:`size_pe`); :func:`route_trenches` does
it for every group with placed loops (docs/method.md §3d). Part of the mini-net design
(:mod:`warmtegis.mini_nets.design`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.log import log
from warmtegis.mini_nets.ground import LINE_HALF_WIDTH_M
from warmtegis.network.hydraulics import darcy_weisbach, simultaneity
from warmtegis.network.steiner_graph import shortest_path_tree
from warmtegis.params.dwellings import CollectiveLoopParams
from warmtegis.params.parameters import Parameters

__all__ = [
    "PE_OUTER_MM",
    "TRENCH_PRICE",
    "Trench",
    "route_trench",
    "route_trenches",
    "size_pe",
    "trench_blocked",
    "trench_ground",
]

#: PE100 SDR 11 pipe outer diameters (mm) the collective loop is sized from (EN 12201-2
#: series); the inner diameter is 9/11 of the outer (wall = outer / 11).
PE_OUTER_MM = (25, 32, 40, 50, 63, 75, 90, 110, 125)
#: Surfaces a trench may run through and the cost-model price each is charged at.
TRENCH_PRICE = {
    "garden": "trench_eur_per_m",
    "open ground": "trench_eur_per_m",
    "paving": "trench_paving_eur_per_m",
    "road crossing": "trench_road_eur_per_m",
}


def size_pe(
    ground_kw: np.ndarray, params: CollectiveLoopParams | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smallest PE pipe (outer mm) carrying each ground-side load within the pressure drop.

    Brine flow = load / (ρ cp ΔT); pressure drop by Darcy-Weisbach
    (:func:`~warmtegis.network.hydraulics.darcy_weisbach`) in the inner diameter (9/11 of the
    outer).

    Returns
    -------
    tuple of numpy.ndarray
        Outer diameter (mm), flow (m³/h) and pressure drop (Pa/m) per load.

    Examples
    --------
    Three dwellings' heat pumps drawing 4 kW each from the ground: 1.03 l/s (3.69 m³/h) of
    brine at 3 K; a 50 mm pipe (40.9 mm inside) would lose 263 Pa/m, a 63 mm one 88 Pa/m.

    >>> od, flow, dp = size_pe(np.array([12.0]))
    >>> int(od[0]), round(float(flow[0]), 2), round(float(dp[0]))
    (63, 3.69, 88)
    """
    p = params or CollectiveLoopParams()
    kw = np.atleast_1d(np.asarray(ground_kw, float))
    q = kw * 1e3 / (p.brine_density_kg_m3 * p.brine_heat_capacity_j_kgk * p.brine_delta_t_k)
    outer = np.asarray(PE_OUTER_MM, float)
    inner = outer * 9 / 11 / 1e3
    _, dp = darcy_weisbach(
        q[:, None], inner[None, :], p.brine_density_kg_m3, p.brine_viscosity_pa_s, p.roughness_mm
    )
    ok = dp <= p.max_pressure_drop_pa_per_m
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), len(outer) - 1)
    return outer[first].astype(int), q * 3600, dp[np.arange(len(kw)), first]


@dataclass
class Trench:
    """One group's collective loop (:func:`route_trench`).

    Attributes
    ----------
    lines : geopandas.GeoDataFrame
        ``mini_net_id``, ``surface``, ``pipe_od_mm``, ``flow_m3_h``, ``length_m`` and
        LineString geometry, one row per run of equal surface and pipe.
    manifold : shapely.Point or None
    reason : str
        "" when routed, else why not ("no trench route: ...").
    walls_not_reached : int
        Dwellings whose trench ends at the open ground beside their wall (at most
        ``wall_reach_m`` away) because the last straight stretch to the wall would cross
        another building, a tree's root zone or water.
    """

    lines: gpd.GeoDataFrame
    manifold: object
    reason: str = ""
    walls_not_reached: int = 0

    @property
    def length_by_surface(self) -> dict[str, float]:
        """Trench metres per surface."""
        if not len(self.lines):
            return {}
        return {
            str(k): float(v) for k, v in self.lines.groupby("surface")["length_m"].sum().items()
        }


def _empty_lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "mini_net_id": pd.Series(dtype=str),
            "surface": pd.Series(dtype=str),
            "pipe_od_mm": pd.Series(dtype=int),
            "flow_m3_h": pd.Series(dtype=float),
            "length_m": pd.Series(dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=settings.crs),
    )


def route_trench(
    mini_net_id: str,
    dwellings: np.ndarray,
    dwelling_kw: np.ndarray,
    loops: np.ndarray,
    *,
    surfaces: gpd.GeoDataFrame,
    blocked: np.ndarray,
    params: Parameters | None = None,
    reach_m: float | None = None,
) -> Trench:
    """Route one group's collective trench: walls -> manifold -> loops, in open ground.

    A grid (``collective_loop.grid_m``) of the ground within `reach_m` of the dwellings is the
    graph: points inside `surfaces` and outside `blocked` (building footprints, tree root
    zones, water), joined to their eight neighbours, each step priced at the trench price of
    its surface (``garden``/``open ground``, ``paving``, ``road crossing``). The manifold
    stands at the loop nearest the dwellings' centre; each dwelling's trench starts at the
    routable point within ``wall_reach_m`` of its wall nearest the manifold, and the trench
    runs on from there straight to the wall, where the heat pump stands. The tree joining
    them is the shortest path heuristic's
    (:func:`~warmtegis.network.steiner_graph.shortest_path_tree`).

    Each trench section carries one PE supply/return pair sized (:func:`size_pe`) for the
    larger of the brine flows crossing it: of the heat pumps beyond it (their peaks times
    the simultaneity of that many dwellings, ground share ``1 - 1/SPF``) and of the loops
    beyond it (the group's total over its loops).

    Parameters
    ----------
    dwellings
        The members' footprints (shapely polygons).
    dwelling_kw
        Each member's peak heat load (kW).
    loops
        Loop positions, shape (k, 2).
    surfaces
        Polygons with a ``surface`` column the trench may run through.
    blocked
        Polygons it may not cross.
    """
    index = _SurfaceIndex.of(surfaces)
    return _route(
        mini_net_id,
        np.asarray(dwellings, dtype=object),
        np.asarray(dwelling_kw, float),
        np.asarray(loops, float).reshape(-1, 2),
        index,
        np.asarray(blocked, dtype=object),
        params or Parameters(),
        reach_m,
    )


_RANK = ("open ground", "garden", "paving", "road crossing")


@dataclass
class _SurfaceIndex:
    """The trench surfaces as arrays: geometry, rank in :data:`_RANK` and a spatial index."""

    geoms: np.ndarray
    rank: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, surfaces: gpd.GeoDataFrame) -> _SurfaceIndex:
        rank = {s: i for i, s in enumerate(_RANK)}
        geoms = np.asarray(surfaces.geometry.values, dtype=object)
        r = surfaces["surface"].map(rank).fillna(0).to_numpy(int)
        return cls(geoms, r, shapely.STRtree(geoms))


def _route(
    mini_net_id: str,
    dwellings: np.ndarray,
    dwelling_kw: np.ndarray,
    loops: np.ndarray,
    surfaces: _SurfaceIndex,
    blocked: np.ndarray,
    p: Parameters,
    reach_m: float | None,
) -> Trench:
    """:func:`route_trench` on prepared arrays (the loop of :func:`route_trenches`)."""
    # Long function: the trench search on its grid arrays in one pass, tuned by
    # benchmarks/bench_design.py; split, its arrays would pass between the parts
    from scipy import sparse as sp
    from scipy.sparse import csgraph

    cp = p.collective_loop
    reach = p.drilling.reach_m if reach_m is None else reach_m
    prices = p.costs.mini_net
    if not len(loops):
        return Trench(_empty_lines(), None, "no trench route: no loops placed")
    homes = shapely.union_all(dwellings)
    area = shapely.buffer(shapely.union_all([homes, shapely.multipoints(loops)]), reach)
    x0, y0, x1, y1 = shapely.bounds(area)
    g = cp.grid_m
    xs = np.arange(np.floor(x0 / g) * g, x1 + g, g)
    ys = np.arange(np.floor(y0 / g) * g, y1 + g, g)
    gx, gy = np.meshgrid(xs, ys)
    px, py = gx.ravel(), gy.ravel()
    pts = shapely.points(px, py)
    # the surface of each grid point: the priciest surface it lies in (each polygon is
    # tested against the grid points in its box, prepared once: the polygons are the
    # complex side)
    label = np.full(len(pts), -1)
    inside = np.flatnonzero(shapely.intersects_xy(area, px, py))
    pt_tree = shapely.STRtree(pts[inside])
    near = surfaces.tree.query(area, predicate="intersects")
    if len(near):
        si, pi = pt_tree.query(surfaces.geoms[near], predicate="intersects")
        np.maximum.at(label, inside[pi], surfaces.rank[near][si])
    if len(blocked):
        _, bi = pt_tree.query(blocked, predicate="intersects")
        label[inside[np.unique(bi)]] = -1
    ny, nx_ = gy.shape
    ok = label >= 0
    names = np.array(_RANK)
    price = np.array([getattr(prices, TRENCH_PRICE[s]) for s in names])
    edges_u, edges_v, weights = [], [], []
    grid_id = np.arange(len(pts)).reshape(ny, nx_)
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = grid_id[: ny - dy, max(0, -dx) : nx_ - max(0, dx)].ravel()
        b = grid_id[dy:, max(0, dx) : nx_ - max(0, -dx)].ravel()
        keep = ok[a] & ok[b]
        if dy and dx:  # a diagonal step only where both corners it passes are open too
            keep &= ok[a + dx] & ok[a + dy * nx_]
        a, b = a[keep], b[keep]
        step = g * np.hypot(dx, dy)
        edges_u.append(a)
        edges_v.append(b)
        weights.append(step * np.maximum(price[label[a]], price[label[b]]))
    u, v, w = (np.concatenate(x) for x in (edges_u, edges_v, weights))
    # the graph on the routable grid points only (compact node numbers for scipy)
    nodes = np.unique(np.r_[u, v])
    if not len(nodes):
        return Trench(_empty_lines(), None, "no trench route: no open ground to dig in")
    lu, lv = np.searchsorted(nodes, u), np.searchsorted(nodes, v)
    node_pts = pts[nodes]
    tree = shapely.STRtree(node_pts)
    centre = shapely.centroid(homes)
    manifold_xy = loops[int(np.argmin(np.hypot(*(loops - [centre.x, centre.y]).T)))]
    manifold = shapely.Point(*manifold_xy)
    loop_nodes = tree.nearest(shapely.points(loops))
    root = int(tree.nearest(manifold))
    wall_nodes = []
    hi, ci = tree.query(dwellings, predicate="dwithin", distance=cp.wall_reach_m)
    d_all = shapely.distance(node_pts[ci], manifold)
    for i in range(len(dwellings)):
        mine = hi == i
        if not mine.any():
            return Trench(
                _empty_lines(),
                manifold,
                f"no trench route: dwelling {i + 1} has no open ground within "
                f"{cp.wall_reach_m:g} m of its wall",
            )
        wall_nodes.append(int(ci[mine][int(np.argmin(d_all[mine]))]))
    terminals = sorted({root, *wall_nodes, *loop_nodes.tolist()})
    m = len(nodes)
    adjacency = sp.csr_array((np.ones(len(lu)), (lu, lv)), shape=(m, m))
    _, comp = csgraph.connected_components(adjacency, directed=False)
    apart = [t for t in terminals if comp[t] != comp[root]]
    if apart:
        what = "a dwelling" if set(apart) & set(wall_nodes) else "a loop"
        return Trench(
            _empty_lines(),
            manifold,
            f"no trench route: {what} cannot be reached from the manifold through open ground",
        )
    ta, tb = shortest_path_tree(m, lu, lv, w, terminals, root)
    # flows: per section, the heat pumps and loops beyond it (seen from the manifold)
    spf = p.boreholes.seasonal_performance_factor
    ground = np.asarray(dwelling_kw, float) * (1 - 1 / spf)
    home_at: dict[int, list[int]] = {}
    for i, node in enumerate(wall_nodes):
        home_at.setdefault(node, []).append(i)
    loops_at: dict[int, int] = {}
    for node in loop_nodes.tolist():
        loops_at[node] = loops_at.get(node, 0) + 1
    per_loop = ground.sum() * simultaneity(len(ground)) / len(loops)
    tmat = sp.csr_array((np.ones(2 * len(ta)), (np.r_[ta, tb], np.r_[tb, ta])), shape=(m, m))
    walk, pred = csgraph.depth_first_order(tmat, root, directed=False, return_predecessors=True)
    order = walk.tolist()
    parent = {int(x): (None if x == root else int(pred[x])) for x in walk}
    homes_below: dict[int, list[int]] = {n: list(home_at.get(n, [])) for n in order}
    loops_below = {n: loops_at.get(n, 0) for n in order}
    for n in reversed(order):
        up = parent[n]
        if up is not None:
            homes_below[up] += homes_below[n]
            loops_below[up] += loops_below[n]
    gx_, gy_ = px[nodes], py[nodes]
    glabel = label[nodes]
    up_n, lo_n, kw, surf = [], [], [], []
    for n in order:
        up = parent[n]
        if up is None:
            continue
        hb = homes_below[n]
        load = max(
            ground[hb].sum() * simultaneity(len(hb)) if hb else 0.0, loops_below[n] * per_loop
        )
        up_n.append(up)
        lo_n.append(n)
        kw.append(load)
        surf.append(max(glabel[up], glabel[n]))
    od, flow, _ = size_pe(np.asarray(kw), cp)
    a_, b_ = np.asarray(up_n), np.asarray(lo_n)
    coords = np.stack([np.c_[gx_[a_], gy_[a_]], np.c_[gx_[b_], gy_[b_]]], axis=1)
    # the last stretch to each wall, where the heat pump stands: from the dwelling's grid point
    # (outside the clearance the grid keeps) straight to the nearest point of its wall,
    # sized for its own heat pump and priced as the ground it starts in
    # (not through another building, a tree's root zone or water: there the trench stops at
    # the grid point and the wall is counted as not reached)
    stubs = shapely.shortest_line(node_pts[wall_nodes], shapely.boundary(dwellings))
    has = shapely.length(stubs) > 1e-6
    if len(blocked) and has.any():
        si, bi = shapely.STRtree(blocked).query(stubs, predicate="intersects")
        inside = shapely.intersects(stubs[si], shapely.buffer(blocked[bi], -0.01))
        crossing = np.zeros(len(stubs), dtype=bool)
        crossing[si[inside]] = True
        has &= ~crossing
    short = int((~has & (shapely.length(stubs) > 1e-6)).sum())
    if has.any():
        s_od, s_flow, _ = size_pe(ground[has], cp)
        coords = np.concatenate([coords, shapely.get_coordinates(stubs[has]).reshape(-1, 2, 2)])
        od, flow = np.r_[od, s_od], np.r_[flow, s_flow]
        surf += glabel[np.asarray(wall_nodes)[has]].tolist()
    # one run per surface and pipe size, in the order a dissolve by both gives (by name)
    alpha = np.argsort(names)
    by_name = np.argsort(alpha)[np.asarray(surf)]
    keys, run = np.unique(np.c_[by_name, od], axis=0, return_inverse=True)
    run = run.ravel()
    segs = shapely.linestrings(coords)
    merged = shapely.line_merge(
        np.array([shapely.union_all(segs[run == k]) for k in range(len(keys))], dtype=object)
    )
    flow_max = np.zeros(len(keys))
    np.maximum.at(flow_max, run, flow)
    # the grid's 45° steps simplified to the straight runs a digger would make
    geom = shapely.simplify(merged, cp.grid_m / 2, preserve_topology=True)
    lines = gpd.GeoDataFrame(
        {
            "mini_net_id": mini_net_id,
            "surface": names[alpha][keys[:, 0]],
            "pipe_od_mm": keys[:, 1].astype(int),
            "flow_m3_h": flow_max,
            "length_m": shapely.length(geom),
        },
        geometry=geom,
        crs=settings.crs,
    )
    return Trench(lines, manifold, walls_not_reached=short)


def trench_ground(ground: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Return where a trench may run: the open ground plus road surfaces (crossings).

    Road lines (NWB, OSM) are drawn 6 m wide, as in :func:`~warmtegis.mini_nets.ground.open_ground`.
    """
    parts = [ground[["surface", "geometry"]]]
    if roads is not None and len(roads):
        geoms = np.asarray(roads.geometry.values, dtype=object)
        lines = np.flatnonzero(shapely.get_type_id(geoms) <= 2)
        if len(lines):
            geoms = geoms.copy()
            geoms[lines] = shapely.buffer(geoms[lines], LINE_HALF_WIDTH_M)
        parts.append(
            gpd.GeoDataFrame(
                {"surface": ["road crossing"] * len(geoms)}, geometry=geoms, crs=settings.crs
            )
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)


def trench_blocked(buildings: gpd.GeoDataFrame, exclusions: gpd.GeoDataFrame) -> np.ndarray:
    """Return what a trench may not cross: building footprints, tree root zones and water."""
    zones = exclusions.geometry.values[exclusions["kind"].isin(["tree", "water"]).to_numpy()]
    return np.concatenate(
        [np.asarray(buildings.geometry.values, dtype=object), np.asarray(zones, dtype=object)]
    )


def route_trenches(
    mini_nets: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    boreholes: gpd.GeoDataFrame,
    *,
    ground: gpd.GeoDataFrame,
    exclusions: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    params: Parameters | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Route the collective trench of every group that has its loops placed.

    Returns
    -------
    tuple
        Per group (``mini_net_id``, ``trench_routed_m``, ``trench_<surface>_m`` for garden,
        paving and road crossing, ``has_trench``, ``trench_reason``,
        ``trench_walls_not_reached``), the trench lines
        (``mini_net_trenches``: ``mini_net_id``, ``length_m``, ``surface``, ``pipe_od_mm``,
        ``flow_m3_h``) and the manifolds (Point: ``mini_net_id``).
    """
    # Long function: one loop over the groups, then the per-group table, the lines and the
    # manifolds assembled in one place
    p = params or Parameters()
    surfaces = _SurfaceIndex.of(trench_ground(ground, roads))
    blocked = trench_blocked(buildings, exclusions)
    block_tree = shapely.STRtree(blocked)
    ids = buildings["mini_net_id"]
    member = ids.astype(object).where(ids.notna(), None).to_numpy()
    members = pd.Series(np.arange(len(member))).groupby(member).indices
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    peak = buildings["peak_kw"].to_numpy(float)
    hole_xy = shapely.get_coordinates(boreholes.geometry.values)
    by_group = boreholes.groupby("mini_net_id").indices
    rows, lines, manifolds = [], [], []
    for gid in mini_nets["mini_net_id"].astype(str):
        mine = members.get(gid, np.zeros(0, int))
        xy = hole_xy[by_group[gid]] if gid in by_group else np.zeros((0, 2))
        if not len(xy):
            rows.append((gid, 0.0, 0.0, 0.0, 0.0, False, "no trench route: no loops placed", 0))
            continue
        near = block_tree.query(
            shapely.buffer(shapely.union_all(geoms[mine]), p.drilling.reach_m + 5)
        )
        t = _route(gid, geoms[mine], peak[mine], xy, surfaces, blocked[near], p, None)
        by = t.length_by_surface
        garden = by.get("garden", 0.0) + by.get("open ground", 0.0)
        rows.append(
            (
                gid,
                float(t.lines["length_m"].sum()),
                garden,
                by.get("paving", 0.0),
                by.get("road crossing", 0.0),
                not t.reason,
                t.reason,
                t.walls_not_reached,
            )
        )
        if len(t.lines):
            lines.append(t.lines)
        if t.manifold is not None:
            manifolds.append((gid, t.manifold))
    table = pd.DataFrame(
        rows,
        columns=[
            "mini_net_id",
            "trench_routed_m",
            "trench_garden_m",
            "trench_paving_m",
            "trench_road_m",
            "has_trench",
            "trench_reason",
            "trench_walls_not_reached",
        ],
    )
    short = int(table["trench_walls_not_reached"].sum())
    if short:
        log(
            f"collective loop: at {short} dwelling(s) the trench ends beside the wall, up to "
            f"wall_reach_m = {p.collective_loop.wall_reach_m:g} m from it: the straight last "
            "stretch would cross another building, a tree's root zone or water "
            "(trench_walls_not_reached in the mini_nets layer; the design sheet says so)",
            logging.WARNING,
        )
    trench_lines = (
        gpd.GeoDataFrame(pd.concat(lines, ignore_index=True), crs=settings.crs)
        if lines
        else _empty_lines()
    )
    manifold_points = gpd.GeoDataFrame(
        {"mini_net_id": [m[0] for m in manifolds]},
        geometry=gpd.GeoSeries([m[1] for m in manifolds], crs=settings.crs),
    )
    log(
        f"collective loop: {int(table['has_trench'].sum())} of {len(table)} groups routed, "
        f"{table['trench_routed_m'].sum() / 1000:.2f} km of trench"
    )
    return table, trench_lines, manifold_points
