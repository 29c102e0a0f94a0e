"""One design per mini-net group and insulation scenario: sized, placed, routed and priced once.

:func:`group_designs` works out, for each group with room, the design in every insulation
scenario (:data:`~warmtegis.mini_nets.design.SCENARIOS`): loops placed and sized on their
positions (:func:`~warmtegis.mini_nets.room.room_to_drill`, the other groups' loops kept at the
spacing and counted in the g-function), the collective trench
(:func:`~warmtegis.mini_nets.collective_loop.route_trenches`), the bill of quantities and the
cost per dwelling next to an individual air-source and ground-source heat pump. A
:class:`GroupDesign` is what every output reads: none of them sizes or prices a group itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.economics.pricing import price_mini_nets
from warmtegis.mini_nets.collective_loop import Trench, route_trenches
from warmtegis.mini_nets.design import (
    SCENARIOS,
    MiniNetDesign,
    bill_of_quantities,
    heat_pump_size_kw,
    klic_polygon,
    scenario_demand,
)
from warmtegis.mini_nets.grouping import MiniNets
from warmtegis.mini_nets.room import RoomToDrill, room_to_drill
from warmtegis.params.parameters import Parameters
from warmtegis.units import KWH_PER_GJ

__all__ = [
    "NEEDS_ROOM_TO_DRILL",
    "GroupDesign",
    "ScenarioDesign",
    "group_designs",
    "mini_net_layers",
]

#: Why a run has no group designs, and what to give it.
NEEDS_ROOM_TO_DRILL = (
    "the design package needs the room-to-drill stage: a study with buildings whose mini-net "
    "stage found groups, and a road layer, BGT terrain or parcels to keep the loops off the "
    "public road (give [inputs] roads or terrain, or set [parameters.drilling] "
    "place_without_roads = true to place them without)"
)


@dataclass
class ScenarioDesign:
    """One group's design in one insulation scenario."""

    scenario: str
    demand_gj: np.ndarray  # per dwelling
    peak_kw: np.ndarray  # per dwelling
    heat_pump_kw: np.ndarray  # per dwelling
    loops: np.ndarray  # (k, 2)
    depth_m: float
    reason: str  # "" when the design fits
    trench: Trench | None
    bill: pd.DataFrame
    costs: dict[str, float]

    @property
    def fits(self) -> bool:
        """True when the loops fit, are within the depth limit and the trench is routed."""
        return not self.reason

    @property
    def n_loops(self) -> int:
        """The number of loops placed (0 when the design does not fit)."""
        return len(self.loops) if self.fits else 0

    @property
    def dwellings_per_loop(self) -> float:
        """Dwellings per placed loop (NaN without loops)."""
        return len(self.demand_gj) / self.n_loops if self.n_loops else float("nan")

    @property
    def trench_by_surface(self) -> dict[str, float]:
        """Trench metres per surface."""
        return {} if self.trench is None else self.trench.length_by_surface


@dataclass
class GroupDesign:
    """The design package of one group: its dwellings and every scenario's design."""

    mini_net_id: str
    dwellings: gpd.GeoDataFrame
    scenarios: dict[str, ScenarioDesign]
    exclusions: gpd.GeoDataFrame
    klic: Any
    dropouts: dict[str, float]
    meta: dict[str, str] = field(default_factory=dict)
    #: the layers the loops were placed with, and those missing (RoomToDrill.layers)
    layers: dict[str, str] = field(default_factory=dict)


