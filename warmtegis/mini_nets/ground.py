"""The ground a mini net may drill in: open ground minus exclusion zones, cut by tiles.

1. :func:`open_ground` -- the ground a rig can stand on: BGT ``begroeidterreindeel`` and
   ``onbegroeidterreindeel`` (gardens, yards, verges), or, without BGT terrain, the area
   around the buildings minus buildings, road surfaces and water.
2. :func:`exclusion_zones` -- what must stay clear, each with a documented distance
   (:class:`~warmtegis.params.DrillingParams`): building footprints, tree root zones (the
   corridors' rule, :func:`~warmtegis.corridors.obstacles.buffer_obstacles`), sewers, water
   and road surfaces.
3. :func:`subtract` and :func:`tiles` -- the exclusion zones cut out of the ground, united
   once per tile so each group meets only a few.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from warmtegis.core.validate import check_frame
from warmtegis.corridors.obstacles import buffer_obstacles
from warmtegis.mini_nets.placement import grid_points
from warmtegis.params.dwellings import DrillingParams
from warmtegis.params.street import CorridorParams

__all__ = [
    "LINE_HALF_WIDTH_M",
    "TILE_M",
    "cut_tiles",
    "exclusion_zones",
    "open_ground",
    "own_area",
    "subtract_zones",
]


# roads or water given as lines (NWB, OSM) are drawn 6 m wide: a municipal street's width in
# the corridor stage's defaults (road_width_by_type "G")
LINE_HALF_WIDTH_M = 3.0


def _checked(
    frame: gpd.GeoDataFrame | None,
    what: str,
    geometry_types: tuple[str, ...] | None = None,
) -> gpd.GeoDataFrame | None:
    """Return `frame` checked and in EPSG:28992, or None."""
    return None if frame is None else check_frame(frame, what=what, geometry_types=geometry_types)


def open_ground(
    buildings: gpd.GeoDataFrame,
    *,
    terrain: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    params: DrillingParams | None = None,
) -> gpd.GeoDataFrame:
    """Return the open ground of an area: ``surface`` and polygon geometry.

    Parameters
    ----------
    buildings
        Building footprints (EPSG:28992).
    terrain
        BGT terrain polygons (``begroeidterreindeel``, ``onbegroeidterreindeel``); an optional
        ``surface`` column (e.g. ``"garden"``, ``"paving"``) is kept. Without it the open
        ground is everything within ``reach_m`` of the buildings that is not a building, a road
        surface (polygons, or lines drawn 6 m wide) or water.
    roads, water
        Used for the fallback only (with terrain, BGT already leaves them out).
    params
        :class:`~warmtegis.params.DrillingParams`.

    Examples
    --------
    Two 6 x 10 m houses with nothing else: the ground within 15 m of them, less the houses.

    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 6, 10), box(6, 0, 12, 10)], crs="EPSG:28992")
    >>> g = open_ground(b)
    >>> by_hand = (12 + 30) * (10 + 30) - 4 * 15**2 * (1 - np.pi / 4) - 12 * 10  # m2
    >>> bool(abs(g.area.sum() - by_hand) / by_hand < 0.005)  # buffer arcs are polygons
    True
    """
    p = params or DrillingParams()
    buildings = check_frame(buildings, what="buildings")
    roads = _checked(roads, "roads")
    water = _checked(water, "water")
    terrain = _checked(terrain, "terrain (open ground)", ("Polygon", "MultiPolygon"))
    if terrain is not None and len(terrain):
        geoms = shapely.make_valid(terrain.geometry.values)
        surface = (
            terrain["surface"].astype(str).to_numpy()
            if "surface" in terrain
            else np.full(len(terrain), "open ground")
        )
        out = gpd.GeoDataFrame({"surface": surface}, geometry=geoms, crs=terrain.crs)
        return out[~out.geometry.is_empty].reset_index(drop=True)  # small BGT polygons: kept
    foot = shapely.union_all(buildings.geometry.values)
    area = shapely.buffer(foot, p.reach_m)
    blocked = [foot]
    for layer in (roads, water):
        if layer is None or not len(layer):
            continue
        g = layer.geometry.values
        lines = shapely.get_type_id(g) <= 2  # points and lines: draw them as surfaces
        blocked.append(shapely.buffer(g[lines], LINE_HALF_WIDTH_M))
        blocked.append(g[~lines])
    rest = shapely.difference(
        area, shapely.union_all(np.concatenate([np.atleast_1d(b) for b in blocked]))
    )
    return gpd.GeoDataFrame({"surface": ["open ground"]}, geometry=[rest], crs=buildings.crs)


def exclusion_zones(
    buildings: gpd.GeoDataFrame,
    *,
    trees: gpd.GeoDataFrame | None = None,
    sewers: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    params: DrillingParams | None = None,
    unknown_crown_radius_m: float = CorridorParams().unknown_crown_radius_m,
) -> gpd.GeoDataFrame:
    """Return the zones no loop may lie in: ``kind``, ``distance_m`` and the geometry.

    Buildings grown by ``building_clearance_m``; trees and sewers by the trench corridors' rule
    (:func:`~warmtegis.corridors.obstacles.buffer_obstacles`): trees by their crown radius (from
    the tree layer's ``crown_diameter_m``, else its height, else `unknown_crown_radius_m`, the
    study's ``[parameters.corridors] unknown_crown_radius_m``) plus ``tree_clearance_m``,
    sewers by half their diameter plus ``sewer_clearance_m``; water by
    ``water_clearance_m``; road polygons by ``road_clearance_m`` (road lines: 3 m plus it).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 6, 10)], crs="EPSG:28992")
    >>> z = exclusion_zones(b)
    >>> z["kind"].tolist(), float(round(z.area.iloc[0], 1))  # 10 x 14 m, rounded corners: 136.57
    (['building'], 136.5)
    """
    p = params or DrillingParams()
    buildings = check_frame(buildings, what="buildings")
    trees, sewers = _checked(trees, "trees"), _checked(sewers, "sewers")
    water, roads = _checked(water, "water"), _checked(roads, "roads")
    parts: list[tuple[str, float, np.ndarray]] = []
    parts.append(
        (
            "building",
            p.building_clearance_m,
            shapely.buffer(buildings.geometry.values, p.building_clearance_m),
        )
    )
    if (trees is not None and len(trees)) or (sewers is not None and len(sewers)):
        zones, _ = buffer_obstacles(
            trees=trees,
            sewers=sewers,
            sewer_clearance_m=p.sewer_clearance_m,
            tree_margin_m=p.tree_clearance_m,
            unknown_crown_radius_m=unknown_crown_radius_m,
        )
        for kind, distance in (("tree", p.tree_clearance_m), ("sewer", p.sewer_clearance_m)):
            mine = (zones["kind"] == kind).to_numpy()
            if mine.any():
                parts.append((kind, distance, zones.geometry.values[mine]))
    if water is not None and len(water):
        parts.append(
            (
                "water",
                p.water_clearance_m,
                shapely.buffer(water.geometry.values, p.water_clearance_m),
            )
        )
    if roads is not None and len(roads):
        g = roads.geometry.values
        lines = shapely.get_type_id(g) <= 2
        grown = np.where(lines, LINE_HALF_WIDTH_M + p.road_clearance_m, p.road_clearance_m)
        parts.append(("road", p.road_clearance_m, shapely.buffer(g, grown)))
    kinds = np.concatenate([np.full(len(g), k, dtype=object) for k, _, g in parts])
    dist = np.concatenate([np.full(len(g), d) for _, d, g in parts])
    geoms = np.concatenate([np.asarray(g, dtype=object) for _, _, g in parts])
    return gpd.GeoDataFrame({"kind": kinds, "distance_m": dist}, geometry=geoms, crs=buildings.crs)


TILE_M = 50.0  # the drillable ground is cut into tiles so each group intersects a few


def cut_tiles(
    geoms: np.ndarray, size: float, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut polygons into their pieces inside `size` x `size` tiles: (labels, pieces, tiles).

    ``tiles`` holds each piece's tile box.
    """
    labels = np.zeros(len(geoms), dtype=object) if labels is None else np.asarray(labels)
    if not len(geoms):
        return labels[:0], np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    xs = np.arange(np.floor(x0 / size) * size, x1 + size, size)
    ys = np.arange(np.floor(y0 / size) * size, y1 + size, size)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])
    tiles = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    gi, ti = shapely.STRtree(tiles).query(geoms, predicate="intersects")
    parts = shapely.make_valid(shapely.intersection(geoms[gi], tiles[ti]))
    keep = ~shapely.is_empty(parts)
    return labels[gi][keep], parts[keep], tiles[ti][keep]


