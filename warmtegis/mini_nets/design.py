"""Mini heat networks designed: insulation scenarios, the collective loop, drop-outs, the bill.

The mini-net stage (:mod:`warmtegis.mini_nets`) finds the groups and the room-to-drill stage
(:mod:`warmtegis.mini_nets.room`) places their loops. This module turns a group into a design one
could put out to tender (docs/method.md §3c-3f):

1. :func:`scenario_demand` and :func:`insulation_scenarios` — each group as built, insulated
   to RVO's *standaard* and to its *streefwaarden*: heat demand, peak, loops, drilled metres,
   dwellings per loop and the insulation's cost per dwelling. The pilots' finding — whether
   a group fits on 2 or 3 loops is a matter of insulation and group size — is read straight
   from the ``dwellings_per_loop`` column.
2. :func:`~warmtegis.mini_nets.collective_loop.route_trench` — the collective trench from each
   dwelling's wall to the manifold and the loops, with its PE pipes
   (:mod:`warmtegis.mini_nets.collective_loop`; re-exported here).
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

from warmtegis.economics.pricing import mini_net_prices
from warmtegis.mini_nets.boreholes import size_mini_nets
from warmtegis.mini_nets.collective_loop import (
    TRENCH_PRICE,
    route_trenches,
)
from warmtegis.params.costs import CostParams, load_cost_params
from warmtegis.params.dwellings import DemandParams, InsulationParams, MiniNetParams
from warmtegis.params.parameters import Parameters

__all__ = [
    "HEAT_PUMP_SIZES_KW",
    "SCENARIOS",
    "MiniNetDesign",
    "bill_of_quantities",
    "design_mini_nets",
    "dropouts",
    "heat_pump_size_kw",
    "insulation_scenarios",
    "klic_polygon",
    "scenario_demand",
    "scenario_summary",
]

#: The insulation scenarios, in order.
SCENARIOS = ("as built", "standaard", "streef")
#: Heat pump sizes (kW heat at B0/W35) offered per dwelling: assumption, the steps of the
#: common Dutch water-water heat pump ranges; a dwelling gets the smallest covering its peak.
HEAT_PUMP_SIZES_KW = (3, 4, 5, 6, 8, 10, 12, 14, 16, 20)
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
    prices (:func:`~warmtegis.economics.pricing.price_mini_nets`) — the alternative a member who
    leaves
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


# ----------------------------------------------------------------------------- heat pumps
def heat_pump_size_kw(peak_kw: np.ndarray | float) -> np.ndarray:
    """Smallest heat pump of :data:`HEAT_PUMP_SIZES_KW` covering each peak (kW).

    >>> heat_pump_size_kw([2.5, 6.5, 30.0]).tolist()
    [3, 8, 20]
    """
    sizes = np.asarray(HEAT_PUMP_SIZES_KW)
    i = np.searchsorted(sizes, np.asarray(peak_kw, float), side="left")
    return sizes[np.minimum(i, len(sizes) - 1)]


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

    The items are :func:`~warmtegis.economics.pricing.mini_net_capex`'s, with the trench split by
    surface; the amounts add up to the group's investment.

    Examples
    --------
    Three dwellings, two 150 m loops, 40 m of trench in gardens: the same total as
    :func:`~warmtegis.economics.pricing.mini_net_capex` (trench in gardens at its one price).

    >>> from warmtegis.economics.pricing import mini_net_capex
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
