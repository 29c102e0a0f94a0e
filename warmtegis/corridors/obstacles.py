"""Obstacle zones under the street: sewers and tree root zones, grown by their clearances.

A sewer's zone is the pipe grown by half its diameter (0 when unknown) plus a clearance; a
tree's is its crown projection plus a root margin ("kwetsbare boomzone", Handboek Bomen), the
crown from a crown-diameter column, else from the height class by the measured Amsterdam table
(:data:`CROWN_DIAMETER_BY_HEIGHT`), else an assumed radius. :func:`buffer_obstacles` is the one
rule, with its distances as explicit arguments: the trench corridors and the drilling
exclusion zones both call it.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.crs import to_working_crs
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.params.street import CorridorParams

__all__ = [
    "CROWN_DIAMETER_BY_HEIGHT",
    "buffer_obstacles",
    "corridor_obstacles",
    "crown_diameter_from_height",
    "empty_layer",
    "obstacle_zones",
]


#: Median crown diameter (m) by height class (upper bounds in m), measured on 6,671
#: Amsterdam street trees (docs/method.md §1): <=6, 6-9, 9-12, 12-15, 15-18, 18-24, >24 m.
CROWN_DIAMETER_BY_HEIGHT: tuple[tuple[float, float], ...] = (
    (6.0, 2.0),
    (9.0, 5.1),
    (12.0, 7.3),
    (15.0, 8.0),
    (18.0, 8.9),
    (24.0, 10.9),
    (np.inf, 10.5),
)


# --------------------------------------------------------------------------- obstacles
def crown_diameter_from_height(height_m: np.ndarray | pd.Series) -> np.ndarray:
    """Median crown diameter (m) for tree heights (m) by the measured table of docs/method.md §1.

    Heights on a class boundary belong to the lower class (6 m -> "<=6"); NaN stays NaN.

    Examples
    --------
    The measured Amsterdam medians per height class (a height on a class boundary belongs to
    the lower class):

    >>> crown_diameter_from_height(np.array([5.0, 6.0, 10.0, 30.0, np.nan])).tolist()
    [2.0, 2.0, 7.3, 10.5, nan]
    """
    h = np.asarray(height_m, dtype=float)
    uppers = np.array([u for u, _ in CROWN_DIAMETER_BY_HEIGHT])
    crowns = np.array([c for _, c in CROWN_DIAMETER_BY_HEIGHT])
    idx = np.searchsorted(uppers, np.nan_to_num(h, nan=0.0), side="left")
    return np.where(np.isnan(h), np.nan, crowns[np.minimum(idx, len(crowns) - 1)])


def _source_ids(frame: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """Return `column` as text, or the row numbers when a hand-made frame has no such column."""
    if column in frame:
        return np.asarray(frame[column].astype(str).to_numpy())
    return np.arange(len(frame)).astype(str)


def empty_layer(columns: list[str]) -> gpd.GeoDataFrame:
    """Return an empty layer with `columns` in the working CRS."""
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([]), crs=settings.crs)


def obstacle_zones(
    *,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    extra: Mapping[str, tuple[gpd.GeoDataFrame, float]] | None = None,
    params: CorridorParams | None = None,
) -> gpd.GeoDataFrame:
    """Buffer sewers, trees and extra line layers into obstacle zones.

    Parameters
    ----------
    sewers
        Output of :func:`~warmtegis.read_sewers` (uses ``sewer_id``, ``diameter_m``).
    trees
        Output of :func:`~warmtegis.read_trees` (uses ``tree_id``, ``crown_diameter_m``,
        ``height_m``, ``height_min_m``, ``height_max_m``).
    extra
        Other obstacles: kind (e.g. ``"water_main"``) -> (GeoDataFrame, clearance in m).
    params
        Corridor parameters; defaults when None.

    Returns
    -------
    geopandas.GeoDataFrame
        One zone per object: ``kind``, ``source_id``, ``buffer_m`` (m) and for trees
        ``crown_radius_m`` and ``crown_from`` (``"crown"``, ``"height"``, ``"default"``).

    Examples
    --------
    A 0.5 m sewer: its zone is the pipe grown by the clearance plus half its diameter.

    >>> from shapely.geometry import LineString
    >>> sewer = gpd.GeoDataFrame({"sewer_id": ["s1"], "diameter_m": [0.5]},
    ...                          geometry=[LineString([(0, 0), (100, 0)])], crs="EPSG:28992")
    >>> z = obstacle_zones(sewers=sewer)
    >>> z["buffer_m"].tolist(), bool(abs(z.area.iloc[0] - (100 * 2.5 + np.pi * 1.25**2)) < 0.1)
    ([1.25], True)
    """
    return corridor_obstacles(sewers, trees, extra, params or CorridorParams())[0]


def corridor_obstacles(
    sewers: gpd.GeoDataFrame | None,
    trees: gpd.GeoDataFrame | None,
    extra: Mapping[str, tuple[gpd.GeoDataFrame, float]] | None,
    params: CorridorParams,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return :func:`buffer_obstacles` with the corridor parameters' distances.

    Examples
    --------
    >>> zones, sources = corridor_obstacles(None, None, None, CorridorParams())
    >>> len(zones), len(sources)
    (0, 0)
    """
    return buffer_obstacles(
        sewers=sewers,
        trees=trees,
        extra=extra,
        sewer_clearance_m=params.sewer_clearance_m,
        tree_margin_m=params.tree_root_margin_m,
        unknown_crown_radius_m=params.unknown_crown_radius_m,
    )


