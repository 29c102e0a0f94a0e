"""Read Dutch base-registry layers into validated GeoDataFrames in EPSG:28992, write GeoPackages.

Every reader returns a **new** GeoDataFrame in ``settings.crs`` (EPSG:28992) that keeps all
original attributes and adds a normalised schema (below). Any other CRS is reprojected and
logged; a layer without CRS, with the wrong geometry type, without features or without a
required column raises one :class:`~warmtegis.InputError` that lists every problem and names
the file, layer and column. Null and empty geometries are dropped with a count in the log.

Normalised columns
------------------
buildings (:func:`read_buildings`)
    ``building_id`` (str; BAG ids as 16 digits), ``year_built`` (Int64), ``status`` (str),
    ``use`` (str, BAG ``gebruiksdoel``), ``n_units`` (Int64, BAG ``aantal_verblijfsobjecten``),
    ``floor_area_min_m2``/``floor_area_max_m2`` (float), ``footprint_m2`` (float),
    ``source`` (``"bag"``, ``"lvbag"``, ``"bgt"``, ``"osm"`` or ``"polygons"``).
roads (:func:`read_roads`)
    ``segment_id`` (str), ``street_name`` (str), ``road_type`` (NWB ``wegbehsrt``, BGT
    ``function`` or OSM ``highway``), ``width_m`` (float, NaN when unknown), ``node_from``,
    ``node_to`` (str junction ids; NWB ``jte_id_beg/end``, OSM node ids; missing for surfaces),
    ``source``. ``gdf.attrs["road_kind"]`` is ``"centrelines"`` or ``"surfaces"``.
sewers (:func:`read_sewers`)
    ``sewer_id`` (str), ``diameter_m`` (float, NaN when unknown).
trees (:func:`read_trees`)
    ``tree_id`` (str), ``height_class`` (str as given), ``height_min_m``, ``height_max_m``,
    ``height_m`` (float; middle of the class, or the measured height), ``crown_diameter_m``,
    ``stem_diameter_m`` (float, NaN when unknown).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ._errors import InputError
from ._log import log
from .outputs import atomic_path
from .readers._common import PathLike, _flatten_lists, list_layers, read_layer, rename_columns
from .readers.bag import (
    BAG_DROP_STATUS,
    PDOK_SHORT_NAMES,
    attach_verblijfsobjecten,
    read_addresses,
    read_buildings,
    read_verblijfsobjecten,
)
from .readers.osm import read_osm_roads
from .readers.roads import read_roads
from .readers.sewers import read_sewers, read_sufrib
from .readers.trees import parse_height_class, read_trees

__all__ = [
    "BAG_DROP_STATUS",
    "PDOK_SHORT_NAMES",
    "atomic_path",
    "attach_verblijfsobjecten",
    "list_layers",
    "parse_height_class",
    "read_addresses",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_roads",
    "read_sewers",
    "read_sufrib",
    "read_trees",
    "read_verblijfsobjecten",
    "rename_columns",
    "write_geopackage",
]


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
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"output {path} must be a GeoPackage ending in .gpkg")
    with atomic_path(path) as tmp, _sqlite_unsynced():
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame = _flatten_lists(frame)
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
                frame = _flatten_lists(gpd.read_parquet(f))
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