def _scenario_room(
    stage: MiniNets,
    room: RoomToDrill,
    design: MiniNetDesign,
    p: Parameters,
    ids: list[str],
    scenario: str,
) -> RoomToDrill:
    """Room to drill for `ids` with the scenario's loops; other groups' as-built loops kept."""
    s = design.scenarios[design.scenarios["scenario"] == scenario].set_index("mini_net_id")
    nets = stage.mini_nets.set_index("mini_net_id").loc[ids].reset_index()
    nets["n_boreholes"] = s.loc[ids, "n_boreholes"].to_numpy()
    nets["heat_demand_gj"] = s.loc[ids, "heat_demand_gj"].to_numpy()
    bh = room.boreholes
    others = shapely.get_coordinates(bh.geometry.values[~bh["mini_net_id"].isin(ids).to_numpy()])
    return room_to_drill(
        nets,
        stage.buildings,
        ground=room.ground,
        exclusions=room.exclusions,
        params=p.drilling,
        borehole_params=p.boreholes,
        full_load_hours=p.demand.full_load_hours,
        neighbours=others,
    )


def group_designs(
    stage: MiniNets,
    room: RoomToDrill,
    design: MiniNetDesign,
    parameters: Parameters,
    *,
    roads: gpd.GeoDataFrame | None = None,
    groups: list[str] | None = None,
) -> dict[str, GroupDesign]:
    """Work out the design of each group (default: every group with room to drill).

    The one place a group's design is sized and priced: the design package (``design.gpkg``,
    design sheet, tender request), the residents' page and the web application all read
    these objects (through :meth:`warmtegis.pipeline.StageResults.group_designs`, which
    computes them once per run).

    Parameters
    ----------
    stage, room, design
        The mini-net stage's groups, the room-to-drill stage and the mini-net design stage of
        one run (:class:`~warmtegis.pipeline.StageResults` ``mini_nets``, ``drilling`` and
        ``design``; the design with its trenches routed).
    parameters
        The run's parameters.
    roads
        The run's roads (the trench may cross them).
    groups
        ``mini_net_id`` values; unknown ones are an :class:`~warmtegis.InputError`.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> r = demo_result()
    >>> designs = group_designs(r.mini_nets, r.drilling, r.design, r.parameters,
    ...                         roads=r.inputs.roads)
    >>> d = next(iter(designs.values()))
    >>> list(d.scenarios) == list(SCENARIOS), d.scenarios["as built"].fits
    (True, True)
    """
    if design.trenches is None:
        raise InputError(NEEDS_ROOM_TO_DRILL)
    p = parameters
    nets = stage.mini_nets
    known = set(nets["mini_net_id"].astype(str))
    if groups:
        unknown = sorted(set(groups) - known)
        if unknown:
            raise InputError(
                f"--group {', '.join(unknown)}: no such mini net in this study; its groups are "
                f"named like {sorted(known)[0] if known else '(none)'} (the mini_nets layer's "
                "mini_net_id)"
            )
        ids = list(dict.fromkeys(groups))
    else:
        g = room.groups
        ids = g.loc[g["has_room"].astype(bool), "mini_net_id"].astype(str).tolist()
    if not ids:
        return {}
    buildings = stage.buildings
    zones = room.exclusions
    demand = scenario_demand(
        buildings[buildings["mini_net_id"].notna()],
        insulation=p.insulation,
        demand_params=p.demand,
        cost_params=p.costs,
    )
    placed = _placed(stage, room, design, p, ids, roads)
    drop = design.dropouts.set_index("mini_net_id")
    out = {}
    for gid in ids:
        members = buildings[buildings["mini_net_id"].astype(object) == gid]
        dwell = members[
            ["building_id", "year_built", "dwelling_type", "floor_area_m2", "geometry"]
        ].copy()
        scen = {}
        for scenario in SCENARIOS:
            k = scenario.replace(" ", "_")
            gj = demand.loc[members.index, f"demand_{k}"].to_numpy(float)
            scen[scenario] = _scenario_design(
                gid,
                scenario,
                gj,
                demand.loc[members.index, f"insulation_{k}"],
                placed[scenario],
                design.manifolds if scenario == "as built" else None,
                p,
            )
            dwell[f"heat_demand_{k}_gj"] = gj
            dwell[f"design_load_{k}_kw"] = scen[scenario].peak_kw
            dwell[f"heat_pump_{k}_kw"] = scen[scenario].heat_pump_kw
        klic, ex = _work_area(dwell, scen, zones)
        out[gid] = GroupDesign(
            gid,
            gpd.GeoDataFrame(dwell, crs=settings.crs),
            scen,
            ex,
            klic,
            drop.loc[gid].to_dict() if gid in drop.index else {},
            layers=dict(room.layers),
        )
    log(f"design: {len(out)} group design(s) worked out in {len(SCENARIOS)} scenarios")
    return out


