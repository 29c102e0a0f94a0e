"""Buildings as spatially partitioned GeoParquet, for batches that never hold them whole.

:func:`prepare_buildings` reads a BAG (and its verblijfsobjecten) in any supported format with
:func:`~warmtegis.read_buildings`, sorts the panden along a Hilbert curve over the extent of
the Netherlands and writes them in partitions of ``partition_size`` panden (GeoParquet 1.1
with a bounding-box covering column, row groups of ``row_group_size``), plus a small
``_warmtegis.json`` listing every partition with its count and bounds. Neighbouring panden
land in the same partition and row group, so a reader that asks for one buurt's bounding box
(:meth:`PreparedBuildings.read`) opens only the partitions whose bounds meet it and, inside
them, only the row groups whose covering boxes do (pyarrow's statistics filter).

``warmtegis batch`` accepts such a folder as ``--buildings``: each dask task reads its own
areas' panden on the worker, and the driver holds only the areas and the per-area results
(:mod:`warmtegis.national.batch`).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.version import __version__
from warmtegis.inputs.bag import read_buildings, read_verblijfsobjecten
from warmtegis.storage.atomic import atomic_dir

__all__ = ["NL_BOUNDS", "PreparedBuildings", "is_prepared", "prepare_buildings"]

#: The Hilbert curve's extent: EPSG:28992's area of use over the Netherlands (m), fixed so
#: codes of different inputs are comparable.
NL_BOUNDS = (-8000.0, 280000.0, 300000.0, 630000.0)
_META = "_warmtegis.json"
_FORMAT = "warmtegis-prepared-buildings"
#: Columns kept: the readers' normalised schema (docs/inputs.md), and a given demand.
_KEEP = (
    "building_id", "year_built", "status", "use", "n_units", "n_dwelling_units",
    "floor_area_min_m2",
    "floor_area_max_m2", "footprint_m2", "source", "heat_demand_gj",
)  # fmt: skip


def is_prepared(path: str | Path) -> bool:
    """Tell whether `path` is a folder written by :func:`prepare_buildings`."""
    return Path(path).is_dir() and (Path(path) / _META).exists()


@dataclass
class PreparedBuildings:
    """A prepared (partitioned GeoParquet) buildings dataset: its partitions and their bounds.

    Attributes
    ----------
    path : pathlib.Path
    files : list of str
        Partition file names, in Hilbert order.
    bounds : numpy.ndarray
        Shape (k, 4): each partition's (xmin, ymin, xmax, ymax).
    counts : numpy.ndarray
        Panden per partition.
    """

    path: Path
    files: list[str]
    bounds: np.ndarray
    counts: np.ndarray

    @classmethod
    def open(cls, path: str | Path) -> PreparedBuildings:
        """Read a prepared folder's metadata (not its panden)."""
        path = Path(path)
        meta_path = path / _META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                f"{path} is not a prepared buildings folder (no {_META}); write one with "
                "`warmtegis prepare BAG --out DIR`"
            ) from exc
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{meta_path} cannot be read ({exc}); prepare the folder again"
            ) from exc
        if meta.get("format") != _FORMAT:
            raise InputError(f"{meta_path} is not a warmtegis prepared-buildings file")
        parts = meta["partitions"]
        missing = [p["file"] for p in parts if not (path / p["file"]).exists()]
        if missing:
            raise InputError(
                f"{path}: partition file(s) {', '.join(missing[:3])} missing; prepare the "
                "folder again"
            )
        return cls(
            path=path,
            files=[p["file"] for p in parts],
            bounds=np.asarray([p["bounds"] for p in parts], dtype=float).reshape(-1, 4),
            counts=np.asarray([p["count"] for p in parts], dtype=int),
        )

    @property
    def count(self) -> int:
        """Return the number of panden in the dataset."""
        return int(self.counts.sum())

    def total_bounds(self) -> tuple[float, float, float, float]:
        """Return the bounds of all partitions."""
        b = self.bounds
        return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())

    def partitions_meeting(self, bounds: tuple[float, float, float, float]) -> np.ndarray:
        """Return the indices of the partitions whose bounds meet `bounds`."""
        x0, y0, x1, y1 = bounds
        b = self.bounds
        return np.flatnonzero((b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0))

    def read(self, bounds: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
        """Read the panden whose bounding box meets `bounds` (all when None), EPSG:28992.

        In the input's order (column ``input_order``).
        """
        idx = np.arange(len(self.files)) if bounds is None else self.partitions_meeting(bounds)
        parts = [gpd.read_parquet(self.path / self.files[i], bbox=bounds) for i in idx]
        parts = [p for p in parts if len(p)]
        if not parts:
            empty = gpd.read_parquet(self.path / self.files[0]).iloc[:0] if self.files else None
            return empty if empty is not None else gpd.GeoDataFrame(geometry=[], crs=settings.crs)
        out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
        if "bbox" in out:
            out = out.drop(columns="bbox")
        return out.sort_values("input_order", kind="stable").reset_index(drop=True)


def prepare_buildings(
    buildings: gpd.GeoDataFrame | str | Path,
    out_dir: str | Path,
    *,
    layer: str | None = None,
    verblijfsobjecten: str | Path | None = None,
    vbo_layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    vbo_columns: Mapping[str, str] | None = None,
    partition_size: int = 100_000,
    row_group_size: int = 5_000,
) -> PreparedBuildings:
    """Write buildings as Hilbert-sorted, partitioned GeoParquet into `out_dir`.

    Parameters
    ----------
    buildings
        A path any reader of :func:`~warmtegis.read_buildings` takes (GeoPackage, LVBAG zip,
        shapefile, OSM), or buildings already read.
    out_dir
        The folder; written under a temporary name and swapped in whole.
    layer, verblijfsobjecten, vbo_layer
        As :func:`~warmtegis.read_buildings` (the verblijfsobjecten give each pand its units,
        uses and floor area; they are attached before writing, so the partitions hold the
        counts, not the units).
    columns, vbo_columns
        The names warmtegis looks for -> the file's own column names, for the buildings and
        the verblijfsobjecten (as ``columns = {...}`` in a study file).
    partition_size
        Panden per partition file.
    row_group_size
        Panden per Parquet row group (the unit a bounding-box read skips or reads).

    Returns
    -------
    PreparedBuildings
    """
    if partition_size < 1 or row_group_size < 1:
        raise InputError("partition_size and row_group_size must be at least 1")
    source = ""
    if not isinstance(buildings, gpd.GeoDataFrame):
        source = str(buildings)
        vbo = (
            read_verblijfsobjecten(verblijfsobjecten, layer=vbo_layer, columns=vbo_columns)
            if verblijfsobjecten is not None
            else None
        )
        buildings = read_buildings(buildings, layer=layer, verblijfsobjecten=vbo, columns=columns)
    if not len(buildings):
        raise InputError("prepare: the buildings layer holds no panden")
    frame = buildings[[c for c in _KEEP if c in buildings] + [buildings.geometry.name]]
    frame = gpd.GeoDataFrame(frame, geometry=buildings.geometry.name, crs=buildings.crs)
    frame = frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame
    # the input's own order, so a reader can give an area its panden in that order (the
    # stages number blocks and groups in input order: the same ids as from the file itself)
    frame = frame.assign(input_order=np.arange(len(frame), dtype=np.int64))
    code = frame.geometry.hilbert_distance(total_bounds=NL_BOUNDS, level=16).to_numpy()
    frame = frame.iloc[np.argsort(code, kind="stable")].reset_index(drop=True)
    n_parts = max(1, math.ceil(len(frame) / partition_size))
    edges = np.linspace(0, len(frame), n_parts + 1).astype(int)
    parts = []
    with atomic_dir(out_dir) as tmp:
        for k, (a, b) in enumerate(itertools.pairwise(edges)):
            chunk = frame.iloc[a:b]
            name = f"part-{k:05d}.parquet"
            chunk.to_parquet(
                tmp / name, index=False, write_covering_bbox=True, row_group_size=row_group_size
            )
            parts.append(
                {"file": name, "count": int(b - a),
                 "bounds": [float(v) for v in shapely.total_bounds(chunk.geometry.values)]}
            )  # fmt: skip
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "version": 1,
            "warmtegis": __version__,
            "crs": settings.crs,
            "count": len(frame),
            "source": source,
            "partition_size": partition_size,
            "row_group_size": row_group_size,
            "partitions": parts,
        }
        (tmp / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log(f"prepare: {len(frame)} panden in {len(parts)} partition(s) written to {out_dir}")
    return PreparedBuildings.open(out_dir)