def buffer_obstacles(
    *,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    extra: Mapping[str, tuple[gpd.GeoDataFrame, float]] | None = None,
    sewer_clearance_m: float,
    tree_margin_m: float,
    unknown_crown_radius_m: float,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return the obstacle zones and, per zone, the source geometry it buffers by ``buffer_m``.

    The one rule for the zone around a sewer and a tree, used by the trench corridors
    (:func:`obstacle_zones`, with :class:`~warmtegis.params.CorridorParams`) and by the
    drilling exclusion zones (:func:`warmtegis.mini_nets.ground.exclusion_zones`, with
    :class:`~warmtegis.params.DrillingParams`): a sewer is grown by half its diameter (0 when
    unknown) plus `sewer_clearance_m`; a tree by its crown radius plus `tree_margin_m`, the
    crown from the tree layer's ``crown_diameter_m``, else from its height
    (:func:`crown_diameter_from_height`), else `unknown_crown_radius_m`.

    Examples
    --------
    A tree without crown or height: its zone is the unknown crown radius plus the margin.

    >>> from shapely.geometry import Point
    >>> tree = gpd.GeoDataFrame(
    ...     {"tree_id": ["t1"], "crown_diameter_m": [np.nan], "height_m": [np.nan],
    ...      "height_min_m": [np.nan], "height_max_m": [np.nan]},
    ...     geometry=[Point(0, 0)], crs="EPSG:28992")
    >>> zones, _ = buffer_obstacles(trees=tree, sewer_clearance_m=1.0, tree_margin_m=1.5,
    ...                             unknown_crown_radius_m=4.0)
    >>> zones[["kind", "buffer_m", "crown_from"]].values.tolist()
    [['tree', 5.5, 'default']]
    """
    parts: list[gpd.GeoDataFrame] = []
    if sewers is not None and len(sewers):
        diam = sewers["diameter_m"].to_numpy(float) if "diameter_m" in sewers else np.nan
        buf = sewer_clearance_m + np.nan_to_num(np.asarray(diam, float) / 2, nan=0.0)
        buf = np.broadcast_to(buf, (len(sewers),))
        parts.append(
            gpd.GeoDataFrame(
                {
                    "kind": "sewer",
                    "source_id": _source_ids(sewers, "sewer_id"),
                    "buffer_m": buf,
                },
                geometry=sewers.geometry.values,
                crs=settings.crs,
            )
        )
    if trees is not None and len(trees):
        crown = trees["crown_diameter_m"].to_numpy(float) / 2
        lower = trees["height_min_m"].to_numpy(float)
        upper = trees["height_max_m"].to_numpy(float)
        middle = trees["height_m"].to_numpy(float)
        # an open top class ('24 m. en hoger') sits just above its lower bound
        key = np.where(np.isnan(upper) & ~np.isnan(lower), lower + 1e-6, middle)
        from_height = crown_diameter_from_height(key) / 2
        radius = np.where(
            ~np.isnan(crown),
            crown,
            np.where(~np.isnan(from_height), from_height, unknown_crown_radius_m),
        )
        source = np.where(
            ~np.isnan(crown), "crown", np.where(~np.isnan(from_height), "height", "default")
        )
        buf = radius + tree_margin_m
        parts.append(
            gpd.GeoDataFrame(
                {
                    "kind": "tree",
                    "source_id": _source_ids(trees, "tree_id"),
                    "buffer_m": buf,
                    "crown_radius_m": radius,
                    "crown_from": source,
                },
                geometry=trees.geometry.values,
                crs=settings.crs,
            )
        )
    for kind, (gdf, clearance) in (extra or {}).items():
        if clearance < 0:
            raise InputError(f"clearance of extra obstacle {kind!r} must be >= 0, not {clearance}")
        ids = gdf.get("source_id", pd.Series(np.arange(len(gdf)), index=gdf.index))
        parts.append(
            gpd.GeoDataFrame(
                {
                    "kind": kind,
                    "source_id": ids.astype(str).to_numpy(),
                    "buffer_m": float(clearance),
                },
                geometry=to_working_crs(gdf, f"obstacles {kind!r}").geometry.values,
                crs=settings.crs,
            )
        )
    if not parts:
        return empty_layer(["kind", "source_id", "buffer_m"]), np.empty(0, dtype=object)
    sources = np.concatenate([part.geometry.values for part in parts])
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
    out[out.geometry.name] = shapely.buffer(
        out.geometry.values, out["buffer_m"].to_numpy(float), quad_segs=16
    )
    counts = out["kind"].value_counts().to_dict()
    log(f"obstacles: {len(out)} zones {counts}")
    return out, sources
