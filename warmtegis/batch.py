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

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._errors import InputError
from ._log import log
from ._plausible import check_overlap
from .params import Parameters
from .pipeline import Inputs, run_stages

__all__ = ["AreaInputs", "BatchResult", "area_inputs", "grid_areas", "run_area", "run_batch"]

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
    """Gathered result of a batch: ``layers['areas']`` holds the per-area figures."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The per-area figures."""
        return self.layers["areas"]


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


def _check_areas(areas: gpd.GeoDataFrame, id_column: str | None) -> gpd.GeoDataFrame:
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


def run_area(item: AreaInputs, parameters: Parameters | None = None) -> dict[str, Any]:
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
        drill=False,  # room to drill is not part of batch runs yet (no terrain per area)
        tolerate=True,
        name=f"area {item.area_id}",
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
        row["dwellings"] = int(r.buildings.buildings["dwellings"].sum())
    if r.mini_nets is not None:
        m = r.mini_nets
        row |= {
            "eligible_dwellings": m.eligible_dwellings,
            "mini_nets": len(m.mini_nets),
            "mini_net_eur_per_dwelling": m.capex_per_dwelling_eur,
        }
        layers["mini_nets"] = m.mini_nets.assign(area_id=item.area_id)
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


_AREA_COLUMNS = (
    "area_id",
    "buildings",
    "dwellings",
    "eligible_dwellings",
    "mini_nets",
    "mini_net_eur_per_dwelling",
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


def _client(scheduler: str | None, workers: int | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def run_batch(
    areas: gpd.GeoDataFrame | None,
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    id_column: str | None = None,
    grid_m: float = 1000.0,
    margin_m: float = 50.0,
    parameters: Parameters | None = None,
    client=None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Run the stages per area on a dask cluster and gather the result.

    Parameters
    ----------
    areas
        Area polygons with an id column (``area_id`` or `id_column`); None: a square grid
        of `grid_m` over the buildings. Columns ``source_x``/``source_y`` (EPSG:28992) give
        an area a heat source: its trunk network is routed and priced.
    buildings, roads, sewers, trees, barriers
        Outputs of the readers (:func:`~warmtegis.read_buildings` etc.), EPSG:28992;
        barriers (water, railways) are charged a drilling per crossing by routing.
    margin_m
        Roads, sewers, trees and barriers within this distance of an area take part in its
        corridor check and routing.
    parameters
        :class:`~warmtegis.Parameters` (e.g. ``read_study(path).parameters``); defaults when
        None.
    client, scheduler, workers
        A ``dask.distributed.Client`` to use; else a scheduler address to connect to; else a
        ``LocalCluster`` of `workers` processes (default 2) started and closed here.

    Returns
    -------
    BatchResult
        Layers ``areas`` (per-area figures; ``note`` says why a stage was skipped in an
        area), ``road_segments``, ``bottlenecks``,
        ``mini_nets`` and, for areas with a source, ``pipes`` (each with ``area_id``).
    """
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    context = {"roads": roads, "sewers": sewers, "trees": trees, "barriers": barriers}
    check_overlap(buildings, context)  # the whole layers, before they are cut into areas
    areas = grid_areas(buildings, grid_m) if areas is None else _check_areas(areas, id_column)
    own, cluster = (client, None) if client is not None else _client(scheduler, workers)
    try:
        n_workers = max(1, len(own.scheduler_info().get("workers", {})))
        items = split_inputs(
            areas, buildings, context, margin_m=margin_m, npartitions=4 * n_workers
        )
        t_split = time.perf_counter() - t0
        # the split inputs go to the workers as data, not inside the task graph
        params = parameters or Parameters()  # built once, not in every area
        futures = own.map(run_area, own.scatter(items), parameters=params, pure=False)
        results: dict[str, dict] = {}
        bar = tqdm(total=len(futures), desc="areas", unit="area", disable=not settings.progress)
        for fut in as_completed(futures):
            res = fut.result()
            results[res["row"]["area_id"]] = res
            bar.update()
        bar.close()
    finally:
        if client is None:
            own.close()
            if cluster is not None:
                cluster.close()
    ordered = [results[a] for a in areas["area_id"]]
    rows = pd.DataFrame([r["row"] for r in ordered]).reindex(columns=list(_AREA_COLUMNS))
    out = BatchResult()
    out.layers["areas"] = gpd.GeoDataFrame(rows, geometry=areas.geometry.values, crs=settings.crs)
    for name in ("road_segments", "bottlenecks", "mini_nets", "pipes"):
        parts = [r["layers"][name] for r in ordered if name in r["layers"]]
        if parts:
            out.layers[name] = gpd.GeoDataFrame(
                pd.concat(parts, ignore_index=True), crs=settings.crs
            )
    out.timings = {"split": t_split, "total": time.perf_counter() - t0}
    log(
        f"batch: {len(areas)} areas, {len(buildings)} buildings in "
        f"{out.timings['total']:.1f} s (split {t_split:.1f} s)"
    )
    return out
