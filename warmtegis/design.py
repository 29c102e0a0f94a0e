"""Mini heat networks designed: insulation scenarios, the collective loop, drop-outs, the bill.

The mini-net stage (:mod:`warmtegis.mini_nets`) finds the groups and the room-to-drill stage
(:mod:`warmtegis.drilling`) places their loops. This module turns a group into a design one
could put out to tender (docs/method.md §3c-3f):

1. :func:`scenario_demand` and :func:`insulation_scenarios` — each group as built, insulated
   to RVO's *standaard* and to its *streefwaarden*: heat demand, peak, loops, drilled metres,
   dwellings per loop and the insulation's cost per dwelling. The pilots' finding — whether
   a group fits on 2 or 3 loops is a matter of insulation and group size — is read straight
   from the ``dwellings_per_loop`` column.
2. :func:`route_trench` — the collective trench from each dwelling's wall to the manifold and
   the loops: a Steiner tree (:func:`warmtegis.steiner.shortest_path_tree`) on a grid of the open
   ground the group may dig in, priced per surface (garden, paving, road crossing), with PE
   pipes sized by brine flow and pressure drop (:func:`size_pe`).
3. :func:`dropouts` — the cost per dwelling when one or two members do not join, the smallest
   group that still beats an individual ground-source heat pump, and which groups fall apart
   with one drop-out.
4. :func:`bill_of_quantities` — every quantity with its unit price, adding up to the
   group's investment.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._log import log
from .boreholes import size_mini_nets
from .costs import CostParams, load_cost_params, mini_net_prices
from .hydraulics import darcy_weisbach, simultaneity
from .params import (
    CollectiveLoopParams,
    DemandParams,
    InsulationParams,
    MiniNetParams,
    Parameters,
)

__all__ = [
    "HEAT_PUMP_SIZES_KW",
    "PE_OUTER_MM",
    "SCENARIOS",
    "Trench",
    "bill_of_quantities",
    "dropouts",
    "heat_pump_size_kw",
    "insulation_scenarios",
    "klic_polygon",
    "route_trench",
    "route_trenches",
    "scenario_demand",
    "scenario_summary",
    "size_pe",
    "trench_blocked",
    "trench_ground",
]

CRS = "EPSG:28992"
#: The insulation scenarios, in order.
SCENARIOS = ("as built", "standaard", "streef")
#: PE100 SDR 11 pipe outer diameters (mm) the collective loop is sized from (EN 12201-2
#: series); the inner diameter is 9/11 of the outer (wall = outer / 11).
PE_OUTER_MM = (25, 32, 40, 50, 63, 75, 90, 110, 125)
#: Heat pump sizes (kW heat at B0/W35) offered per dwelling: assumption, the steps of the
#: common Dutch water-water heat pump ranges; a dwelling gets the smallest covering its peak.
HEAT_PUMP_SIZES_KW = (3, 4, 5, 6, 8, 10, 12, 14, 16, 20)
#: Surfaces a trench may run through and the cost-model price each is charged at.
TRENCH_PRICE = {
    "garden": "trench_eur_per_m",
    "open ground": "trench_eur_per_m",
    "paving": "trench_paving_eur_per_m",
    "road crossing": "trench_road_eur_per_m",
}
# the KLIC request polygon covers the works with this margin (m): assumption, the rig's
# stand and the trench's spoil beside the dig
_KLIC_MARGIN_M = 5.0


# ------------------------------------------------------------------------------ scenarios
def scenario_demand(
    buildings: pd.DataFrame,
    *,
    insulation: InsulationParams | None = None,
    demand_params: DemandParams | None = None,
    cost_params: CostParams | None = None,
) -> pd.DataFrame:
    """Heat demand and insulation cost of each building in every scenario.

    - ``as built``: the buildings stage's ``heat_demand_gj``;
    - ``standaard``: a dwelling built before ``standard_from_year`` saves ``standard_saving``
      of its demand (never below its ``streef`` demand) at ``standard_eur``; later ones are
      taken to meet the standard already;
    - ``streef``: floor area × ``target_gj_per_m2`` × the dwelling type's factor, where that
      is below the demand as built, at ``target_eur``.

    Returns
    -------
    pandas.DataFrame
        Index of `buildings`; ``demand_<scenario>`` (GJ/yr) and ``insulation_<scenario>``
        (EUR incl. VAT per building) for each scenario (``as built`` -> ``as_built``).

    Examples
    --------
    A 1980 mid-terrace house of 115 m² (42 GJ) and a 2010 one of the same size (27.6 GJ):

    >>> b = pd.DataFrame({"heat_demand_gj": [41.975, 27.6], "year_built": [1980, 2010],
    ...                   "floor_area_m2": [115.0, 115.0], "dwelling_type": "mid-terrace"})
    >>> scenario_demand(b)[["demand_standaard", "demand_streef", "insulation_streef"]].round(2)
       demand_standaard  demand_streef  insulation_streef
    0             29.38          17.25            50000.0
    1             27.60          17.25            50000.0
    """
    ins = insulation or InsulationParams()
    dp = demand_params or DemandParams()
    cost = (cost_params or load_cost_params()).insulation
    d0 = buildings["heat_demand_gj"].to_numpy(float)
    year = (
        pd.to_numeric(buildings["year_built"], errors="coerce").fillna(dp.default_year)
        if "year_built" in buildings
        else pd.Series(dp.default_year, index=buildings.index)
    ).to_numpy(float)
    kind = (
        buildings["dwelling_type"]
        if "dwelling_type" in buildings
        else pd.Series("", index=buildings.index)
    )
    factor = kind.map(dp.type_factor).astype(float).fillna(1.0).to_numpy()
    area = pd.to_numeric(buildings["floor_area_m2"], errors="coerce").to_numpy(float)
    target = np.where(np.isfinite(area), area * ins.target_gj_per_m2 * factor, d0)
    streef = np.minimum(d0, target)
    old = year < ins.standard_from_year
    standard = np.where(old, np.maximum(d0 * (1 - ins.standard_saving), streef), d0)
    return pd.DataFrame(
        {
            "demand_as_built": d0,
            "insulation_as_built": 0.0,
            "demand_standaard": standard,
            "insulation_standaard": np.where(old, cost.standard_eur, 0.0),
            "demand_streef": streef,
            "insulation_streef": np.where(d0 > target, cost.target_eur, 0.0),
        },
        index=buildings.index,
    )


def _key(scenario: str) -> str:
    return scenario.replace(" ", "_")


def insulation_scenarios(
    mini_nets: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Size and price every group in every insulation scenario (:data:`SCENARIOS`).

    Parameters
    ----------
    mini_nets
        The ``mini_nets`` layer (``mini_net_id``, ``n_dwellings``, ``trench_length_m``).
    buildings
        The ``buildings`` layer (``mini_net_id``, ``heat_demand_gj``, ``year_built``,
        ``floor_area_m2``, ``dwelling_type``).
    params
        :class:`~warmtegis.params.Parameters` (insulation, demand, boreholes, costs).

    Returns
    -------
    pandas.DataFrame
        One row per group and scenario: ``mini_net_id``, ``scenario``, ``n_dwellings``,
        ``heat_demand_gj``, ``peak_kw``, ``n_boreholes``, ``borehole_depth_m``,
        ``drilled_m``, ``dwellings_per_loop``, ``insulation_per_dwelling_eur``,
        ``capex_per_dwelling_eur`` (the mini net), ``total_per_dwelling_eur`` (mini net +
        insulation), ``annual_cost_per_dwelling_eur`` and the individual heat pumps'
        ``air_source_annual_eur`` and ``ground_source_annual_eur`` at the same demand.
    """
    p = params or Parameters()
    wanted = ["mini_net_id", "heat_demand_gj", "year_built", "floor_area_m2", "dwelling_type"]
    table = pd.DataFrame(buildings[[c for c in wanted if c in buildings]])  # no geometry
    members = table[table["mini_net_id"].notna().to_numpy()]
    demand = scenario_demand(
        members, insulation=p.insulation, demand_params=p.demand, cost_params=p.costs
    )
    ids = mini_nets["mini_net_id"].astype(str).to_numpy()
    where = pd.Index(ids).get_indexer(members["mini_net_id"].astype(str).to_numpy())
    inside = where >= 0
    code = where[inside]
    count = np.bincount(code, minlength=len(ids)).astype(float)
    n = mini_nets["n_dwellings"].to_numpy(int)
    trench = mini_nets["trench_length_m"].to_numpy(float)
    k = len(SCENARIOS)
    gj = np.concatenate([
        np.bincount(code, demand[f"demand_{_key(s)}"].to_numpy(float)[inside], len(ids))
        for s in SCENARIOS
    ])  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        insulation = np.concatenate([
            np.bincount(code, demand[f"insulation_{_key(s)}"].to_numpy(float)[inside], len(ids))
            / count
            for s in SCENARIOS
        ])  # fmt: skip
    nn = np.tile(n, k)
    sized = size_mini_nets(nn, gj, params=p.boreholes, full_load_hours=p.demand.full_load_hours)
    loops = sized["n_boreholes"].to_numpy()
    depth = sized["borehole_depth_m"].to_numpy()
    prices = mini_net_prices(nn, loops, depth, np.tile(trench, k), gj, params=p.costs)
    out = pd.DataFrame(
        {
            "mini_net_id": np.tile(ids, k),
            "scenario": np.repeat(SCENARIOS, len(ids)),
            "n_dwellings": nn,
            "heat_demand_gj": gj,
            "peak_kw": sized["peak_kw"].to_numpy(),
            "n_boreholes": loops,
            "borehole_depth_m": depth,
            "drilled_m": sized["drilled_m"].to_numpy(),
            "dwellings_per_loop": nn / loops,
            "insulation_per_dwelling_eur": insulation,
            "capex_per_dwelling_eur": prices["capex_per_dwelling_eur"],
            "total_per_dwelling_eur": prices["capex_per_dwelling_eur"] + insulation,
            "annual_cost_per_dwelling_eur": prices["annual_cost_per_dwelling_eur"],
            "air_source_annual_eur": prices["air_source_annual_eur"],
            "ground_source_annual_eur": prices["ground_source_annual_eur"],
        }
    )
    return out


