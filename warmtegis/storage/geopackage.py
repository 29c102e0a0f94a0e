"""Write GeoPackages: every layer with its fixed geometry type, in one all-or-nothing file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.types import PathLike
from warmtegis.storage.atomic import atomic_path

__all__ = ["LAYER_GEOMETRY_TYPES", "flatten_lists", "write_geopackage"]


# --------------------------------------------------------------------------- writing
#: The fixed geometry type of each output layer (docs/outputs.md, polygons as Multi*): the same
#: in every run, also when the layer is empty, so QGIS projects can rely on it.
LAYER_GEOMETRY_TYPES: Mapping[str, str] = {
    "buildings": "MultiPolygon",
    "input_buildings": "MultiPolygon",
    "obstacles": "MultiPolygon",
    "free_corridors": "MultiPolygon",
    "mini_nets": "MultiPolygon",
    "areas": "MultiPolygon",
    "road_segments": "LineString",
    "bottlenecks": "LineString",
    "pipes": "LineString",
    "input_sewers": "MultiLineString",
    "input_trees": "Point",
    "boreholes": "Point",
    "mini_net_trenches": "MultiLineString",
    "manifolds": "Point",
}


def _geometry_type(name: str, frame: gpd.GeoDataFrame) -> str:
    """Return the layer's fixed type; for other layers the Multi* family it holds."""
    if name in LAYER_GEOMETRY_TYPES:
        return LAYER_GEOMETRY_TYPES[name]
    found = set(frame.geom_type.dropna().unique())
    if found == {"Point"}:
        return "Point"
    for family in ("Polygon", "LineString", "Point"):
        if found and found <= {family, f"Multi{family}"}:
            return f"Multi{family}"
    return "Unknown"


def write_geopackage(
    layers: Mapping[str, pd.DataFrame],
    path: PathLike,
    *,
    parts: Mapping[str, Sequence[PathLike]] | None = None,
) -> Path:
    """Write several layers into one GeoPackage atomically.

    All layers are written into a temporary file beside `path`, which then replaces `path`
    in one rename. A failure leaves an existing `path` untouched and no partial file. Every
    spatial layer gets a fixed geometry type (:data:`LAYER_GEOMETRY_TYPES`; polygons are
    written as MultiPolygon), also when it is empty.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer) or DataFrame (attribute table).
    path
        Output ``.gpkg`` file.
    parts
        Layer name -> GeoParquet files appended to that layer one at a time (so a layer
        larger than memory can be written: the per-area layers of a partitioned batch).

    Returns
    -------
    pathlib.Path
        The written path.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:28992")
    >>> out = write_geopackage({"points": pts, "table": pd.DataFrame({"a": [1]})},
    ...                        Path(tempfile.mkdtemp()) / "x.gpkg")
    >>> import pyogrio
    >>> sorted(name for name, _ in pyogrio.list_layers(out))
    ['points', 'table']
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"output {path} must be a GeoPackage ending in .gpkg")
    with atomic_path(path) as tmp, _sqlite_unsynced():
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame = flatten_lists(frame)
                gtype = _geometry_type(name, frame)
                single = gtype in ("LineString", "Point", "Polygon")
                if single and frame.geom_type.dropna().str.startswith("Multi").any():
                    raise ValueError(f"layer {name!r} must hold single {gtype} geometries")
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    geometry_type=gtype,
                    promote_to_multi=gtype.startswith("Multi"),
                )
            else:
                pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
        for name, files in (parts or {}).items():
            started = name in layers
            for f in files:
                frame = flatten_lists(gpd.read_parquet(f))
                if not len(frame):
                    continue
                gtype = _geometry_type(name, frame)
                pyogrio.write_dataframe(
                    frame, tmp, layer=name, driver="GPKG", geometry_type=gtype,
                    promote_to_multi=gtype.startswith("Multi"), append=started,
                )  # fmt: skip
                started = True
        _fsync(tmp)
    log(f"wrote {len(layers) + len(parts or {})} layers to {path}")
    return path


@contextlib.contextmanager
def _sqlite_unsynced() -> Iterator[None]:
    """Let GDAL's SQLite skip its fsync per layer while a GeoPackage is written.

    Every ``write_dataframe`` call opens, writes and closes the file, and SQLite syncs it
    each time: about 6 ms per layer, half the demo GeoPackage's 0.26 s. The file is a
    temporary one that replaces the output only when complete, so it is synced once, whole,
    before that (:func:`_fsync`). The previous setting is restored afterwards.
    """
    key = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: before})


def _fsync(path: Path) -> None:
    """Flush a written file to disk (before it is renamed onto an output)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """OSM attributes may hold lists after simplification; store them as ';'-joined text."""
    frame = frame.copy()
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col == geom or frame[col].dtype != object:
            continue
        if frame[col].map(lambda v: isinstance(v, list | tuple | set)).any():
            frame[col] = frame[col].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple | set) else v
            )
    return frame