def subtract_zones(
    pieces: np.ndarray, zones: np.ndarray, tiles: np.ndarray | None = None
) -> np.ndarray:
    """Each piece minus the zones that touch it.

    With `tiles` (each piece's tile box) the zones are united once per tile, clipped to it,
    and every piece of the tile subtracts that one union (far fewer unions than pieces);
    without, per piece (local unions, not one big one).
    """
    if not len(zones) or not len(pieces):
        return pieces
    boxes, which = (
        np.unique(shapely.to_wkb(tiles), return_inverse=True) if tiles is not None else (None, None)
    )
    # one union per tile pays where tiles hold many pieces (BGT terrain: a garden per pand);
    # with one piece per tile (the fallback ground) the per-piece unions are cheaper
    if boxes is not None and len(pieces) > 1.5 * len(boxes):
        box_geoms = shapely.from_wkb(boxes)
        bi, zi = shapely.STRtree(zones).query(box_geoms, predicate="intersects")
        unions = np.full(len(box_geoms), None, dtype=object)
        order = np.argsort(bi, kind="stable")
        bi, zi = bi[order], zi[order]
        starts = np.flatnonzero(np.r_[True, bi[1:] != bi[:-1]]) if len(bi) else np.zeros(0, int)
        ends = np.r_[starts[1:], len(bi)]
        for s_, e in zip(starts, ends, strict=True):
            k = bi[s_]
            near = shapely.intersection(zones[zi[s_:e]], box_geoms[k].buffer(0.01))
            unions[k] = shapely.union_all(near)
        cut = unions[which]
        has = np.array([u is not None for u in cut], dtype=bool)
        out = pieces.copy()
        out[has] = shapely.difference(pieces[has], np.asarray(list(cut[has]), dtype=object))
        return np.asarray(shapely.make_valid(out))
    pi, zi = shapely.STRtree(zones).query(pieces, predicate="intersects")
    out = pieces.copy()
    order = np.argsort(pi, kind="stable")
    pi, zi = pi[order], zi[order]
    starts = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
    ends = np.r_[starts[1:], len(pi)]
    for s, e in zip(starts, ends, strict=True):
        k = pi[s]
        out[k] = shapely.difference(pieces[k], shapely.union_all(zones[zi[s:e]]))
    return np.asarray(shapely.make_valid(out))


def own_area(area: Any, own: Callable[[np.ndarray], np.ndarray], grid_m: float) -> float:
    """Area (m2) of the part of `area` that is the group's own, counted on the grid cells."""
    if area is None or shapely.is_empty(area):
        return 0.0
    cells = grid_points(area, grid_m, centred=True)
    return float(own(cells).sum()) * grid_m**2 if len(cells) else 0.0
