"""Plausibility checks where data enters: what cannot be right is refused or counted.

Every reader runs its layer through these checks (and :func:`check_overlap` runs on the
inputs of a study before the stages). The rules, in short (docs/inputs.md has the table):

- **Coordinates.** RD numbers under a geographic label, longitude/latitude under a
  projected label, and data outside EPSG:28992's area of use (the Netherlands, from the EPSG
  database) are errors that say which label is wrong; a few stray features outside the
  Netherlands (a tree at 0,0) are dropped and counted.
- **Extents.** Every layer must overlap the buildings; else an error naming both extents.
- **Values.** Every numeric attribute has a plausible range (:data:`RANGES`); values
  outside it become unknown (NaN) and are counted in a warning. Dutch decimal commas are
  read (``'112,5'`` is 112.5).
- **Ids.** Null and duplicate ids are made unique (``id``, ``id~2``, ...) with a warning.
- **Geometry.** Invalid polygons (self-intersecting "bowties") are repaired with GEOS
  ``make_valid``, keeping their polygonal parts, and counted.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log

__all__ = [
    "OVERLAP_TOLERANCE_M",
    "RANGES",
    "Range",
    "check_coordinates",
    "check_label",
    "check_overlap",
    "in_range",
    "nl_bounds",
    "parse_decimal",
    "repair_polygons",
    "unique_ids",
]


@dataclass(frozen=True)
class Range:
    """A plausible range of one attribute, with the reason for its bounds."""

    low: float
    high: float
    unit: str
    source: str


#: Plausible ranges of the normalised attributes. A value outside is set to unknown and
#: counted. The bounds are deliberately wide: they catch unit mix-ups and typing errors,
#: not unusual but real objects.
RANGES: Mapping[str, Range] = {
    "height_m": Range(
        0.5, 60.0, "m", "Assumption: the tallest Dutch trees are 40-50 m; 60 m leaves room"
    ),
    "crown_diameter_m": Range(0.5, 40.0, "m", "Assumption: wide old trees reach 25-30 m"),
    "stem_diameter_m": Range(0.01, 4.0, "m", "Assumption: the thickest Dutch trees ~3 m"),
    "diameter_m": Range(
        0.05,
        5.0,
        "m",
        "Assumption: house connections start at DN 100-125; the largest Dutch sewers and "
        "culverts are 3-4 m",
    ),
    "n_units": Range(
        0,
        2000,
        "verblijfsobjecten",
        "Assumption: the largest Dutch buildings hold several hundred units; 2,000 catches "
        "typing errors",
    ),
    "floor_area_m2": Range(
        0.0, 500000.0, "m2", "Assumption: BAG floor areas run up to a few 100,000 m2; 0 is none"
    ),
    "width_m": Range(0.5, 100.0, "m", "Assumption: a carriageway or street profile"),
    "year_built": Range(
        1000, 2100, "year", "LVBAG writes 9999 where the year is unknown (bundled delivery)"
    ),
}


def parse_decimal(values: pd.Series) -> pd.Series:
    """Numbers from text as Dutch files write them: ``'112,5'``, ``'1.234,5'``, ``' 5 '``.

    A comma is the decimal sign; a point before a comma is a thousands separator. Text that
    is not a number becomes NaN.

    >>> parse_decimal(pd.Series(["112,5", "1.234,5", "7", "12.5", "", None, "n.v.t."])).tolist()
    [112.5, 1234.5, 7.0, 12.5, nan, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip()
    comma = text.str.contains(",", regex=False, na=False)
    fixed = text.where(
        ~comma, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    return pd.to_numeric(fixed, errors="coerce").astype(float)


def in_range(values: pd.Series, key: str, location: str, column: str) -> pd.Series:
    """Return `values` with those outside :data:`RANGES` ``[key]`` set to NaN (counted).

    >>> in_range(pd.Series([3.0, -1.0, 500.0, None]), "height_m", "trees.gpkg", "h").tolist()
    [3.0, nan, nan, nan]
    """
    r = RANGES[key]
    num = values.astype(float)
    bad = num.notna() & ((num < r.low) | (num > r.high))
    if bad.any():
        examples = ", ".join(f"{v:g}" for v in num[bad].drop_duplicates().head(3))
        log(
            f"{location}: {int(bad.sum())} values of {column!r} lie outside the plausible "
            f"range {r.low:g}-{r.high:g} {r.unit} (e.g. {examples}) and are read as unknown; "
            "check the column's unit",
            logging.WARNING,
        )
        num = num.mask(bad)
    return num


def unique_ids(ids: pd.Series, location: str, column: str) -> pd.Series:
    """Return `ids` as unique text: nulls get ``row-N``, repeats get ``~2``, ``~3``, ...

    >>> unique_ids(pd.Series(["a", "a", None, "b", ""]), "x.gpkg", "id").tolist()
    ['a', 'a~2', 'row-2', 'b', 'row-4']
    """
    text = ids.astype("string")
    null = text.isna() | (text.str.strip() == "")
    out = text.where(~null, pd.Series([f"row-{i}" for i in range(len(ids))], index=ids.index))
    rank = out.groupby(out).cumcount()
    dup = rank > 0
    if dup.any():
        out = out.where(~dup, out + "~" + (rank + 1).astype(str))
    if null.any() or dup.any():
        log(
            f"{location}: column {column!r} has {int(null.sum())} empty and {int(dup.sum())} "
            "repeated ids; they were made unique (row-N, id~2, ...)",
            logging.WARNING,
        )
    return out.astype(str)


def repair_polygons(gdf: gpd.GeoDataFrame, location: str) -> gpd.GeoDataFrame:
    """Repair invalid polygons with ``make_valid``; keep polygonal parts; count them."""
    geoms = gdf.geometry.values
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)  # null ones are not "repaired"
    if not bad.any():
        return gdf
    fixed = shapely.make_valid(np.asarray(geoms)[bad])
    polys = np.array([_polygonal(g) for g in fixed], dtype=object)
    gone = shapely.is_empty(polys) | pd.isna(polys)
    new = np.asarray(geoms).copy()
    new[bad] = polys
    gdf = gdf.copy()
    gdf[gdf.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    if gone.any():
        gdf = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    log(
        f"{location}: repaired {int(bad.sum())} invalid polygons (self-intersections) with "
        f"make_valid; {int(gone.sum())} had no area left and were dropped",
        logging.WARNING,
    )
    return gdf


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None:
        return None
    kind = shapely.get_type_id(geom)
    if kind in (3, 6):  # Polygon, MultiPolygon
        return geom
    parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6) and g.area > 0]
    if not parts:
        return None
    return shapely.union_all(parts)