_Placed = tuple[RoomToDrill, gpd.GeoDataFrame | None, pd.DataFrame]


def _placed(
    stage: MiniNets,
    room: RoomToDrill,
    design: MiniNetDesign,
    p: Parameters,
    ids: list[str],
    roads: gpd.GeoDataFrame | None,
) -> dict[str, _Placed]:
    """Per scenario: the loops placed and sized for `ids`, the trench lines and the trench table.

    As built these are the run's own stages; the insulated scenarios place the groups' (fewer)
    loops again, the other groups' as-built loops kept, and route their trenches again.
    """
    placed: dict[str, _Placed] = {}
    nets = stage.mini_nets
    for scenario in SCENARIOS:
        if scenario == "as built":
            assert design.trenches is not None  # checked by group_designs
            placed[scenario] = (room, design.trench_lines, design.trenches.set_index("mini_net_id"))
            continue
        at = _scenario_room(stage, room, design, p, ids, scenario)
        table, lines, _ = route_trenches(
            nets[nets["mini_net_id"].isin(ids)],
            stage.buildings,
            at.boreholes,
            ground=room.ground,
            exclusions=room.exclusions,
            roads=roads,
            params=p,
        )
        placed[scenario] = (at, lines, table.set_index("mini_net_id"))
    return placed


def _scenario_design(
    gid: str,
    scenario: str,
    gj: np.ndarray,
    insulation: pd.Series,
    placed: _Placed,
    manifolds: gpd.GeoDataFrame | None,
    p: Parameters,
) -> ScenarioDesign:
    """One group's design in one scenario: its loops, trench, bill and costs."""
    peak = gj * KWH_PER_GJ / p.demand.full_load_hours
    hp = heat_pump_size_kw(peak)
    at, lines, table = placed
    g = at.groups.set_index("mini_net_id")
    reason = str(g.loc[gid, "room_reason"]) if gid in g.index else "not designed"
    bh = at.boreholes[at.boreholes["mini_net_id"] == gid]
    xy = shapely.get_coordinates(bh.geometry.values)
    depth = float(g.loc[gid, "depth_placed_m"]) if gid in g.index else float("nan")
    trench = None
    if not reason:
        sel = lines[lines["mini_net_id"] == gid] if lines is not None else lines
        man = manifolds[manifolds["mini_net_id"] == gid] if manifolds is not None else None
        trench = Trench(
            sel,
            None if man is None or not len(man) else man.geometry.iloc[0],
            str(table.loc[gid, "trench_reason"]),
            int(table.loc[gid, "trench_walls_not_reached"]),
        )
        reason = trench.reason
        if trench.manifold is None and len(xy):
            trench.manifold = shapely.Point(*xy[0])
    by = {} if trench is None else trench.length_by_surface
    n_loops = len(xy) if not reason else 0
    n = len(gj)
    bill = bill_of_quantities(n, n_loops, depth if n_loops else 0.0, by, hp, cost_params=p.costs)
    return ScenarioDesign(
        scenario, gj, peak, hp, xy, depth, reason, trench, bill, _costs(bill, n, gj, insulation, p)
    )


