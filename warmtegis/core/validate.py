"""Input validation helpers: collect every problem, raise once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from warmtegis.core.crs import to_working_crs
from warmtegis.core.errors import InputError
from warmtegis.core.plausible import check_label, repair_polygons

__all__ = ["Problems", "check_columns", "check_frame", "check_geometry", "find_column", "where"]


def where(path: Path | str, layer: str | None) -> str:
    """Describe a layer location for messages: ``"layer 'pand' in /x/bag.gpkg"``."""
    return f"layer {layer!r} in {path}" if layer else f"{path}"


class Problems:
    """Collect input problems and raise them together as one :class:`InputError`."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem."""
        self.items.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise an :class:`InputError` listing every recorded problem, if there is one."""
        if self.items:
            raise InputError(self.items)


def find_column(frame: pd.DataFrame, explicit: str | None, candidates: Sequence[str]) -> str | None:
    """Return the column to use: `explicit` if given, else the first candidate present.

    Candidates are matched exactly first, then case-insensitively. An explicit name is
    returned even when it is missing, so that the caller reports it as a missing column.
    """
    if explicit is not None:
        return explicit
    columns = list(frame.columns)
    for name in candidates:
        if name in columns:
            return name
    lower = {str(c).lower(): c for c in columns}
    for name in candidates:
        if name.lower() in lower:
            return str(lower[name.lower()])
    return None


def check_columns(
    frame: pd.DataFrame,
    required: Iterable[str],
    problems: Problems,
    location: str,
    *,
    purpose: str = "",
) -> None:
    """Record a problem for every column of `required` that `frame` lacks."""
    present = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)]
    for name in required:
        if name not in frame.columns:
            extra = f" ({purpose})" if purpose else ""
            problems.add(
                f"{location} has no column {name!r}{extra}; columns present: "
                f"{', '.join(map(str, present)) or '(none)'}"
            )


def check_geometry(
    gdf: gpd.GeoDataFrame,
    allowed: Iterable[str],
    problems: Problems,
    location: str,
    *,
    what: str,
) -> None:
    """Record a problem if `gdf` has no CRS or holds geometry types outside `allowed`."""
    if gdf.crs is None:
        problems.add(
            f"{location} has no coordinate reference system; give it in the study file's "
            'entry for this input (crs = "EPSG:28992" for RD New) or set one in the source '
            "file - warmtegis does not guess"
        )
    allowed = set(allowed)
    wrong = _wrong_types(gdf, allowed)
    if wrong:
        problems.add(
            f"{location} holds {', '.join(wrong)} geometries; {what} must be "
            f"{' or '.join(sorted(allowed))}"
        )


def _wrong_types(gdf: gpd.GeoDataFrame, allowed: Iterable[str]) -> list[str]:
    """Return the geometry types `gdf` holds outside `allowed`, sorted."""
    return sorted(set(gdf.geom_type.dropna().unique()) - set(allowed))


def check_frame(
    gdf: object,
    *,
    what: str,
    columns: Iterable[str] = (),
    geometry_types: Iterable[str] | None = None,
    hint: str = "",
) -> gpd.GeoDataFrame:
    """Check a stage function's input frame; return it in the working CRS (EPSG:28992).

    A frame in another CRS (projected or geographic) is reprojected, with a log line; a
    frame without a CRS is refused (naive coordinates are never guessed), as are missing
    columns and geometry types outside `geometry_types`, all in one :class:`InputError`.
    A frame that is not a GeoDataFrame is API misuse: :class:`TypeError`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{what} must be a geopandas.GeoDataFrame, not {type(gdf).__name__}")
    problems = Problems()
    extra = f"; {hint}" if hint else ""
    if gdf.crs is None:
        problems.add(
            f"{what} have no coordinate reference system: set it with "
            "gdf.set_crs('EPSG:28992') if the coordinates are RD metres (warmtegis does not "
            f"guess){extra}"
        )
    check_columns(gdf, columns, problems, what, purpose=hint)
    if geometry_types is not None:
        geometry_types = set(geometry_types)
        wrong = _wrong_types(gdf, geometry_types)
        if wrong:
            problems.add(
                f"{what} hold {', '.join(wrong)} geometries; expected "
                f"{' or '.join(sorted(geometry_types))}{extra}"
            )
    problems.raise_if_any()

    check_label(gdf, what)
    frame: gpd.GeoDataFrame = gdf
    if geometry_types is not None and set(geometry_types) & {"Polygon", "MultiPolygon"}:
        frame = repair_polygons(frame, what)  # self-intersections would stop GEOS later
    return to_working_crs(frame, what)