def scenario_summary(scenarios: pd.DataFrame) -> list[tuple[str, float, str]]:
    """Summary rows per scenario: dwellings per loop over all groups, loops, drilled km."""
    rows: list[tuple[str, float, str]] = []
    for scenario, s in scenarios.groupby("scenario", sort=False):
        k = _key(str(scenario))
        loops = float(s["n_boreholes"].sum())
        rows += [
            (
                f"mini_net_dwellings_per_loop_{k}",
                s["n_dwellings"].sum() / loops if loops else 0.0,
                "ratio",
            ),
            (f"mini_net_loops_{k}", loops, "count"),
            (f"mini_net_drilled_{k}", s["drilled_m"].sum() / 1000, "km"),
        ]
    return rows


# ------------------------------------------------------------------------------- drop-outs
def dropouts(
    mini_nets: pd.DataFrame,
    *,
    params: Parameters | None = None,
    max_out: int = 2,
) -> pd.DataFrame:
    """Price each group without one or two of its members: the drop-outs.

    A group of n dwellings without k of them is sized and priced as a group of n - k with
    the demand and trench of an average member removed ((n - k) / n of each). It *works*
    while it keeps ``min_dwellings`` and its yearly cost per dwelling stays within
    ``shared_premium`` of what an average member would pay for its own borehole and heat
    pump: a group of one, sized for that member's demand and priced with the same component
    prices (:func:`~warmtegis.costs.price_mini_nets`) — the alternative a member who leaves
    has.

    Returns
    -------
    pandas.DataFrame
        Per group: ``mini_net_id``, ``annual_<k>_out_eur`` and ``capex_<k>_out_eur`` per
        dwelling for k = 1..`max_out` (NaN where fewer than ``min_dwellings`` would stay),
        ``own_borehole_annual_eur`` (an average member on its own), ``smallest_working_group``
        (0 when not even the full group works) and ``falls_apart_with_one_dropout``.
    """
    p = params or Parameters()
    mp: MiniNetParams = p.mini_nets
    n = mini_nets["n_dwellings"].to_numpy(int)
    gj = mini_nets["heat_demand_gj"].to_numpy(float)
    trench = mini_nets["trench_length_m"].to_numpy(float)
    ids = mini_nets["mini_net_id"].astype(str).to_numpy()
    # one row per group and remaining size m = min_dwellings..n, then one per group alone
    sizes = np.maximum(n - mp.min_dwellings + 1, 0)
    gi = np.repeat(np.arange(len(n)), sizes)
    start = np.cumsum(sizes) - sizes
    mi = mp.min_dwellings + np.arange(len(gi)) - np.repeat(start, sizes)
    share = mi / n[gi] if len(gi) else np.zeros(0)
    all_n = np.concatenate([mi, np.ones(len(n), int)])
    all_gj = np.concatenate([gj[gi] * share, gj / np.maximum(n, 1)])
    all_trench = np.concatenate([trench[gi] * share, np.zeros(len(n))])
    sized = size_mini_nets(
        all_n, all_gj, params=p.boreholes, full_load_hours=p.demand.full_load_hours
    )
    prices = mini_net_prices(
        all_n, sized["n_boreholes"].to_numpy(), sized["borehole_depth_m"].to_numpy(),
        all_trench, all_gj, params=p.costs,
    )  # fmt: skip
    annual_all = prices["annual_cost_per_dwelling_eur"]
    annual, alone = annual_all[: len(gi)], annual_all[len(gi) :]
    capex_rows = prices["capex_per_dwelling_eur"][: len(gi)]
    works = annual <= alone[gi] * (1 + mp.shared_premium) + 1e-6
    out = pd.DataFrame({"mini_net_id": ids, "own_borehole_annual_eur": alone})
    for k in range(1, max_out + 1):
        a_k = np.full(len(n), np.nan)
        c_k = np.full(len(n), np.nan)
        sel = mi == n[gi] - k
        a_k[gi[sel]] = annual[sel]
        c_k[gi[sel]] = capex_rows[sel]
        out[f"annual_{k}_out_eur"] = a_k
        out[f"capex_{k}_out_eur"] = c_k
    # the smallest size from which every larger size up to the full group works too: walk
    # each group's sizes from the full group down while they work
    smallest = np.zeros(len(n), int)
    if len(gi):
        order = np.lexsort((-mi, gi))
        g_sorted, ok_sorted = gi[order], works[order]
        run = np.ones(len(order), bool)
        first = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
        # "all fine so far" within each group: a cumulative AND restarted at each group
        failed = np.cumsum(~ok_sorted)
        base = np.maximum.accumulate(np.where(first, failed - (~ok_sorted), 0))
        run = (failed - base) == 0
        m_sorted = mi[order]
        good = np.where(run, m_sorted, np.iinfo(int).max)
        best = np.full(len(n), np.iinfo(int).max)
        np.minimum.at(best, g_sorted, good)
        smallest = np.where(best == np.iinfo(int).max, 0, best)
    out["smallest_working_group"] = smallest
    out["falls_apart_with_one_dropout"] = (smallest == 0) | (smallest > n - 1)
    return out


