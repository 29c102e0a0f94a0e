"""The working coordinate reference system: one rule for every frame that enters warmtegis.

Every reader and every stage entry passes its frames through :func:`to_working_crs`, so a layer
is reprojected (or relabelled) the same way wherever it comes in: a frame already in
``settings.crs`` is returned as it is; a frame whose CRS *is* the working one under another
label (a WKT of RD New without its EPSG code, recognised by pyproj with at least 70 %
confidence) is relabelled without moving a coordinate; any other CRS is reprojected, with a
log line, and coordinates that become infinite (a label that does not fit the coordinates) are
an :class:`~warmtegis.core.errors.InputError`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log

__all__ = ["is_working_crs", "to_working_crs"]


def is_working_crs(crs: object) -> bool:
    """Tell whether `crs` is the working CRS (``settings.crs``), under whatever label.

    Examples
    --------
    >>> is_working_crs("EPSG:28992"), is_working_crs(pyproj.CRS("EPSG:28992").to_wkt())
    (True, True)
    >>> is_working_crs("EPSG:4326"), is_working_crs(None)
    (False, False)
    """
    if crs is None:
        return False
    target = pyproj.CRS(settings.crs)
    given = pyproj.CRS(crs)
    return bool(given.equals(target) or given.to_epsg(min_confidence=70) == target.to_epsg())


def to_working_crs(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Return `gdf` in the working CRS: as it is, relabelled, or reprojected (logged).

    `gdf` must have a CRS (the callers refuse a frame without one, with its own message);
    `what` names the layer in the log and in the error.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> wgs84 = gpd.GeoDataFrame(geometry=[Point(5.387, 52.155)], crs="EPSG:4326")  # Amersfoort
    >>> rd = to_working_crs(wgs84, "a point in Amersfoort")
    >>> rd.crs.to_epsg(), [round(v, -3) for v in rd.geometry.iloc[0].coords[0]]
    (28992, [155000.0, 463000.0])
    """
    target = pyproj.CRS(settings.crs)
    if gdf.crs is None:
        raise InputError(f"{what} have no coordinate reference system")
    if gdf.crs.equals(target):
        return gdf
    if is_working_crs(gdf.crs):
        return gdf.set_crs(target, allow_override=True)
    log(f"{what}: reprojecting {len(gdf)} features from {gdf.crs.to_string()} to {settings.crs}")
    out = gdf.to_crs(target)
    if len(out) and not np.isfinite(out.total_bounds).all():
        raise InputError(
            f"{what}: reprojecting from {gdf.crs.to_string()} to {settings.crs} gave "
            "infinite coordinates; the CRS label does not match the coordinates"
        )
    return out
