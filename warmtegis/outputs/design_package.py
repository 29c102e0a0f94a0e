"""The design package of a mini net: ``design.gpkg``, ``design.html`` and ``offerte-uitvraag.md``.

:func:`group_designs` works out, for each group with room, the design in every insulation
scenario (:data:`~warmtegis.design.SCENARIOS`): loops placed and sized on their positions
(:func:`~warmtegis.drilling.room_to_drill`, the other groups' loops kept at the spacing and
counted in the g-function), the collective trench (:func:`~warmtegis.design.route_trench`),
the bill of quantities and the yearly cost per dwelling next to an individual air-source and
ground-source heat pump. :func:`write_design_packages` writes one folder per group
(docs/outputs.md), all of them or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.economics.pricing import price_mini_nets
from warmtegis.mini_nets.collective_loop import Trench, route_trenches
from warmtegis.mini_nets.design import (
    SCENARIOS,
    bill_of_quantities,
    heat_pump_size_kw,
    klic_polygon,
    scenario_demand,
)
from warmtegis.mini_nets.room import room_to_drill
from warmtegis.units import KWH_PER_GJ

__all__ = ["GroupDesign", "ScenarioDesign", "group_designs", "write_design_packages"]

CRS = "EPSG:28992"


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


def _scenario_room(result, ids: list[str], scenario: str):
    """Room to drill for `ids` with the scenario's loops; other groups' as-built loops kept."""
    d, room = result.design, result.drilling
    s = d.scenarios[d.scenarios["scenario"] == scenario].set_index("mini_net_id")
    nets = result.mini_nets.mini_nets.set_index("mini_net_id").loc[ids].reset_index()
    nets["n_boreholes"] = s.loc[ids, "n_boreholes"].to_numpy()
    nets["heat_demand_gj"] = s.loc[ids, "heat_demand_gj"].to_numpy()
    bh = room.boreholes
    others = shapely.get_coordinates(bh.geometry.values[~bh["mini_net_id"].isin(ids).to_numpy()])
    p = result.parameters
    return room_to_drill(
        nets,
        result.mini_nets.buildings,
        ground=room.ground,
        exclusions=room.exclusions,
        params=p.drilling,
        borehole_params=p.boreholes,
        full_load_hours=p.demand.full_load_hours,
        neighbours=others,
    )


def group_designs(result, groups: list[str] | None = None) -> dict[str, GroupDesign]:
    """Work out the design package of each group (default: every group with room).

    Parameters
    ----------
    result
        A :class:`~warmtegis.pipeline.StageResults` of a run with the room-to-drill stage
        (``warmtegis run``, :func:`~warmtegis.run_study`).
    groups
        ``mini_net_id`` values; unknown ones are an :class:`~warmtegis.InputError`.
    """
    if result.drilling is None or result.design is None or result.design.trenches is None:
        raise InputError(
            "the design package needs the room-to-drill stage: a study with buildings whose "
            "mini-net stage found groups (give [inputs] terrain for BGT open ground)"
        )
    p = result.parameters
    nets = result.layers["mini_nets"]
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
        ids = nets.loc[nets["has_room"].astype(bool), "mini_net_id"].astype(str).tolist()
    if not ids:
        return {}
    buildings = result.mini_nets.buildings
    ground, zones = result.drilling.ground, result.drilling.exclusions
    roads = result.inputs.roads
    demand = scenario_demand(
        buildings[buildings["mini_net_id"].notna()],
        insulation=p.insulation,
        demand_params=p.demand,
        cost_params=p.costs,
    )
    placed: dict[str, tuple[Any, Any, pd.DataFrame]] = {}
    for scenario in SCENARIOS:
        if scenario == "as built":
            room = result.drilling
            table, lines = result.design.trenches, result.design.trench_lines
        else:
            room = _scenario_room(result, ids, scenario)
            nets_s = nets[nets["mini_net_id"].isin(ids)]
            table, lines, _ = route_trenches(
                nets_s,
                buildings,
                room.boreholes,
                ground=ground,
                exclusions=zones,
                roads=roads,
                params=p,
            )
        placed[scenario] = (room, lines, table.set_index("mini_net_id"))
    drop = result.design.dropouts.set_index("mini_net_id")
    manifolds = result.design.manifolds
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
            peak = gj * KWH_PER_GJ / p.demand.full_load_hours
            hp = heat_pump_size_kw(peak)
            dwell[f"heat_demand_{k}_gj"] = gj
            dwell[f"design_load_{k}_kw"] = peak
            dwell[f"heat_pump_{k}_kw"] = hp
            room, lines, table = placed[scenario]
            g = room.groups.set_index("mini_net_id")
            reason = str(g.loc[gid, "room_reason"]) if gid in g.index else "not designed"
            bh = room.boreholes[room.boreholes["mini_net_id"] == gid]
            xy = shapely.get_coordinates(bh.geometry.values)
            depth = float(g.loc[gid, "depth_placed_m"]) if gid in g.index else float("nan")
            trench = None
            if not reason:
                sel = lines[lines["mini_net_id"] == gid] if lines is not None else lines
                man = manifolds[manifolds["mini_net_id"] == gid] if scenario == "as built" else None
                trench = Trench(
                    sel,
                    None if man is None or not len(man) else man.geometry.iloc[0],
                    str(table.loc[gid, "trench_reason"]),
                )
                reason = trench.reason
                if trench.manifold is None and len(xy):
                    trench.manifold = shapely.Point(*xy[0])
            by = {} if trench is None else trench.length_by_surface
            n_loops = len(xy) if not reason else 0
            bill = bill_of_quantities(
                len(members), n_loops, depth if n_loops else 0.0, by, hp, cost_params=p.costs
            )
            scen[scenario] = ScenarioDesign(
                scenario,
                gj,
                peak,
                hp,
                xy,
                depth,
                reason,
                trench,
                bill,
                _costs(bill, len(members), gj, demand.loc[members.index, f"insulation_{k}"], p),
            )
        works = [w for w in (scen[s].trench for s in SCENARIOS) if w is not None and len(w.lines)]
        parts = [shapely.union_all(dwell.geometry.values)]
        parts += [shapely.multipoints(s.loops) for s in scen.values() if len(s.loops)]
        parts += [shapely.union_all(t.lines.geometry.values) for t in works]
        klic = klic_polygon(*parts)
        ex = zones.iloc[zones.sindex.query(klic, predicate="intersects")]
        ex = ex.assign(geometry=shapely.intersection(ex.geometry.values, klic))
        out[gid] = GroupDesign(
            gid,
            gpd.GeoDataFrame(dwell, crs=CRS),
            scen,
            gpd.GeoDataFrame(ex, crs=CRS),
            klic,
            drop.loc[gid].to_dict() if gid in drop.index else {},
        )
    log(f"design: {len(out)} group design(s) worked out in {len(SCENARIOS)} scenarios")
    return out


def _costs(bill: pd.DataFrame, n: int, gj: np.ndarray, insulation: pd.Series, p) -> dict:
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


# ------------------------------------------------------------------------------- writing
def _layers(d: GroupDesign) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers of ``design.gpkg``."""
    bh, tr, mf = [], [], []
    for s in d.scenarios.values():
        if len(s.loops):
            k = len(s.loops)
            bh.append(
                gpd.GeoDataFrame(
                    {
                        "mini_net_id": [d.mini_net_id] * k,
                        "scenario": [s.scenario] * k,
                        "depth_m": [s.depth_m] * k,
                        "fits": [s.fits] * k,
                    },
                    geometry=shapely.points(s.loops),
                    crs=CRS,
                )
            )
        if s.trench is not None and len(s.trench.lines):
            tr.append(s.trench.lines.assign(scenario=s.scenario))
        if s.trench is not None and s.trench.manifold is not None:
            mf.append((s.scenario, s.trench.manifold))
    empty_pts = gpd.GeoDataFrame(
        {"mini_net_id": [], "scenario": []}, geometry=gpd.GeoSeries([], crs=CRS)
    )
    return {
        "dwellings": d.dwellings.assign(mini_net_id=d.mini_net_id),
        "boreholes": gpd.GeoDataFrame(pd.concat(bh, ignore_index=True), crs=CRS)
        if bh
        else empty_pts,
        "trench": gpd.GeoDataFrame(pd.concat(tr, ignore_index=True), crs=CRS)
        if tr
        else gpd.GeoDataFrame(
            {"mini_net_id": [], "scenario": []}, geometry=gpd.GeoSeries([], crs=CRS)
        ),
        "manifold": gpd.GeoDataFrame(
            {"mini_net_id": [d.mini_net_id] * len(mf), "scenario": [m[0] for m in mf]},
            geometry=gpd.GeoSeries([m[1] for m in mf], crs=CRS),
        ),
        "exclusion_zones": d.exclusions[["kind", "distance_m", "geometry"]],
        "klic_request": gpd.GeoDataFrame(
            {"mini_net_id": [d.mini_net_id], "area_m2": [float(shapely.area(d.klic))]},
            geometry=[d.klic],
            crs=CRS,
        ),
    }


