"""One area, and a bundle of areas, run through the stage runner on a dask worker.

:func:`run_area` runs the stages of one area (:func:`warmtegis.run_stages`, so an area gives
exactly what ``run_study`` gives on the same inputs), keeps only the road segments whose
midpoint lies in the area, and reads the ``areas`` figures from the stages' typed results;
:func:`run_bundle` runs the areas of one bundle and writes their layers to a part file;
:func:`totals` adds the areas' figures up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.national.areas import AreaInputs, home_areas
from warmtegis.national.prepare import PreparedBuildings
from warmtegis.params.parameters import Parameters
from warmtegis.pipeline import run_stages

__all__ = ["AREA_COLUMNS", "run_area", "run_bundle", "totals"]


def run_area(
    item: AreaInputs, parameters: Parameters | None = None, drill: bool = False
) -> dict[str, Any]:
    """Run the stages for one area (:func:`warmtegis.run_stages`) and clip its layers.

    The road segments (and their bottlenecks) are clipped to those whose midpoint lies in
    the area; when the area has a heat source, the trunk is routed from it over all the
    area's road segments (those in the margin too, as a single study would) to its
    buildings. A stage that cannot run in an area (e.g. footpaths only) leaves a ``note``
    and the other stages' figures. Returns the figures (``row``) and layers, each with an
    ``area_id`` column.
    """
    # Long function: one area's stages and its row of figures, read from the stages' typed results
    # one by one
    t0 = time.perf_counter()
    r = run_stages(
        item.inputs(),
        parameters,
        item.source,
        route=item.source is not None,
        drill=drill,  # room to drill on the fallback open ground (no terrain per area)
        tolerate=True,
        name=f"area {item.area_id}",
        layers=False,  # the area's layers are read from the stages' results below
    )
    row: dict[str, Any] = {"area_id": item.area_id, "buildings": len(item.buildings)}
    layers: dict[str, gpd.GeoDataFrame] = {}
    if r.corridors is not None:
        seg = r.corridors.road_segments
        mid = shapely.line_interpolate_point(seg.geometry.values, 0.5, normalized=True)
        seg = seg[shapely.intersects(item.geometry, mid)]
        bn = r.corridors.bottlenecks
        bn = bn[bn["segment_id"].isin(seg["segment_id"])]
        total = float(seg["length_m"].sum())
        passable = float(seg.loc[seg["passable"], "length_m"].sum())
        row |= {
            "street_km": total / 1000,
            "passable_pct": 100 * passable / total if total else np.nan,
            "bottlenecks": len(bn),
        }
        layers["road_segments"] = seg.assign(area_id=item.area_id)
        layers["bottlenecks"] = bn.assign(area_id=item.area_id)
    if r.buildings is not None:
        bb = r.buildings.buildings
        row["dwellings"] = int(bb["dwellings"].sum())
        kind = bb["dwelling_type"].astype(object).where(bb["category"] == "ground_bound", None)
        counts = kind.value_counts()
        for t in _DWELLING_TYPES:
            row[f"dwellings_{t.replace('-', '_')}"] = int(counts.get(t, 0))
        row["dwellings_apartments"] = int(bb.loc[bb["category"] == "apartments", "dwellings"].sum())
        row["row_and_semi_dwellings"] = sum(
            row[f"dwellings_{t.replace('-', '_')}"] for t in _DWELLING_TYPES[:3]
        )
    if r.mini_nets is not None:
        m = r.mini_nets
        nets = m.mini_nets
        row |= {
            "eligible_dwellings": m.eligible_dwellings,
            "mini_nets": len(nets),
            "mini_net_loops": int(nets["n_boreholes"].sum()),
            "mini_net_eur_per_dwelling": m.capex_per_dwelling_eur,
        }
        row["mini_net_share_pct"] = (
            100 * m.eligible_dwellings / row["row_and_semi_dwellings"]
            if row.get("row_and_semi_dwellings")
            else np.nan
        )
        if r.design is not None and len(nets):
            s = r.design.scenarios
            for scenario in ("standaard", "streef"):
                sel = s[s["scenario"] == scenario]
                n = float(sel["n_dwellings"].sum())
                row[f"mini_net_loops_{scenario}"] = int(sel["n_boreholes"].sum())
                row[f"mini_net_eur_per_dwelling_{scenario}"] = (
                    float((sel["total_per_dwelling_eur"] * sel["n_dwellings"]).sum()) / n
                    if n
                    else np.nan
                )
        cheap = nets["cheapest"].astype(str).to_numpy() == "mini_net"
        row["mini_net_cheapest_dwellings"] = int(nets["n_dwellings"].to_numpy()[cheap].sum())
        layers["mini_nets"] = nets.assign(area_id=item.area_id)
        if r.drilling is not None and len(nets):
            room = r.drilling.groups.set_index("mini_net_id")["has_room"]
            has = room.reindex(nets["mini_net_id"]).fillna(False).to_numpy(bool)
            size = nets["n_dwellings"].to_numpy()
            row["dwellings_with_room"] = int(size[has].sum())
            row["dwellings_with_room_cheapest"] = int(size[has & cheap].sum())
            layers["mini_nets"] = layers["mini_nets"].assign(has_room=has)
    if r.network is not None:
        net = r.network
        lengths = net.lengths_by_class
        row |= {
            "connections": int(net.connections["connected"].sum()),
            "trunk_km": sum(v for k, v in lengths.items() if k != "service") / 1000,
            "service_km": lengths["service"] / 1000,
            "crossings": int(net.pipes["crossings"].sum()),
        }
        if net.business_case is not None:
            row["network"] = net.business_case.network
            row["ort_eur_per_connection"] = net.business_case.ort_per_connection_eur
            row["ort_eur_per_dwelling"] = net.business_case.ort_per_dwelling_eur
        layers["pipes"] = net.pipes.assign(area_id=item.area_id)
    row["warnings"] = len(r.warnings)  # values set to unknown, repairs, ... in this area
    if r.notes:
        row["note"] = "; ".join(r.notes)
    row["seconds"] = time.perf_counter() - t0
    return {"row": row, "layers": layers}


_DWELLING_TYPES = ("mid-terrace", "end-of-terrace", "semi-detached", "detached")


AREA_COLUMNS = (
    "area_id",
    "buildings",
    "dwellings",
    "dwellings_mid_terrace",
    "dwellings_end_of_terrace",
    "dwellings_semi_detached",
    "dwellings_detached",
    "dwellings_apartments",
    "row_and_semi_dwellings",
    "eligible_dwellings",
    "mini_net_share_pct",
    "mini_nets",
    "mini_net_loops",
    "mini_net_eur_per_dwelling",
    "mini_net_loops_standaard",
    "mini_net_eur_per_dwelling_standaard",
    "mini_net_loops_streef",
    "mini_net_eur_per_dwelling_streef",
    "mini_net_cheapest_dwellings",
    "dwellings_with_room",
    "dwellings_with_room_cheapest",
    "street_km",
    "passable_pct",
    "bottlenecks",
    "connections",
    "trunk_km",
    "service_km",
    "crossings",
    "network",
    "ort_eur_per_connection",
    "ort_eur_per_dwelling",
    "warnings",
    "note",
    "seconds",
)


def run_bundle(
    dataset: str,
    own: gpd.GeoDataFrame,
    neighbours: gpd.GeoDataFrame,
    context: Mapping[str, gpd.GeoDataFrame | None],
    parameters: Parameters,
    layer_dir: str | None,
    bundle: int,
    margin_m: float = 50.0,
    drill: bool = False,
) -> list[dict[str, Any]]:
    """Run a bundle of neighbouring areas on prepared buildings, reading them on the worker.

    Reads the panden whose bounding box meets the bundle's areas (:class:`PreparedBuildings`
    ``.read``), gives each to the lowest-order area holding its representative point (among
    the areas near the bundle, so a pand on a border between two bundles is counted once, as
    :func:`split_inputs` does), and runs :func:`run_area` per area. With `layer_dir` the
    areas' layers are written there as one GeoParquet file per layer and bundle and left out
    of the returned results (their ``parts`` name the files).
    """
    ds = PreparedBuildings.open(dataset)
    panden = ds.read(tuple(shapely.total_bounds(own.geometry.values)))
    home = home_areas(shapely.point_on_surface(panden.geometry.values), neighbours)
    home_id = np.where(home >= 0, neighbours["area_id"].to_numpy()[np.maximum(home, 0)], None)
    panden = panden.drop(columns="input_order")
    results = []
    for row in own.itertuples(index=False):
        geom = row.geometry
        item = AreaInputs(row.area_id, geom, panden.iloc[np.flatnonzero(home_id == row.area_id)])
        sx, sy = getattr(row, "source_x", np.nan), getattr(row, "source_y", np.nan)
        item.source = None if np.isnan(sx) or np.isnan(sy) else (float(sx), float(sy))
        grown = shapely.buffer(geom, margin_m)
        for name, frame in context.items():
            if frame is not None and len(frame):
                hit = frame.sindex.query(grown, predicate="intersects")
                setattr(item, name, frame.iloc[np.sort(hit)])
        res = run_area(item, parameters, drill)
        if "group" in own:
            res["row"]["group"] = row.group
        results.append(res)
    if layer_dir is not None:
        names = {n for r in results for n in r["layers"]}
        for name in sorted(names):
            parts = [r["layers"][name] for r in results if name in r["layers"]]
            frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
            folder = Path(layer_dir) / name
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"bundle-{bundle:06d}.parquet"
            frame.to_parquet(path, index=False)
            results[0].setdefault("parts", {})[name] = str(path)
        for r in results:
            r["layers"] = {}
    return results


#: Per-area counts that add up over areas (the totals per group and for the whole input).
_COUNTS = (
    "buildings", "dwellings", "dwellings_mid_terrace", "dwellings_end_of_terrace",
    "dwellings_semi_detached", "dwellings_detached", "dwellings_apartments",
    "row_and_semi_dwellings", "eligible_dwellings", "mini_nets", "mini_net_loops",
    "mini_net_loops_standaard", "mini_net_loops_streef", "mini_net_cheapest_dwellings",
    "dwellings_with_room", "dwellings_with_room_cheapest",
)  # fmt: skip


def totals(areas: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Add the per-area figures up, per value of column `by` (e.g. the gemeente) or overall.

    Counts are summed; € per dwelling is the mean weighted by the eligible dwellings; the
    mini-net share is eligible / row and semi-detached dwellings of the total.
    """
    frame = pd.DataFrame(areas.drop(columns="geometry", errors="ignore"))
    key = frame[by].astype(str) if by else pd.Series("total", index=frame.index)
    counts = [c for c in _COUNTS if c in frame]
    out = frame[counts].apply(pd.to_numeric, errors="coerce").groupby(key).sum()
    out.insert(0, "areas", key.value_counts().reindex(out.index))
    w = pd.to_numeric(frame.get("eligible_dwellings"), errors="coerce").fillna(0)
    for col in ("mini_net_eur_per_dwelling", "mini_net_eur_per_dwelling_standaard",
                "mini_net_eur_per_dwelling_streef"):  # fmt: skip
        if col in frame:
            v = pd.to_numeric(frame[col], errors="coerce")
            num = (v * w).where(v.notna(), 0).groupby(key).sum()
            den = w.where(v.notna(), 0).groupby(key).sum()
            out[col] = (num / den.replace(0, np.nan)).reindex(out.index)
    if "row_and_semi_dwellings" in out:
        out["mini_net_share_pct"] = 100 * out["eligible_dwellings"] / out[
            "row_and_semi_dwellings"].replace(0, np.nan)  # fmt: skip
    out.index.name = by or "scope"
    return out.reset_index()
