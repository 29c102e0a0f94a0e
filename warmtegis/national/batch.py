"""Batch mode: the stages of a study for many areas, on dask.

The inputs are split by area polygons (e.g. CBS buurten, or a square grid) with
dask-geopandas spatial joins, every area runs as one task on a ``dask.distributed`` cluster
(a ``LocalCluster`` by default, any scheduler address by option), and the per-area layers are
gathered into one result with an ``areas`` layer of per-area figures.

Objects near area borders are handled once:

* a building belongs to the area containing its representative point (the first area when
  it lies on a shared border), so every building is counted in exactly one area and mini-net
  groups never span two areas (choose areas bounded by streets, as CBS buurten are);
* roads, sewers, trees and barriers are taken within ``margin_m`` of the area (buffer), so
  the corridor check and the routing near the border see what lies across it; afterwards
  only the road segments whose midpoint lies in the area are kept (clip), so each street
  stretch is reported once.

Each area runs through the same stage runner as a study (:func:`warmtegis.run_stages`), so
an area gives exactly what ``run_study`` gives on the same inputs; the figures of the
``areas`` layer are read from the stages' typed results. :func:`area_inputs` returns the
inputs the batch gives one area.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import check_overlap
from warmtegis.params.parameters import Parameters
from warmtegis.pipeline import Inputs, run_stages

__all__ = [
    "AreaInputs",
    "BatchResult",
    "area_inputs",
    "grid_areas",
    "run_area",
    "run_batch",
    "run_bundle",
    "totals",
]

_SOURCE = ("source_x", "source_y")


@dataclass
class AreaInputs:
    """The inputs of one area: its buildings, and roads/sewers/trees within the margin."""

    area_id: str
    geometry: shapely.Geometry
    buildings: gpd.GeoDataFrame
    source: tuple[float, float] | None = None
    roads: gpd.GeoDataFrame | None = None
    sewers: gpd.GeoDataFrame | None = None
    trees: gpd.GeoDataFrame | None = None
    barriers: gpd.GeoDataFrame | None = None

    def inputs(self) -> Inputs:
        """Return the area's inputs for :func:`warmtegis.run_stages`."""
        return Inputs(
            buildings=self.buildings,
            roads=self.roads,
            sewers=self.sewers,
            trees=self.trees,
            barriers=self.barriers,
        )


@dataclass
class BatchResult:
    """Gathered result of a batch: ``layers['areas']`` holds the per-area figures.

    A batch over prepared (partitioned) buildings keeps the per-area layers out of the
    driver: the workers write them as GeoParquet parts (``parts``: layer -> files), which
    :meth:`layer` reads and :meth:`to_geopackage` streams into the GeoPackage one part at a
    time.
    """

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    temporary: str | None = None

    def cleanup(self) -> None:
        """Remove the temporary folder of the workers' layer parts (after writing)."""
        import shutil

        if self.temporary:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None
            self.parts = {}

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The per-area figures."""
        return self.layers["areas"]

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """Return a result layer, read from its parts when the workers wrote it (or None)."""
        if name in self.layers:
            return self.layers[name]
        files = self.parts.get(name)
        if not files:
            return None
        frames = [gpd.read_parquet(f) for f in files]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=settings.crs)

    def names(self) -> list[str]:
        """Return the names of the result's layers, in output order."""
        order = ["areas", "road_segments", "bottlenecks", "mini_nets", "pipes"]
        have = set(self.layers) | {k for k, v in self.parts.items() if v}
        return [n for n in order if n in have] + sorted(have - set(order))

    def to_geopackage(self, path) -> None:
        """Write every layer and table to `path` atomically, parts streamed one at a time."""
        from warmtegis.storage.geopackage import write_geopackage

        write_geopackage({**self.layers, **self.tables}, path, parts=self.parts)