def _bill_table(d: GroupDesign) -> pd.DataFrame:
    """Every scenario's bill in one table (``bill_of_quantities`` of the GeoPackage)."""
    return pd.concat(
        [s.bill.assign(scenario=s.scenario) for s in d.scenarios.values()], ignore_index=True
    )


def write_design_packages(
    result, out_dir: str | Path, *, groups: list[str] | None = None
) -> list[Path]:
    """Write ``<out_dir>/<mini_net_id>/{design.gpkg, design.html, offerte-uitvraag.md}``.

    The whole folder is written under a temporary name and swapped in at the end
    (:func:`~warmtegis.outputs.atomic_dir`): a failed run leaves the previous packages as
    they were. Returns the group folders.
    """
    from warmtegis.core.version import __version__
    from warmtegis.outputs.design_sheet import sheet_html, tender_markdown
    from warmtegis.storage.atomic import atomic_dir
    from warmtegis.storage.geopackage import write_geopackage

    out_dir = Path(out_dir)
    designs = group_designs(result, groups)
    meta = {
        "study": getattr(getattr(result, "study", None), "name", "") or "",
        "version": __version__,
        "date": date.today().isoformat(),
    }
    folders = []
    with atomic_dir(out_dir) as tmp:
        for gid, d in designs.items():
            d.meta = meta
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", gid)
            folder = tmp / safe
            folder.mkdir()
            write_geopackage(
                {**_layers(d), "bill_of_quantities": _bill_table(d)}, folder / "design.gpkg"
            )
            (folder / "design.html").write_text(sheet_html(d), encoding="utf-8")
            (folder / "offerte-uitvraag.md").write_text(tender_markdown(d), encoding="utf-8")
            folders.append(out_dir / safe)
        index = pd.DataFrame(
            [
                (gid, len(d.dwellings), *(d.scenarios[s].fits for s in SCENARIOS))
                for gid, d in designs.items()
            ],
            columns=[
                "mini_net_id",
                "n_dwellings",
                *(f"fits_{s.replace(' ', '_')}" for s in SCENARIOS),
            ],
        )
        index.to_csv(tmp / "index.csv", index=False)
    log(f"design: {len(folders)} package(s) written to {out_dir}")
    return folders