@functools.cache
def nl_bounds() -> tuple[float, float, float, float]:
    """Return the working CRS's area of use (EPSG:28992: the Netherlands) in its coordinates."""
    crs = pyproj.CRS(settings.crs)
    area = crs.area_of_use
    assert area is not None
    t = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return tuple(t.transform_bounds(*area.bounds))  # type: ignore[return-value]


def _fmt(b: np.ndarray | tuple[float, ...]) -> str:
    return f"x {b[0]:,.0f} to {b[2]:,.0f}, y {b[1]:,.0f} to {b[3]:,.0f}"


def check_label(gdf: gpd.GeoDataFrame, location: str) -> None:
    """Refuse coordinates that do not fit their CRS label (before reprojecting)."""
    if gdf.crs is None or not len(gdf):
        return
    b = gdf.total_bounds
    if not np.isfinite(b).all():
        raise InputError(f"{location}: coordinates are not finite numbers")
    lonlat = b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90
    if gdf.crs.is_geographic and not lonlat:
        hint = ""
        x0, y0, x1, y1 = nl_bounds()
        if b[0] >= x0 - 50000 and b[2] <= x1 + 50000 and b[1] >= y0 - 50000 and b[3] <= y1 + 50000:
            hint = " They look like RD New metres: relabel the layer EPSG:28992"
        raise InputError(
            f"{location}: the layer says {gdf.crs.to_string()} (degrees), but its coordinates "
            f"run {_fmt(b)}, which are not longitudes/latitudes; the CRS label is wrong."
            f"{hint} (in QGIS: Layer > Set CRS; or ogr2ogr -a_srs EPSG:28992)"
        )
    in_nl_degrees = b[0] >= 3.0 and b[2] <= 7.5 and b[1] >= 50.5 and b[3] <= 54.0
    if gdf.crs.is_projected and in_nl_degrees:
        raise InputError(
            f"{location}: the layer says {gdf.crs.to_string()} (metres), but its coordinates "
            f"run {_fmt(b)}, which look like longitudes/latitudes; the CRS label is wrong: "
            "relabel it EPSG:4326 (in QGIS: Layer > Set CRS; or ogr2ogr -a_srs EPSG:4326)"
        )