def _work_area(
    dwellings: gpd.GeoDataFrame, scenarios: dict[str, ScenarioDesign], zones: gpd.GeoDataFrame
) -> tuple[Any, gpd.GeoDataFrame]:
    """Return the KLIC request polygon around every scenario's works, and the zones in it."""
    works = [s.trench for s in scenarios.values() if s.trench is not None and len(s.trench.lines)]
    parts = [shapely.union_all(dwellings.geometry.values)]
    parts += [shapely.multipoints(s.loops) for s in scenarios.values() if len(s.loops)]
    parts += [shapely.union_all(t.lines.geometry.values) for t in works]
    klic = klic_polygon(*parts)
    ex = zones.iloc[zones.sindex.query(klic, predicate="intersects")]
    ex = ex.assign(geometry=shapely.intersection(ex.geometry.values, klic))
    return klic, gpd.GeoDataFrame(ex, crs=settings.crs)


def _costs(
    bill: pd.DataFrame, n: int, gj: np.ndarray, insulation: pd.Series, p: Parameters
) -> dict[str, float]:
    """Investment and yearly cost per dwelling of the design, and the individual options."""
    mn, ref = p.costs.mini_net, p.costs.reference
    trench = bill[bill["item"].str.startswith("trench_")]["amount_eur"].sum()
    loops = bill.loc[bill["item"] == "loop_heads", "quantity"].sum()
    drilled = bill.loc[bill["item"] == "drilling", "quantity"].sum()
    row = pd.DataFrame(
        {
            "n_dwellings": [n],
            "n_boreholes": [loops],
            "borehole_depth_m": [drilled / loops if loops else 0.0],
            "trench_length_m": [trench / mn.trench_eur_per_m],
            "heat_demand_gj": [gj.sum()],
        }
    )
    priced = price_mini_nets(row, params=p.costs).iloc[0]
    return {
        "capex_eur": float(priced["capex_eur"]),
        "capex_per_dwelling_eur": float(priced["capex_per_dwelling_eur"]),
        "annual_per_dwelling_eur": float(priced["annual_cost_per_dwelling_eur"]),
        "insulation_per_dwelling_eur": float(np.mean(insulation)),
        "air_source_eur": ref.air_source_eur,
        "air_source_annual_eur": float(priced["air_source_annual_eur"]),
        "ground_source_eur": ref.ground_source_eur,
        "ground_source_annual_eur": float(priced["ground_source_annual_eur"]),
    }


def mini_net_layers(
    nets: MiniNets,
    room: RoomToDrill | None,
    design: MiniNetDesign | None,
    connected: pd.Series | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Return the mini-net stages' output layers, each stage's columns joined once.

    ``buildings`` (with ``connected`` when the routing stage ran: `connected` is its
    ``building_id`` -> bool), ``mini_nets`` (the groups with the room-to-drill and design
    columns; ``eligible`` = room to drill and, where trenches were routed, a trench),
    ``boreholes``, ``mini_net_trenches`` and ``manifolds`` (when those stages ran).

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> r = demo_result()
    >>> layers = mini_net_layers(r.mini_nets, r.drilling, r.design)
    >>> list(layers)
    ['buildings', 'mini_nets', 'boreholes', 'mini_net_trenches', 'manifolds']
    >>> bool((layers["mini_nets"]["eligible"] <= layers["mini_nets"]["has_room"]).all())
    True
    """
    buildings = nets.buildings
    if connected is not None:
        buildings = buildings.assign(
            connected=buildings["building_id"].map(connected).fillna(False).astype(bool)
        )
    layers = {"buildings": buildings}
    groups = nets.mini_nets
    if room is not None:
        columns = room.groups.drop(columns=["loops_needed"]).set_index("mini_net_id")
        groups = groups.join(columns, on="mini_net_id")
        groups["eligible"] = groups["has_room"]
    if design is not None:
        groups = groups.join(design.columns(), on="mini_net_id")
        if design.trenches is not None:
            groups["eligible"] = groups["eligible"] & groups["has_trench"].astype(bool)
    layers["mini_nets"] = groups
    if room is not None:
        layers["boreholes"] = room.boreholes
    if design is not None and design.trench_lines is not None and design.manifolds is not None:
        layers["mini_net_trenches"] = design.trench_lines
        layers["manifolds"] = design.manifolds
    return layers
