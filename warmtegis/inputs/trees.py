"""Trees: point layers, CSV (WKT or coordinates), OpenStreetMap ``natural=tree``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import in_range
from warmtegis.core.types import PathLike
from warmtegis.core.validate import Problems, check_columns, find_column, where
from warmtegis.inputs._common import finish_layer, id_column, read_layer, rename_columns, to_float
from warmtegis.inputs.osm import is_osm, read_osm_trees

__all__ = ["parse_height_class", "read_trees"]

_NUM = r"(\d+(?:\.\d+)?)"
_RANGE = re.compile(_NUM + r"\s*(?:m\.?)?\s*(?:tot|-|–|t/m|to)\s*" + _NUM)
_BELOW = re.compile(r"^(?:tot|<=?|≤|kleiner dan|minder dan|up to)\s*" + _NUM)
_ABOVE = re.compile(_NUM + r"\s*(?:m\.?)?\s*(?:en hoger|en meer|of meer|of hoger|\+|and more)")
_FROM = re.compile(r"^(?:vanaf|>=?|≥|groter dan|meer dan|hoger dan)\s*" + _NUM)
_PLAIN = re.compile(r"^(-?" + _NUM[1:] + r"\s*(?:m\.?|meter)?$")


def _parse_one_class(text: str) -> tuple[float, float]:
    t = text.strip().lower().replace(",", ".")
    if m := _RANGE.search(t):
        return float(m.group(1)), float(m.group(2))
    if m := _BELOW.search(t):
        return 0.0, float(m.group(1))
    if m := _ABOVE.search(t):
        return float(m.group(1)), np.nan
    if m := _FROM.search(t):
        return float(m.group(1)), np.nan
    if m := _PLAIN.search(t):
        v = float(m.group(1))
        return v, v
    return np.nan, np.nan


def parse_height_class(values: pd.Series | Sequence[Any]) -> pd.DataFrame:
    """Parse Dutch height (or diameter) classes into metres.

    ``"tot 6 m."`` -> 0-6, ``"9 tot 12 m."`` -> 9-12, ``"24 m. en hoger"`` -> 24-NaN,
    ``"12.5"`` or ``12.5`` -> 12.5-12.5, ``"Onbekend"`` or empty -> NaN.

    Parameters
    ----------
    values
        Class labels or numbers.

    Returns
    -------
    pandas.DataFrame
        Columns ``lower``, ``upper`` and ``middle`` in metres, same index as `values`.
        ``middle`` is the midpoint, or the lower bound of an open-ended top class.

    Examples
    --------
    >>> parse_height_class(["6 tot 9 m.", "24 m. en hoger", None]).values.tolist()
    [[6.0, 9.0, 7.5], [24.0, nan, 24.0], [nan, nan, nan]]
    """
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_numeric_dtype(series):
        num = series.astype(float)
        return pd.DataFrame({"lower": num, "upper": num, "middle": num}, index=series.index)
    text = series.astype("string")
    uniques = text.dropna().unique()
    table = {u: _parse_one_class(str(u)) for u in uniques}
    lower = text.map(lambda v: table[v][0] if pd.notna(v) else np.nan).astype(float)
    upper = text.map(lambda v: table[v][1] if pd.notna(v) else np.nan).astype(float)
    middle = ((lower + upper) / 2).where(upper.notna(), lower)
    return pd.DataFrame({"lower": lower, "upper": upper, "middle": middle}, index=series.index)


def _read_points_csv(
    path: Path,
    *,
    crs: str | None,
    x_column: str | None,
    y_column: str | None,
    wkt_column: str | None,
) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(path, sep=None, engine="python")
    except Exception as exc:
        raise InputError(f"cannot read {path} as CSV: {exc}") from exc
    if len(frame) == 0:
        raise InputError(f"{path} is empty: it holds no rows (tree points expected)")
    wkt = find_column(frame, wkt_column, ("wkt", "geometry", "geom", "the_geom", "wkt_geom"))
    lon = find_column(frame, x_column, ("lon", "lng", "longitude", "x", "rd_x", "x_rd"))
    lat = find_column(frame, y_column, ("lat", "latitude", "y", "rd_y", "y_rd"))
    problems = Problems()
    for name, given in ((wkt_column, wkt), (x_column, lon), (y_column, lat)):
        if name is not None and given is not None:
            check_columns(frame, [given], problems, str(path))
    problems.raise_if_any()
    if wkt is not None and wkt in frame.columns:
        text = frame[wkt].astype("string").str.replace(r"^SRID=\d+;", "", regex=True)
        try:
            geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise InputError(f"{path}: column {wkt!r} does not hold valid WKT: {exc}") from exc
        if crs is None:
            srid = frame[wkt].astype("string").str.extract(r"^SRID=(\d+);")[0].dropna()
            crs = f"EPSG:{srid.iloc[0]}" if len(srid) else None
        gdf = gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=geoms, crs=crs)
    elif lon is not None and lat is not None:
        xs, ys = to_float(frame[lon]), to_float(frame[lat])
        if crs is None and xs.abs().max() <= 180 and ys.abs().max() <= 90:
            crs = "EPSG:4326"
            log(f"{path}: coordinates in {lon!r}/{lat!r} read as longitude/latitude (EPSG:4326)")
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=crs)
    else:
        present = ", ".join(map(str, frame.columns))
        raise InputError(
            f"{path} has no coordinates: expected a WKT column (wkt, geometry) or a pair of "
            f"coordinate columns (lon/lat, x/y); columns present: {present}"
        )
    gdf.attrs["source_path"] = str(path)
    return finish_layer(gdf, str(path), ("Point",), "tree points", Problems())


_UNKNOWN_WORDS = ("", "onbekend", "unknown", "nvt", "n.v.t.", "-", "?")


def _count_unread(raw: pd.Series, parsed: pd.Series, location: str, column: str, what: str) -> None:
    """Warn about filled values that could not be read as numbers or classes."""
    text = raw.astype("string").str.strip().str.lower()
    unread = raw.notna() & parsed.isna() & ~text.isin(_UNKNOWN_WORDS).fillna(True)
    if unread.any():
        examples = ", ".join(repr(v) for v in raw[unread].astype(str).unique()[:3])
        log(
            f"{location}: {int(unread.sum())} values of {column!r} could not be read as "
            f"{what} (e.g. {examples}) and are unknown",
            logging.WARNING,
        )


def read_trees(
    path: PathLike,
    *,
    layer: str | None = None,
    height_column: str | None = None,
    crown_column: str | None = None,
    stem_column: str | None = None,
    crs: str | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    wkt_column: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read tree points from a vector layer, a CSV (WKT or coordinates) or OSM (XML or PBF).

    From OpenStreetMap only nodes tagged ``natural=tree`` are trees (their ``height`` tag
    is the height). Heights, crown and stem diameters outside plausible ranges are read as
    unknown and counted in a warning.

    Parameters
    ----------
    path
        Point layer (GeoPackage, GML, ...) or CSV file.
    layer
        Layer name; optional for single-layer files or layers called ``boom``/``bomen``.
    height_column
        Height class or height in metres. Default: the first of ``Boomhoogte,
        boomhoogteklasse, hoogteklasse, boomhoogte, hoogte, height_m, height``.
    crown_column
        Crown diameter in metres (number or class). Default: ``kroondiameter,
        crown_diameter_m, crown_diameter, kroonbreedte, kroondiameterklasse``.
    stem_column
        Stem diameter (number or class; values with a median above 3 are read as cm).
        Default: ``stamdiameter, stem_diameter_m, stem_diameter, stamdiameterklasse, dbh``.
    crs
        CRS of a CSV's coordinates when not longitude/latitude or EWKT.
    x_column, y_column, wkt_column
        Coordinate columns of a CSV, when not found by their usual names.
    columns
        ``{name warmtegis looks for: column in the file}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Tree points in EPSG:28992 with the normalised tree columns (see module docs).

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> t = read_trees(get_path("amsterdam/bomen_sarphati.gpkg"))
    >>> ordered = t["height_max_m"].isna() | (t["height_min_m"] <= t["height_max_m"])
    >>> t.crs.to_epsg(), bool(ordered.all())
    (28992, True)
    """
    # Long function: one reader for point layers, CSV and OSM trees, whose branches end in the same
    # column guesses and plausibility checks
    path = Path(path)
    explicit = [c for c in (height_column, crown_column, stem_column) if c is not None]
    if is_osm(path):
        gdf = rename_columns(read_osm_trees(path), columns, str(path))
        location = str(path)
        problems = Problems()
        check_columns(gdf, explicit, problems, location)
        problems.raise_if_any()
    elif path.suffix.lower() in (".csv", ".txt"):
        gdf = _read_points_csv(
            path, crs=crs, x_column=x_column, y_column=y_column, wkt_column=wkt_column
        )
        gdf = rename_columns(gdf, columns, str(path))
        location = str(path)
        problems = Problems()
        check_columns(gdf, explicit, problems, location)
        problems.raise_if_any()
    else:
        gdf = read_layer(
            path,
            layer,
            geometry_types=("Point", "MultiPoint"),
            required_columns=explicit,
            preferred_layers=("boom", "bomen", "trees"),
            what="tree points",
            columns=columns,
        )
        location = where(path, gdf.attrs.get("source_layer"))
        if (gdf.geom_type == "MultiPoint").any():
            raise InputError(f"{location} holds multi-part points; one point per tree expected")
    hcol = find_column(
        gdf,
        height_column,
        (
            "Boomhoogte",
            "boomhoogteklasse",
            "hoogteklasse",
            "boomhoogte",
            "hoogte",
            "height_m",
            "height",
        ),
    )
    ccol = find_column(
        gdf,
        crown_column,
        (
            "kroondiameter",
            "crown_diameter_m",
            "crown_diameter",
            "kroonbreedte",
            "kroondiameterklasse",
        ),
    )
    scol = find_column(
        gdf,
        stem_column,
        ("stamdiameter", "stem_diameter_m", "stem_diameter", "stamdiameterklasse", "dbh"),
    )
    out = gdf.copy()
    out["tree_id"] = id_column(
        gdf, ("tree_id", "OBJECTNUMMER", "boomnummer", "lokaalID", "gml_id", "id"), location
    )
    if hcol is not None:
        h = parse_height_class(gdf[hcol])
        _count_unread(gdf[hcol], h["middle"], location, hcol, "a height")
        out["height_class"] = gdf[hcol].astype("string")
        middle = in_range(h["middle"], "height_m", location, hcol)
        gone = middle.isna() & h["middle"].notna()
        out["height_min_m"], out["height_max_m"], out["height_m"] = (
            h["lower"].mask(gone),
            h["upper"].mask(gone),
            middle,
        )
    else:
        out["height_class"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
        out["height_min_m"] = out["height_max_m"] = out["height_m"] = np.nan
    out["crown_diameter_m"] = (
        in_range(parse_height_class(gdf[ccol])["middle"], "crown_diameter_m", location, ccol)
        if ccol
        else np.nan
    )
    if scol is not None:
        stem = parse_height_class(gdf[scol])["middle"]
        if stem.median() > 3:
            stem = stem / 100.0
            log(f"{location}: stem diameter in {scol!r} read as cm")
        out["stem_diameter_m"] = in_range(stem, "stem_diameter_m", location, scol)
    else:
        out["stem_diameter_m"] = np.nan
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    known = int(out["height_m"].notna().sum())
    log(
        f"trees: {len(out)} points, {known} with a height, "
        f"{int(out['crown_diameter_m'].notna().sum())} with a crown diameter"
    )
    return out