def grid_areas(like: gpd.GeoDataFrame, size_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Square cells of `size_m` on the RD grid covering `like`, keeping cells that hold any of it.

    ``area_id`` is ``"x{col}_y{row}"`` from the cell's lower-left corner in km (at 1 km).
    """
    if size_m <= 0:
        raise InputError(f"grid size must be > 0 m, not {size_m}")
    pts = shapely.get_coordinates(shapely.point_on_surface(like.geometry.values))
    ij = np.unique(np.floor(pts / size_m).astype(np.int64), axis=0)
    x0, y0 = ij[:, 0] * size_m, ij[:, 1] * size_m
    return gpd.GeoDataFrame(
        {"area_id": [f"x{i}_y{j}" for i, j in ij]},
        geometry=shapely.box(x0, y0, x0 + size_m, y0 + size_m),
        crs=settings.crs,
    )


def _check_areas(
    areas: gpd.GeoDataFrame, id_column: str | None, group_column: str | None = None
) -> gpd.GeoDataFrame:
    if len(areas) == 0:
        raise InputError("study areas: the layer holds no polygons")
    col = id_column or ("area_id" if "area_id" in areas else None)
    if col is None:
        raise InputError(
            "the study areas need an id column: name it with --id-column (e.g. buurtcode) "
            f"or call it area_id; columns found: {list(areas.columns.drop(areas.geometry.name))}"
        )
    if col not in areas:
        raise InputError(f"study areas: no column {col!r}; columns found: {list(areas.columns)}")
    ids = areas[col].astype(str)
    if ids.duplicated().any():
        raise InputError(
            f"study areas: column {col!r} must be unique, repeated: "
            f"{sorted(set(ids[ids.duplicated()]))[:5]}"
        )
    if not areas.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise InputError("study areas must be polygons")
    out = gpd.GeoDataFrame(
        {"area_id": ids.to_numpy()}, geometry=areas.geometry.values, crs=areas.crs
    ).to_crs(settings.crs)
    if group_column is not None:
        if group_column not in areas:
            raise InputError(
                f"study areas: no column {group_column!r} to total by (e.g. gemeentecode); "
                f"columns found: {list(areas.columns)}"
            )
        out["group"] = areas[group_column].astype(str).to_numpy()
    has = [c in areas for c in _SOURCE]
    if any(has) and not all(has):
        raise InputError(f"study areas: a heat source needs both columns {list(_SOURCE)}")
    if all(has):
        xy = areas[list(_SOURCE)].apply(pd.to_numeric, errors="coerce")
        bad = xy.isna().any(axis=1) & areas[list(_SOURCE)].notna().any(axis=1)
        if bad.any():
            raise InputError(
                f"study areas: {list(_SOURCE)} must be numbers (EPSG:28992 metres); "
                f"not for area {ids[bad.to_numpy()].iloc[0]!r}"
            )
        out[list(_SOURCE)] = xy.to_numpy(float)
    return out


def _assign(
    gdf: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, predicate: str, npartitions: int
) -> pd.DataFrame:
    """(row, area_id) pairs of a spatial join, computed partition-wise with dask-geopandas."""
    import dask_geopandas

    frame = gpd.GeoDataFrame({"_row": np.arange(len(gdf))}, geometry=gdf.geometry.values)
    frame = frame.set_crs(gdf.crs)
    ddf = dask_geopandas.from_geopandas(frame, npartitions=max(1, min(npartitions, len(frame))))
    joined = dask_geopandas.sjoin(ddf, areas[["area_id", "geometry"]], predicate=predicate)
    with warnings.catch_warnings():
        # in-memory frames travel inside the graph by design; files read with
        # dask_geopandas.read_file/read_parquet would not
        warnings.filterwarnings("ignore", message="Sending large graph")
        return joined[["_row", "area_id"]].compute()


def split_inputs(
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    context: Mapping[str, gpd.GeoDataFrame | None],
    *,
    margin_m: float = 50.0,
    npartitions: int = 8,
) -> list[AreaInputs]:
    """Split the inputs by area (see the module text for the border rules)."""
    order = {a: i for i, a in enumerate(areas["area_id"])}
    points = buildings.set_geometry(shapely.point_on_surface(buildings.geometry.values))
    home = _assign(points, areas, "intersects", npartitions)
    home = home.assign(o=home["area_id"].map(order)).sort_values(["_row", "o"])
    home = home.drop_duplicates("_row")
    grown = areas.set_geometry(areas.buffer(margin_m))
    rows = {
        name: _assign(gdf, grown, "intersects", npartitions)
        for name, gdf in context.items()
        if gdf is not None and len(gdf)
    }

    def index(frame: pd.DataFrame) -> dict[str, np.ndarray]:
        return {k: np.sort(v.to_numpy()) for k, v in frame.groupby("area_id")["_row"]}

    homes = index(home)
    near = {name: index(frame) for name, frame in rows.items()}
    sources = (
        areas[list(_SOURCE)].to_numpy(float)
        if "source_x" in areas
        else np.full((len(areas), 2), np.nan)
    )
    none = np.empty(0, int)
    out = []
    for area_id, geom, (x, y) in zip(areas["area_id"], areas.geometry.values, sources, strict=True):
        item = AreaInputs(area_id, geom, buildings.iloc[homes.get(area_id, none)])
        item.source = None if np.isnan(x) or np.isnan(y) else (float(x), float(y))
        for name, idx in near.items():
            frame = context[name]
            if frame is not None:
                setattr(item, name, frame.iloc[idx.get(area_id, none)])
        out.append(item)
    return out


def area_inputs(
    area_id: str,
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    id_column: str | None = None,
    margin_m: float = 50.0,
) -> AreaInputs:
    """Return the inputs the batch gives area `area_id` (for running one area alone)."""
    areas = _check_areas(areas, id_column)
    context = {"roads": roads, "sewers": sewers, "trees": trees, "barriers": barriers}
    items = split_inputs(areas, buildings, context, margin_m=margin_m)
    found = [i for i in items if i.area_id == area_id]
    if not found:
        raise InputError(f"study areas: no area {area_id!r}")
    return found[0]


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
_AREA_COLUMNS = (
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


def _home_areas(points: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """For each point the index (into `areas`) of the lowest-order area holding it, or -1."""
    pi, ai = shapely.STRtree(areas.geometry.values).query(points, predicate="intersects")
    rank = areas["order"].to_numpy()[ai]
    o = np.lexsort((rank, pi))
    pi, ai = pi[o], ai[o]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    home = np.full(len(points), -1)
    home[pi[first]] = ai[first]
    return home


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
    from warmtegis.national.prepare import PreparedBuildings

    ds = PreparedBuildings.open(dataset)
    panden = ds.read(tuple(shapely.total_bounds(own.geometry.values)))
    home = _home_areas(shapely.point_on_surface(panden.geometry.values), neighbours)
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


def _client(scheduler: str | None, workers: int | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return Client(cluster), cluster


def run_batch(
    areas: gpd.GeoDataFrame | None,
    buildings: Any,
    roads: gpd.GeoDataFrame | None = None,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    id_column: str | None = None,
    group_column: str | None = None,
    grid_m: float = 1000.0,
    margin_m: float = 50.0,
    parameters: Parameters | None = None,
    client=None,
    scheduler: str | None = None,
    workers: int | None = None,
    layer_dir: str | None = None,
    bundle_size: int = 16,
    drill: bool = False,
) -> BatchResult:
    """Run the stages per area on a dask cluster and gather the result.

    Parameters
    ----------
    areas
        Area polygons with an id column (``area_id`` or `id_column`); None: a square grid
        of `grid_m` over the buildings. Columns ``source_x``/``source_y`` (EPSG:28992) give
        an area a heat source: its trunk network is routed and priced.
    buildings
        Buildings read by :func:`~warmtegis.read_buildings` (held by the driver and split
        there), or a prepared folder (:func:`~warmtegis.prepare.prepare_buildings`, a path
        or :class:`~warmtegis.prepare.PreparedBuildings`): then each task reads its areas'
        panden on the worker and the driver never holds them.
    roads, sewers, trees, barriers
        Outputs of the readers, EPSG:28992; barriers (water, railways) are charged a
        drilling per crossing by routing.
    group_column
        A column of `areas` to total by (e.g. ``gemeentecode``): the result's table
        ``groups``; the table ``total`` adds up the whole input (:func:`totals`).
    margin_m
        Roads, sewers, trees and barriers within this distance of an area take part in its
        corridor check and routing.
    parameters
        :class:`~warmtegis.Parameters` (e.g. ``read_study(path).parameters``); defaults when
        None.
    client, scheduler, workers
        A ``dask.distributed.Client`` to use; else a scheduler address to connect to; else a
        ``LocalCluster`` of `workers` processes (default 2) started and closed here.
    layer_dir
        Prepared input only: where the workers write the per-area layers (GeoParquet parts;
        a folder every worker can reach). Default: a temporary folder, removed with the
        result's :meth:`BatchResult.cleanup`.
    bundle_size
        Prepared input only: areas per task (neighbours along the Hilbert curve, read
        together).
    drill
        Also run the room-to-drill stage per area (on the fallback open ground: buildings,
        roads and water given; about 60 ms per group): ``dwellings_with_room``.

    Returns
    -------
    BatchResult
        Layers ``areas`` (per-area figures: dwellings by type, eligible dwellings, groups,
        loops, euro per dwelling per insulation scenario; ``note`` says why a stage was
        skipped in an area), ``road_segments``, ``bottlenecks``, ``mini_nets`` and, for areas
        with a source, ``pipes`` (each with ``area_id``); tables ``total`` (and ``groups``).
    """
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    from warmtegis.national.prepare import PreparedBuildings, is_prepared

    t0 = time.perf_counter()
    prepared: PreparedBuildings | None = None
    if isinstance(buildings, PreparedBuildings):
        prepared = buildings
    elif isinstance(buildings, (str, os.PathLike)):
        buildings = Path(buildings)
        if not is_prepared(buildings):
            raise InputError(
                f"--buildings {buildings} is a folder but not a prepared one; write it with "
                "`warmtegis prepare` or give a buildings file"
            )
        prepared = PreparedBuildings.open(buildings)
    context = {"roads": roads, "sewers": sewers, "trees": trees, "barriers": barriers}
    if prepared is None:
        check_overlap(buildings, context)  # the whole layers, before they are cut into areas
    if areas is None:
        areas = (
            grid_areas(buildings, grid_m) if prepared is None else _prepared_grid(prepared, grid_m)
        )
    else:
        areas = _check_areas(areas, id_column, group_column)
    own, cluster = (client, None) if client is not None else _client(scheduler, workers)
    params = parameters or Parameters()  # built once, not in every area
    out = BatchResult()
    try:
        n_workers = max(1, len(own.scheduler_info().get("workers", {})))
        if prepared is None:
            items = split_inputs(
                areas, buildings, context, margin_m=margin_m, npartitions=4 * n_workers
            )
            t_split = time.perf_counter() - t0
            # the split inputs go to the workers as data, not inside the task graph
            futures = own.map(
                run_area, own.scatter(items), parameters=params, drill=drill, pure=False
            )
        else:
            import tempfile

            if layer_dir is None:
                layer_dir = tempfile.mkdtemp(prefix="warmtegis-batch-")
                out.temporary = layer_dir
            futures = _submit_bundles(
                own, prepared, areas, context, params, layer_dir, bundle_size, margin_m, drill
            )
            t_split = time.perf_counter() - t0
        results: dict[str, dict] = {}
        bar = tqdm(total=len(futures), desc="areas", unit="task", disable=not settings.progress)
        pending = as_completed(futures)
        futures.clear()  # each result is let go on the worker once the driver has it
        for fut in pending:
            res = fut.result()
            fut.release()
            for r in res if isinstance(res, list) else [res]:
                results[r["row"]["area_id"]] = r
                for name, path in r.get("parts", {}).items():
                    out.parts.setdefault(name, []).append(path)
            bar.update()
        bar.close()
    finally:
        if client is None:
            own.close()
            if cluster is not None:
                cluster.close()
    for files in out.parts.values():
        files.sort()
    ordered = [results[a] for a in areas["area_id"]]
    rows = pd.DataFrame([r["row"] for r in ordered])
    extra = ["group"] if "group" in rows else []
    rows = rows.reindex(columns=list(_AREA_COLUMNS) + extra)
    out.layers["areas"] = gpd.GeoDataFrame(rows, geometry=areas.geometry.values, crs=settings.crs)
    for name in ("road_segments", "bottlenecks", "mini_nets", "pipes"):
        parts = [r["layers"][name] for r in ordered if name in r["layers"]]
        if parts:
            out.layers[name] = gpd.GeoDataFrame(
                pd.concat(parts, ignore_index=True), crs=settings.crs
            )
    out.tables["total"] = totals(rows)
    if "group" in rows:
        out.tables["groups"] = totals(rows, "group").rename(columns={"group": group_column})
    n_buildings = prepared.count if prepared is not None else len(buildings)
    out.timings = {"split": t_split, "total": time.perf_counter() - t0}
    log(
        f"batch: {len(areas)} areas, {n_buildings} buildings in "
        f"{out.timings['total']:.1f} s (split {t_split:.1f} s)"
    )
    return out


def _prepared_grid(prepared: Any, size_m: float) -> gpd.GeoDataFrame:
    """Grid cells of `size_m` over a prepared dataset: those meeting a partition's bounds.

    The panden are not read on the driver, so a cell is kept when it meets the bounds of a
    partition (a few cells may hold no pand; they report zeros).
    """
    if size_m <= 0:
        raise InputError(f"grid size must be > 0 m, not {size_m}")
    x0, y0, x1, y1 = prepared.total_bounds()
    i0, j0 = int(np.floor(x0 / size_m)), int(np.floor(y0 / size_m))
    i1, j1 = int(np.floor(x1 / size_m)), int(np.floor(y1 / size_m))
    mi, mj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    gi, gj = mi.ravel(), mj.ravel()
    cells = shapely.box(gi * size_m, gj * size_m, (gi + 1) * size_m, (gj + 1) * size_m)
    b = prepared.bounds
    boxes = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    hit = np.unique(shapely.STRtree(boxes).query(cells, predicate="intersects")[0])
    return gpd.GeoDataFrame(
        {"area_id": [f"x{i}_y{j}" for i, j in zip(gi[hit], gj[hit], strict=True)]},
        geometry=cells[hit],
        crs=settings.crs,
    )


def _submit_bundles(
    client, prepared, areas, context, params, layer_dir, bundle_size, margin_m, drill
) -> list:
    """Cut the areas into bundles along the Hilbert curve and submit one task per bundle."""
    from warmtegis.national.prepare import NL_BOUNDS

    areas = areas.assign(order=np.arange(len(areas)))
    points = gpd.GeoSeries(shapely.point_on_surface(areas.geometry.values), crs=settings.crs)
    code = points.hilbert_distance(total_bounds=NL_BOUNDS, level=16).to_numpy()
    sequence = np.argsort(code, kind="stable")
    tree = shapely.STRtree(areas.geometry.values)
    params_future = client.scatter(params, broadcast=True)
    futures = []
    for k, start in enumerate(range(0, len(sequence), max(1, bundle_size))):
        idx = np.sort(sequence[start : start + bundle_size])
        own = areas.iloc[idx]
        box = shapely.box(*shapely.total_bounds(own.geometry.values))
        near = areas.iloc[np.sort(tree.query(box, predicate="intersects"))]
        grown = shapely.buffer(box, margin_m)
        ctx = {
            name: (frame.iloc[np.sort(frame.sindex.query(grown, predicate="intersects"))]
                   if frame is not None and len(frame) else None)
            for name, frame in context.items()
        }  # fmt: skip
        futures.append(
            client.submit(
                run_bundle, str(prepared.path), own, near[["area_id", "order", "geometry"]],
                ctx, params_future, layer_dir, k, margin_m, drill, pure=False,
            )
        )  # fmt: skip
    return futures
