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

import logging
import os
import time
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
from warmtegis.core.types import PathLike
from warmtegis.national.areas import check_areas, grid_areas, split_inputs
from warmtegis.national.bundles import AREA_COLUMNS, run_area, run_bundle, totals
from warmtegis.national.prepare import NL_BOUNDS, PreparedBuildings, is_prepared
from warmtegis.params.parameters import Parameters
from warmtegis.storage.geopackage import write_geopackage

__all__ = ["BatchResult", "run_batch"]


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

    def to_geopackage(self, path: PathLike) -> None:
        """Write every layer and table to `path` atomically, parts streamed one at a time."""
        write_geopackage({**self.layers, **self.tables}, path, parts=self.parts)


def _client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    from dask.distributed import Client, LocalCluster

    # dask's own INFO lines (scheduler, nanny, worker start and stop: about 34 a run) only with
    # warmtegis's --verbose; importing distributed sets its loggers' levels from its own
    # config, so they are set after the import
    chatty = logging.getLogger("warmtegis").isEnabledFor(logging.DEBUG)
    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core"):
        logging.getLogger(name).setLevel(logging.INFO if chatty else logging.WARNING)
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers or 2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.INFO if chatty else logging.WARNING,
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
    client: Any = None,
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
        there), or a prepared folder (:func:`~warmtegis.national.prepare.prepare_buildings`, a path
        or :class:`~warmtegis.national.prepare.PreparedBuildings`): then each task reads its areas'
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

    Examples
    --------
    Wageningen's buildings and NWB roads in 1 km areas, on an in-process dask cluster:

    >>> from dask.distributed import Client, LocalCluster
    >>> from warmtegis.datasets import get_path
    >>> from warmtegis.inputs import read_buildings, read_roads
    >>> b = read_buildings(get_path("wageningen/bag_pand.gpkg"))
    >>> roads = read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    >>> with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster) as client:
    ...     result = run_batch(None, b, roads, grid_m=1000, client=client)
    >>> int(result.areas["buildings"].sum()) == len(b)  # every building in exactly one area
    True
    """
    # Long function: set-up, submission and gathering around one dask client and one temporary
    # folder, released in one finally
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

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
        areas = check_areas(areas, id_column, group_column)
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
        results: dict[str, dict[str, Any]] = {}
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
    rows = rows.reindex(columns=list(AREA_COLUMNS) + extra)
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
    client: Any,
    prepared: Any,
    areas: gpd.GeoDataFrame,
    context: dict[str, Any],
    params: Parameters,
    layer_dir: str | Path,
    bundle_size: int,
    margin_m: float,
    drill: bool,
) -> list[Any]:
    """Cut the areas into bundles along the Hilbert curve and submit one task per bundle."""
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
