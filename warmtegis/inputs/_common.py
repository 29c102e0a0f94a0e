"""What every reader shares: choosing and reading a layer, checking it, ids and numbers."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from warmtegis.core.crs import to_working_crs
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import (
    check_coordinates,
    check_label,
    parse_decimal,
    repair_polygons,
    unique_ids,
)
from warmtegis.core.types import PathLike
from warmtegis.core.validate import Problems, check_columns, check_geometry, find_column, where

__all__ = [
    "choose_layer",
    "finish_layer",
    "gdal_path",
    "id_column",
    "is_vsi",
    "list_layers",
    "place_and_repair",
    "read_layer",
    "rename_columns",
    "to_float",
    "to_int",
    "to_str_ids",
]

_UNREADABLE_HINT = (
    "check that it is a complete GeoPackage, shapefile (with .shx and .dbf), GML, LVBAG XML "
    "or a zip of them; re-export it from the source if it was cut off"
)

POLYGONS = ("Polygon", "MultiPolygon")
LINES = ("LineString", "MultiLineString")


# --------------------------------------------------------------------------- generic reading
def list_layers(path: PathLike) -> list[str]:
    """Return the names of the layers in a vector file.

    Raises
    ------
    InputError
        If the file does not exist or GDAL cannot read it.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> list_layers(get_path("otterlo/bgt_terrein.gpkg"))
    ['begroeidterreindeel', 'onbegroeidterreindeel']
    """
    path = gdal_path(path)
    if not is_vsi(path) and not path.exists():
        raise InputError(f"file not found: {path}; check the path and the file name")
    if not is_vsi(path) and not os.access(path, os.R_OK):
        raise InputError(
            f"cannot read {path}: permission denied; make it readable (chmod u+r) or copy it "
            "to a folder of yours"
        )
    try:
        return [str(name) for name, _ in pyogrio.list_layers(str(path))]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(
            f"cannot read {path} as a vector data set ({exc}); {_UNREADABLE_HINT}"
        ) from exc


def choose_layer(path: Path, layer: str | None, preferred: Sequence[str], what: str) -> str:
    layers = list_layers(path)
    if layer is not None:
        if layer not in layers:
            raise InputError(
                f"{path} has no layer {layer!r} ({what}); layers in the file: {', '.join(layers)}"
            )
        return layer
    if len(layers) == 1:
        return layers[0]
    for name in preferred:
        if name in layers:
            return name
    raise InputError(
        f"{path} holds {len(layers)} layers; say which one holds the {what} "
        f"(layer=...); layers in the file: {', '.join(layers)}"
    )


def is_vsi(path: PathLike) -> bool:
    return str(path).startswith("/vsi")


_VSI_ARCHIVE = re.compile(
    r"^(/vsi(?:zip|tar|gzip)/)(?!\{)(/?)(.+?\.(?:zip|tar\.gz|tgz|tar|gz))(/.*)?$", re.IGNORECASE
)


def gdal_path(path: PathLike) -> Path:
    """`path` in a form that survives :class:`pathlib.Path` and that GDAL opens.

    GDAL writes an archive's absolute path after ``/vsizip/`` with a double slash
    (``/vsizip//data/bag.zip/pand.xml``); pathlib folds that to one, which GDAL reads as a
    relative path. The archive is put in braces instead (``/vsizip/{/data/bag.zip}/pand.xml``),
    also when the slash was already folded away, and a missing archive is an error here.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> z = get_path("lvbag/BAGNLDL-15092020-small.zip")
    >>> str(gdal_path(f"/vsizip/{z}/9999PND15092020.zip")) == f"/vsizip/{{{z}}}/9999PND15092020.zip"
    True
    """
    text = str(path)
    m = _VSI_ARCHIVE.match(text)
    if m is None:
        return Path(text)
    prefix, slash, archive, rest = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    file = Path("/" + archive) if slash else Path(archive)
    if not slash and not file.exists() and Path("/" + archive).exists():
        file = Path("/" + archive)  # the double slash folded by pathlib
    if not file.exists():
        raise InputError(f"file not found: {file} (in the GDAL path {text}); check the path")
    return Path(f"{prefix}{{{file.resolve()}}}{rest}")


def _single_parts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn one-part multi-geometries into their single part (vectorised)."""
    geoms = gdf.geometry.values
    multi = shapely.get_type_id(geoms) >= 4
    one = multi & (shapely.get_num_geometries(geoms) == 1)
    if one.any():
        gdf = gdf.copy()
        new = np.asarray(geoms).copy()
        new[one] = shapely.get_geometry(new[one], 0)
        gdf[gdf.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    return gdf


def finish_layer(
    gdf: gpd.GeoDataFrame,
    location: str,
    allowed: Iterable[str],
    what: str,
    problems: Problems,
) -> gpd.GeoDataFrame:
    """Drop null/empty geometries, check types and CRS, reproject. Raises on problems."""
    if len(gdf) == 0:
        problems.add(f"{location} is empty: it holds no features ({what} expected)")
        problems.raise_if_any()
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.all():
        problems.add(f"{location} has no geometries: all {len(gdf)} features are null or empty")
        problems.raise_if_any()
    if bad.any():
        log(
            f"{location}: dropped {int(bad.sum())} features with null or empty geometry",
            logging.WARNING,
        )
        gdf = gdf.loc[~bad]
    check_geometry(gdf, allowed, problems, location, what=what)
    problems.raise_if_any()
    check_label(gdf, location)
    original = gdf
    gdf = to_working_crs(gdf, location)
    return place_and_repair(gdf, location, allowed, original)


def place_and_repair(
    gdf: gpd.GeoDataFrame,
    location: str,
    allowed: Iterable[str],
    original: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Refuse or trim features outside the Netherlands; repair polygons of polygon layers."""
    gdf = check_coordinates(gdf, location, original)
    if set(allowed) & set(POLYGONS):
        gdf = repair_polygons(gdf, location)
    return gdf


def read_layer(
    path: PathLike,
    layer: str | None = None,
    *,
    geometry_types: Iterable[str] = POLYGONS + LINES + ("Point", "MultiPoint"),
    required_columns: Iterable[str] = (),
    preferred_layers: Sequence[str] = (),
    what: str = "features",
    columns: Mapping[str, str] | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer, validate it and reproject it to EPSG:28992.

    Parameters
    ----------
    path
        A GeoPackage, GML, shapefile or any other file GDAL reads.
    layer
        Layer name. Optional when the file has one layer or one of `preferred_layers`.
    geometry_types
        Allowed geometry types, e.g. ``("Polygon", "MultiPolygon")``.
    required_columns
        Columns that must be present.
    preferred_layers
        Layer names tried in order when `layer` is not given and the file has several.
    what
        What the layer should hold, for messages ("buildings", "sewer lines").
    columns
        Column names to use: ``{name warmtegis looks for: name in the file}``, e.g.
        ``{"identificatie": "pand_id"}``; the file's column is renamed before anything else.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:28992 without null or empty geometries; one-part
        multi-geometries are turned into single ones.

    Raises
    ------
    InputError
        Listing every problem: unreadable file, unknown layer (with the layers that exist),
        empty layer, no CRS, wrong geometry type, missing column.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> water = read_layer(get_path("otterlo/bgt_waterdeel.gpkg"), geometry_types=("Polygon",
    ...                    "MultiPolygon"), what="water")
    >>> water.crs.to_epsg(), len(water) > 0
    (28992, True)
    """
    path = gdal_path(path)
    name = choose_layer(path, layer, preferred_layers, what)
    location = where(path, name)
    try:
        gdf = gpd.read_file(str(path), layer=name, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read {location} ({exc}); {_UNREADABLE_HINT}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(f"{location} has no geometry column ({what} expected)")
    if path.suffix.lower() == ".shp" and not any(
        path.with_suffix(ext).exists() for ext in (".dbf", ".DBF")
    ):
        log(
            f"{path}: the shapefile has no .dbf beside it, so its features have no "
            "attributes; copy the .dbf along to use them",
            logging.WARNING,
        )
    gdf = _assign_crs(gdf, crs, location)
    gdf = rename_columns(gdf, columns, location)
    problems = Problems()
    check_columns(gdf, required_columns, problems, location)
    gdf = finish_layer(gdf, location, geometry_types, what, problems)
    gdf = _single_parts(gdf)
    gdf.attrs["source_path"] = str(path)
    gdf.attrs["source_layer"] = name
    log(f"read {len(gdf)} {what} from {location}")
    return gdf


def _assign_crs(gdf: gpd.GeoDataFrame, crs: str | None, location: str) -> gpd.GeoDataFrame:
    """Give a layer without a CRS label the study's ``crs = ...``; a labelled one keeps its own."""
    if crs is None:
        return gdf
    try:
        given = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(
            f"{location}: crs = {crs!r} is not a CRS ({exc}); e.g. EPSG:28992"
        ) from exc
    if gdf.crs is None:
        log(f"{location}: no CRS in the file; read as {crs} (crs = ... in the study)")
        return gdf.set_crs(given)
    if not gdf.crs.equals(given):
        log(
            f"{location}: the file says its CRS is {gdf.crs.to_string()}; crs = {crs!r} is not "
            "used (it only labels files without a CRS). Fix the file's label if it is wrong",
            logging.WARNING,
        )
    return gdf


def rename_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | None, location: str
) -> pd.DataFrame:
    """Rename the file's columns to the names warmtegis looks for (a reader's `columns`).

    Raises
    ------
    InputError
        When a named file column does not exist.
    """
    if not columns:
        return frame
    if not isinstance(columns, Mapping):
        raise InputError(
            f"{location}: columns must map the name warmtegis looks for to the file's column, "
            f'e.g. {{"identificatie": "pand_id"}}, not {columns!r}'
        )
    missing = [f"{c!r} (for {k!r})" for k, c in columns.items() if c not in frame.columns]
    if missing:
        present = ", ".join(map(str, frame.columns))
        raise InputError(
            f"{location} has no column {', '.join(missing)} named in columns = {{...}}; "
            f"columns present: {present}"
        )
    renamed = {c: k for k, c in columns.items() if c != k}
    clash = [k for c, k in renamed.items() if k in frame.columns and k not in renamed]
    frame = frame.drop(columns=clash).rename(columns=renamed)
    log(f"{location}: columns " + ", ".join(f"{c!r} read as {k!r}" for c, k in renamed.items()))
    return frame


def to_str_ids(values: pd.Series) -> pd.Series:
    """Return ids as strings; floats that are whole numbers lose their '.0'."""
    if pd.api.types.is_float_dtype(values):
        out = values.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    else:
        out = values.astype("string").fillna("")
    return out.astype(str)


def id_column(frame: pd.DataFrame, candidates: Sequence[str], location: str = "") -> pd.Series:
    """Return unique string ids from the first candidate column present, else row numbers.

    Null and repeated ids are made unique with a warning (:func:`unique_ids`).
    """
    col = find_column(frame, None, candidates)
    if col is not None:
        return unique_ids(to_str_ids(frame[col]), location or "input", col)
    return pd.Series(np.arange(len(frame)), index=frame.index).astype(str)


def to_int(values: pd.Series) -> pd.Series:
    return parse_decimal(values).round().astype("Int64")


def to_float(
    values: pd.Series, location: str | None = None, column: str | None = None
) -> pd.Series:
    """Numbers from a column; Dutch decimal commas are read (``'112,5'`` -> 112.5).

    With `location` and `column`, text that is not a number (``'onbekend'``, ``'n.v.t.'``)
    is counted in a warning that names the column and a few of the values; it is unknown.

    Examples
    --------
    >>> to_float(pd.Series(["112,5", "onbekend", "1930", None]), "pand.gpkg", "bouwjaar").tolist()
    [112.5, nan, 1930.0, nan]
    """
    out = parse_decimal(values)
    if location is not None and not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip()
        bad = out.isna() & text.notna() & (text != "") & (text.str.lower() != "nan")
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].drop_duplicates().head(3))
            log(
                f"{location}: {int(bad.sum())} of {len(values)} values in column {column!r} "
                f"are not numbers (e.g. {examples}); they are read as unknown",
                logging.WARNING,
            )
    return out