def check_coordinates(
    gdf: gpd.GeoDataFrame, location: str, original: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Refuse a layer (in EPSG:28992) that lies outside the Netherlands; drop stray features.

    `original` is the layer before reprojection, used to recognise swapped
    longitude/latitude in the message.
    """
    if not len(gdf) or not settings.within_netherlands:
        return gdf
    x0, y0, x1, y1 = nl_bounds()
    xy = shapely.bounds(gdf.geometry.values)
    inside = (xy[:, 2] >= x0) & (xy[:, 0] <= x1) & (xy[:, 3] >= y0) & (xy[:, 1] <= y1)
    inside &= np.isfinite(xy).all(axis=1)
    if inside.all():
        return gdf
    if not inside.any() or inside.mean() < 0.5:
        hint = ""
        if original is not None and original.crs is not None and original.crs.is_geographic:
            ob = original.total_bounds
            if 50 <= ob[0] <= 54 and 3 <= ob[1] <= 8:
                hint = (
                    " Longitude and latitude look swapped (x holds values around 52, y around "
                    "5): swap the coordinate columns or use the right axis order."
                )
        raise InputError(
            f"{location}: {int((~inside).sum())} of {len(gdf)} features lie outside the "
            f"Netherlands (EPSG:28992's area of use, {_fmt((x0, y0, x1, y1))}); the layer "
            f"runs {_fmt(gdf.total_bounds)}. Is the CRS label right?{hint}"
        )
    log(
        f"{location}: dropped {int((~inside).sum())} of {len(gdf)} features that lie outside "
        "the Netherlands (stray coordinates such as 0,0)",
        logging.WARNING,
    )
    return gdf[inside]


#: How far apart (m) the extents of two layers of one study may lie before they are refused as
#: different areas. Assumption: a street runs 5-30 m in front of its houses and a study's roads
#: or trees may be cut some tens of metres wider than its buildings, while two
#: Dutch towns or neighbourhoods lie a kilometre or more apart; 100 m separates the two cases.
OVERLAP_TOLERANCE_M = 100.0


def check_overlap(
    buildings: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    *,
    tolerance_m: float = OVERLAP_TOLERANCE_M,
) -> None:
    """Refuse input layers that lie away from the buildings: another area, not a neighbour.

    A layer is refused when the gap between its extent and the buildings' extent is more than
    `tolerance_m` (:data:`OVERLAP_TOLERANCE_M`): a street in front of its houses lies outside
    their extent but a street's width away, layers from another town lie kilometres away.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> houses = gpd.GeoDataFrame(geometry=[box(0, 0, 30, 9)], crs="EPSG:28992")
    >>> street = gpd.GeoDataFrame(geometry=[LineString([(0, -6), (30, -6)])], crs="EPSG:28992")
    >>> check_overlap(houses, {"roads": street})
    >>> far = gpd.GeoDataFrame(geometry=[LineString([(0, -3000), (30, -3000)])], crs="EPSG:28992")
    >>> check_overlap(houses, {"roads": far})
    Traceback (most recent call last):
    ...
    warmtegis.core.errors.InputError: the roads (roads) lie 3.0 km from the buildings ...
    """
    if buildings is None or not len(buildings):
        return
    b = buildings.total_bounds
    problems = []
    for name, frame in layers.items():
        if frame is None or not len(frame):
            continue
        f = frame.total_bounds
        gap = float(shapely.distance(shapely.box(*b), shapely.box(*f)))
        if gap > tolerance_m:
            where = frame.attrs.get("source_path", name)
            apart = f"{gap / 1000:,.1f} km" if gap >= 1000 else f"{gap:,.0f} m"
            problems.append(
                f"the {name} ({where}) lie {apart} from the buildings "
                f"({buildings.attrs.get('source_path', 'buildings')}): {name} run {_fmt(f)}, "
                f"buildings {_fmt(b)} (EPSG:28992); layers of one study may lie at most "
                f"{tolerance_m:,.0f} m apart. Are they from the same area?"
            )
    if problems:
        raise InputError(problems)