# ------------------------------------------------------------------------- collective loop
def heat_pump_size_kw(peak_kw: np.ndarray | float) -> np.ndarray:
    """Smallest heat pump of :data:`HEAT_PUMP_SIZES_KW` covering each peak (kW).

    >>> heat_pump_size_kw([2.5, 6.5, 30.0]).tolist()
    [3, 8, 20]
    """
    sizes = np.asarray(HEAT_PUMP_SIZES_KW)
    i = np.searchsorted(sizes, np.asarray(peak_kw, float), side="left")
    return sizes[np.minimum(i, len(sizes) - 1)]


def size_pe(
    ground_kw: np.ndarray, params: CollectiveLoopParams | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smallest PE pipe (outer mm) carrying each ground-side load within the pressure drop.

    Brine flow = load / (ρ cp ΔT); pressure drop by Darcy-Weisbach
    (:func:`~warmtegis.hydraulics.darcy_weisbach`) in the inner diameter (9/11 of the outer).

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
    """

    lines: gpd.GeoDataFrame
    manifold: object
    reason: str = ""

    @property
    def length_by_surface(self) -> dict[str, float]:
        """Trench metres per surface."""
        if not len(self.lines):
            return {}
        return self.lines.groupby("surface")["length_m"].sum().to_dict()


def _empty_lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "mini_net_id": pd.Series(dtype=str),
            "surface": pd.Series(dtype=str),
            "pipe_od_mm": pd.Series(dtype=int),
            "flow_m3_h": pd.Series(dtype=float),
            "length_m": pd.Series(dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=CRS),
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
    routable point within ``wall_reach_m`` of its wall nearest the manifold. The tree joining
    them is the shortest path heuristic's (:func:`~warmtegis.steiner.shortest_path_tree`).

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
    from scipy import sparse as sp
    from scipy.sparse import csgraph

    from .steiner import shortest_path_tree

    p = params or Parameters()
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
    # the surface of each grid point: the priciest surface it lies in
    rank = {s: i for i, s in enumerate(("open ground", "garden", "paving", "road crossing"))}
    label = np.full(len(pts), -1)
    near = surfaces.iloc[surfaces.sindex.query(area, predicate="intersects")]
    if len(near):
        pi, si = shapely.STRtree(near.geometry.values).query(pts, predicate="intersects")
        r = near["surface"].map(rank).fillna(0).to_numpy(int)[si]
        np.maximum.at(label, pi, r)
    if len(blocked):
        bi, _ = shapely.STRtree(blocked).query(pts, predicate="intersects")
        label[np.unique(bi)] = -1
    label[~shapely.intersects_xy(area, px, py)] = -1
    ny, nx_ = gy.shape
    ok = label >= 0
    names = np.array(list(rank))
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
    for i, home in enumerate(dwellings):
        cand = tree.query(home, predicate="dwithin", distance=cp.wall_reach_m)
        if not len(cand):
            return Trench(
                _empty_lines(),
                manifold,
                f"no trench route: dwelling {i + 1} has no open ground within "
                f"{cp.wall_reach_m:g} m of its wall",
            )
        d = shapely.distance(node_pts[cand], manifold)
        wall_nodes.append(int(cand[int(np.argmin(d))]))
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
    segs, kw, surf = [], [], []
    for n in order:
        up = parent[n]
        if up is None:
            continue
        hb = homes_below[n]
        load = max(
            ground[hb].sum() * simultaneity(len(hb)) if hb else 0.0, loops_below[n] * per_loop
        )
        segs.append(((gx_[up], gy_[up]), (gx_[n], gy_[n])))
        kw.append(load)
        surf.append(names[max(glabel[up], glabel[n])])
    od, flow, _ = size_pe(np.asarray(kw), cp)
    lines = gpd.GeoDataFrame(
        {"surface": surf, "pipe_od_mm": od, "flow_m3_h": flow},
        geometry=shapely.linestrings(np.asarray(segs)),
        crs=CRS,
    )
    lines = lines.dissolve(["surface", "pipe_od_mm"], aggfunc={"flow_m3_h": "max"}, as_index=False)
    # the grid's 45° steps simplified to the straight runs a digger would make
    merged = shapely.line_merge(lines.geometry.values)
    lines["geometry"] = shapely.simplify(merged, cp.grid_m / 2, preserve_topology=True)
    lines["length_m"] = lines.length
    lines.insert(0, "mini_net_id", mini_net_id)
    cols = ["mini_net_id", "surface", "pipe_od_mm", "flow_m3_h", "length_m", "geometry"]
    return Trench(gpd.GeoDataFrame(lines[cols], crs=CRS), manifold)


def trench_ground(ground: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Return where a trench may run: the open ground plus road surfaces (crossings).

    Road lines (NWB, OSM) are drawn 6 m wide, as in :func:`~warmtegis.drilling.open_ground`.
    """
    from .drilling import _LINE_HALF_WIDTH_M

    parts = [ground[["surface", "geometry"]]]
    if roads is not None and len(roads):
        geoms = roads.geometry.values
        lines = shapely.get_type_id(geoms) <= 2
        geoms = np.where(lines, shapely.buffer(geoms, _LINE_HALF_WIDTH_M), geoms)
        parts.append(
            gpd.GeoDataFrame({"surface": ["road crossing"] * len(geoms)}, geometry=geoms, crs=CRS)
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)


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
        paving and road crossing, ``has_trench``, ``trench_reason``), the trench lines
        (``mini_net_trenches``: ``mini_net_id``, ``length_m``, ``surface``, ``pipe_od_mm``,
        ``flow_m3_h``) and the manifolds (Point: ``mini_net_id``).
    """
    p = params or Parameters()
    surfaces = trench_ground(ground, roads)
    blocked = trench_blocked(buildings, exclusions)
    block_tree = shapely.STRtree(blocked)
    ids = buildings["mini_net_id"]
    member = ids.astype(object).where(ids.notna(), None).to_numpy()
    by_group = boreholes.groupby("mini_net_id").groups
    rows, lines, manifolds = [], [], []
    for gid in mini_nets["mini_net_id"].astype(str):
        mine = buildings[member == gid]
        xy = (
            shapely.get_coordinates(boreholes.geometry.loc[by_group[gid]].values)
            if gid in by_group
            else np.zeros((0, 2))
        )
        if not len(xy):
            rows.append((gid, 0.0, 0.0, 0.0, 0.0, False, "no trench route: no loops placed"))
            continue
        near = block_tree.query(
            shapely.buffer(shapely.union_all(mine.geometry.values), p.drilling.reach_m + 5)
        )
        t = route_trench(
            gid,
            mine.geometry.values,
            mine["peak_kw"].to_numpy(float),
            xy,
            surfaces=surfaces,
            blocked=blocked[near],
            params=p,
        )
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
        ],
    )
    trench_lines = (
        gpd.GeoDataFrame(pd.concat(lines, ignore_index=True), crs=CRS) if lines else _empty_lines()
    )
    manifold_points = gpd.GeoDataFrame(
        {"mini_net_id": [m[0] for m in manifolds]},
        geometry=gpd.GeoSeries([m[1] for m in manifolds], crs=CRS),
    )
    log(
        f"collective loop: {int(table['has_trench'].sum())} of {len(table)} groups routed, "
        f"{table['trench_routed_m'].sum() / 1000:.2f} km of trench"
    )
    return table, trench_lines, manifold_points


# --------------------------------------------------------------------------------- the bill
def bill_of_quantities(
    n_dwellings: int,
    n_loops: int,
    depth_m: float,
    trench_m: dict[str, float],
    heat_pump_kw: np.ndarray,
    *,
    cost_params: CostParams | None = None,
) -> pd.DataFrame:
    """Every quantity of one group's works with its unit price (euro incl. VAT).

    The items are :func:`~warmtegis.costs.mini_net_capex`'s, with the trench split by
    surface; the amounts add up to the group's investment.

    Examples
    --------
    Three dwellings, two 150 m loops, 40 m of trench in gardens: the same total as
    :func:`~warmtegis.costs.mini_net_capex` (trench in gardens at its one price).

    >>> from warmtegis.costs import mini_net_capex
    >>> bill = bill_of_quantities(3, 2, 150.0, {"garden": 40.0}, np.array([6, 6, 8]))
    >>> float(bill["amount_eur"].sum()) == float(mini_net_capex(3, 2, 150.0, 40.0)["capex"])
    True
    """
    mn = (cost_params or load_cost_params()).mini_net
    sizes = pd.Series(np.asarray(heat_pump_kw, int)).value_counts().sort_index()
    items = [
        (
            "rig",
            "Aan- en afvoer boorinstallatie",
            1 if n_loops else 0,
            "post",
            mn.rig_mobilisation_eur,
        ),
        ("drilling", "Boren, bodemlus en aanvullen", n_loops * depth_m, "m", mn.drilling_eur_per_m),
        ("loop_heads", "Luskoppen en aansluiting op verdeler", n_loops, "st", mn.loop_head_eur),
        (
            "manifold",
            "Verdeler met afsluiters",
            1 if n_dwellings >= 2 else 0,
            "st",
            mn.manifold_eur,
        ),
    ]
    labels = {
        "garden": "tuin",
        "open ground": "open terrein",
        "paving": "bestrating",
        "road crossing": "wegkruising",
    }
    for surface, metres in trench_m.items():
        if metres > 0:
            price = getattr(mn, TRENCH_PRICE[surface])
            items.append(
                (
                    f"trench_{surface.replace(' ', '_')}",
                    f"Sleuf met PE-leidingen ({labels[surface]})",
                    metres,
                    "m",
                    price,
                )
            )
    for kw, count in sizes.items():
        items.append(
            (
                f"heat_pump_{kw}kw",
                f"Water-water warmtepomp {kw} kW, geïnstalleerd",
                int(count),
                "st",
                mn.heat_pump_eur,
            )
        )
    items.append(
        (
            "in_home",
            "Muurdoorvoer, bronpompgroep en elektragroep",
            n_dwellings,
            "st",
            mn.in_home_eur,
        )
    )
    bill = pd.DataFrame(
        items, columns=["item", "description", "quantity", "unit", "unit_price_eur"]
    )
    bill["amount_eur"] = bill["quantity"] * bill["unit_price_eur"]
    return bill


def klic_polygon(*parts: object) -> object:
    """Return the KLIC request polygon: everything dug or drilled, with a 5 m margin."""
    geoms = [g for g in parts if g is not None and not shapely.is_empty(g)]
    return shapely.buffer(shapely.convex_hull(shapely.union_all(geoms)), _KLIC_MARGIN_M)


# ------------------------------------------------------------------------------ the stage
@dataclass
class MiniNetDesign:
    """Result of :func:`design_mini_nets`.

    Attributes
    ----------
    scenarios : pandas.DataFrame
        :func:`insulation_scenarios` (the GeoPackage's ``mini_net_scenarios`` table).
    dropouts : pandas.DataFrame
        :func:`dropouts`.
    trenches : pandas.DataFrame or None
        Per group the routed trench (:func:`route_trenches`); None without placed loops.
    trench_lines, manifolds : geopandas.GeoDataFrame or None
        The ``mini_net_trenches`` and ``manifolds`` layers.
    """

    scenarios: pd.DataFrame
    dropouts: pd.DataFrame
    trenches: pd.DataFrame | None = None
    trench_lines: gpd.GeoDataFrame | None = None
    manifolds: gpd.GeoDataFrame | None = None

    def columns(self) -> pd.DataFrame:
        """Return the columns the design adds to the ``mini_nets`` layer, by ``mini_net_id``."""
        out = self.dropouts.set_index("mini_net_id")
        if self.trenches is not None:
            out = out.join(self.trenches.set_index("mini_net_id"))
        wide = self.scenarios.pivot(index="mini_net_id", columns="scenario")
        for scenario in SCENARIOS[1:]:
            k = _key(scenario)
            out[f"n_boreholes_{k}"] = wide[("n_boreholes", scenario)]
            out[f"total_per_dwelling_{k}_eur"] = wide[("total_per_dwelling_eur", scenario)]
        return out

    def summary(self) -> list[tuple[str, float, str]]:
        """Return the design's figures as ``(key, value, unit)`` rows."""
        rows = scenario_summary(self.scenarios)
        d = self.dropouts
        rows.append(
            (
                "mini_nets_falling_apart_with_one_dropout",
                int(d["falls_apart_with_one_dropout"].sum()),
                "count",
            )
        )
        if self.trenches is not None:
            t = self.trenches
            rows += [
                ("mini_nets_with_trench", int(t["has_trench"].sum()), "count"),
                ("mini_net_trench_routed", t["trench_routed_m"].sum() / 1000, "km"),
                ("mini_net_trench_garden", t["trench_garden_m"].sum() / 1000, "km"),
                ("mini_net_trench_paving", t["trench_paving_m"].sum() / 1000, "km"),
                ("mini_net_trench_road", t["trench_road_m"].sum() / 1000, "km"),
            ]
        return rows


def design_mini_nets(
    mini_nets: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    boreholes: gpd.GeoDataFrame | None = None,
    ground: gpd.GeoDataFrame | None = None,
    exclusions: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    params: Parameters | None = None,
) -> MiniNetDesign:
    """Insulation scenarios and drop-outs of every group; with placed loops, their trenches."""
    p = params or Parameters()
    out = MiniNetDesign(
        scenarios=insulation_scenarios(mini_nets, buildings, params=p),
        dropouts=dropouts(mini_nets, params=p),
    )
    if boreholes is not None and ground is not None and exclusions is not None:
        out.trenches, out.trench_lines, out.manifolds = route_trenches(
            mini_nets,
            buildings,
            boreholes,
            ground=ground,
            exclusions=exclusions,
            roads=roads,
            params=p,
        )
    return out


__all__ += ["MiniNetDesign", "design_mini_nets"]
