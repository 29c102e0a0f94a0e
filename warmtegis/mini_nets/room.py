"""Room to drill: where a mini net's loops can go, and its borefield sized on those positions.

A mini net needs ground for its loops. This module finds it and sizes the field on it
(docs/method.md §3b):

1. :func:`open_ground` — the ground a rig can stand on: BGT ``begroeidterreindeel`` and
   ``onbegroeidterreindeel`` (gardens, yards, verges), or, without BGT terrain, the area
   around the buildings minus buildings, road surfaces and water.
2. :func:`exclusion_zones` — what must stay clear, each with a documented distance
   (:class:`~warmtegis.params.DrillingParams`): building footprints, tree root zones (crown
   projection + margin, as the trench corridors), sewers, water and road surfaces.
3. :func:`place_loops` — loops in a polygon at least the minimum spacing apart (also from the
   loops other groups placed before) and as far apart as the polygon allows (greedy max-min
   distance on a grid of candidate positions).
4. :func:`room_to_drill` — per group: the drillable ground nearest to its own dwellings and
   within ``reach_m`` of them (a stand-in for their parcels), its loops placed there, and the
   field sized with pygfunction g-functions of those positions, other groups' loops within
   ``interference_radius_m`` included. A group without room for its loops is not eligible,
   with the reason in its row ("no room: 2 of 3 loops fit").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis.core.log import log
from warmtegis.core.validate import check_frame
from warmtegis.mini_nets.boreholes import ground_loads
from warmtegis.mini_nets.gcache import MEMORY_TABLES, BoundedCache
from warmtegis.params.parameters import BoreholeParams, CorridorParams, DrillingParams
from warmtegis.units import FULL_LOAD_HOURS

__all__ = [
    "TERRAIN_SURFACES",
    "RoomToDrill",
    "exclusion_zones",
    "layout_gfunction",
    "open_ground",
    "place_loops",
    "read_terrain",
    "room_to_drill",
]

CRS = "EPSG:28992"
#: BGT terrain layers that are open ground a rig can stand on, and the surface each stands for.
TERRAIN_SURFACES = {"begroeidterreindeel": "garden", "onbegroeidterreindeel": "paving"}
# roads or water given as lines (NWB, OSM) are drawn 6 m wide: a municipal street's width in
# the corridor stage's defaults (road_width_by_type "G")
_LINE_HALF_WIDTH_M = 3.0
# building categories whose footprints own the ground around them (sheds do not)
_MAIN = ("ground_bound", "apartments", "non_residential")


def _checked(frame, what: str, geometry_types=None):
    """Return `frame` checked and in EPSG:28992, or None."""
    return None if frame is None else check_frame(frame, what=what, geometry_types=geometry_types)


def read_terrain(path, layer: str | None = None, **options) -> gpd.GeoDataFrame:
    """Read open-ground polygons: BGT terrain layers, or any polygon layer.

    Without `layer`, every BGT layer of :data:`TERRAIN_SURFACES` in the file is read
    (``begroeidterreindeel`` as ``surface = "garden"``, ``onbegroeidterreindeel`` as
    ``"paving"``); a file with neither must name its layer, which is read as ``"open ground"``.
    Validated and reprojected as every input (:func:`~warmtegis.io.read_layer`).
    """
    from warmtegis.inputs._common import list_layers, read_layer

    polygons = ("Polygon", "MultiPolygon")
    names: list[str | None] = (
        [layer] if layer else [n for n in list_layers(path) if n in TERRAIN_SURFACES]
    )
    if not names:
        names = [None]  # read_layer names the layers present when it cannot choose
    parts = [
        read_layer(
            path, name, geometry_types=polygons, what="terrain (open ground)", **options
        ).assign(surface=TERRAIN_SURFACES.get(str(name), "open ground"))
        for name in names
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)


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
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 6, 10), box(6, 0, 12, 10)], crs=CRS)
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
        blocked.append(shapely.buffer(g[lines], _LINE_HALF_WIDTH_M))
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
) -> gpd.GeoDataFrame:
    """Return the zones no loop may lie in: ``kind``, ``distance_m`` and the geometry.

    Buildings grown by ``building_clearance_m``; trees by their crown radius (from the tree
    layer's ``crown_diameter_m``, else its height, else 6 m, as the trench corridors) plus
    ``tree_clearance_m``; sewers by half their diameter plus ``sewer_clearance_m``; water by
    ``water_clearance_m``; road polygons by ``road_clearance_m`` (road lines: 3 m plus it).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 6, 10)], crs=CRS)
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
    if trees is not None and len(trees):
        from warmtegis.corridors.analysis import obstacle_zones

        corridor = CorridorParams(tree_root_margin_m=p.tree_clearance_m)
        zones = obstacle_zones(trees=trees, params=corridor)
        parts.append(("tree", p.tree_clearance_m, zones.geometry.values))
    if sewers is not None and len(sewers):
        diam = sewers["diameter_m"].to_numpy(float) if "diameter_m" in sewers else np.nan
        half = np.where(np.isfinite(diam), diam / 2, 0.0)
        parts.append(
            (
                "sewer",
                p.sewer_clearance_m,
                shapely.buffer(sewers.geometry.values, half + p.sewer_clearance_m),
            )
        )
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
        grown = np.where(lines, _LINE_HALF_WIDTH_M + p.road_clearance_m, p.road_clearance_m)
        parts.append(("road", p.road_clearance_m, shapely.buffer(g, grown)))
    kinds = np.concatenate([np.full(len(g), k, dtype=object) for k, _, g in parts])
    dist = np.concatenate([np.full(len(g), d) for _, d, g in parts])
    geoms = np.concatenate([np.asarray(g, dtype=object) for _, _, g in parts])
    return gpd.GeoDataFrame({"kind": kinds, "distance_m": dist}, geometry=geoms, crs=buildings.crs)


def place_loops(
    area,
    n: int,
    *,
    min_spacing_m: float,
    grid_m: float = 1.0,
    taken: np.ndarray | None = None,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Place up to `n` loops in `area`, at least `min_spacing_m` apart, as far apart as it allows.

    Candidates are the points of a `grid_m` grid inside `area` (anchored on the area's bounds)
    that lie at least `min_spacing_m` from every loop already `taken` (other groups' loops)
    and, with `keep`, for which ``keep(points)`` is True.
    One loop goes where the ground is widest (the candidate farthest from the area's edge);
    two or more start with the two candidates farthest apart and add, one at a time, the
    candidate farthest from every loop placed so far (greedy max-min distance), as long as that
    distance is at least `min_spacing_m`.

    Returns
    -------
    numpy.ndarray
        Shape (k, 2), k <= n: the loops that fit.

    Examples
    --------
    A 24 x 10 m back-garden strip takes two loops 6 m apart at its far corners:

    >>> from shapely.geometry import box
    >>> place_loops(box(0, 0, 24, 10), 2, min_spacing_m=6.0).tolist()
    [[0.0, 0.0], [24.0, 10.0]]
    >>> len(place_loops(box(0, 0, 4, 4), 2, min_spacing_m=6.0))  # 5.7 m diagonal: one fits
    1
    """
    if n < 1 or area is None or shapely.is_empty(area):
        return np.zeros((0, 2))
    cand = _grid_points(area, grid_m, centred=False)
    if keep is not None and len(cand):
        cand = cand[keep(cand)]
    if taken is not None and len(taken) and len(cand):
        near = shapely.STRtree(shapely.points(taken)).query(
            shapely.points(cand), predicate="dwithin", distance=min_spacing_m - 1e-9
        )
        cand = np.delete(cand, np.unique(near[0]), axis=0)
    if not len(cand):
        return np.zeros((0, 2))
    if n == 1 or len(cand) == 1:
        depth = shapely.distance(shapely.boundary(area), shapely.points(cand))
        return cand[[int(np.argmax(depth))]]
    hull = _hull_points(cand)
    d = np.linalg.norm(hull[:, None, :] - hull[None, :, :], axis=2)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    if d[i, j] < min_spacing_m:
        depth = shapely.distance(shapely.boundary(area), shapely.points(cand))
        return cand[[int(np.argmax(depth))]]
    chosen = [hull[i], hull[j]]
    nearest = np.minimum(
        np.linalg.norm(cand - hull[i], axis=1), np.linalg.norm(cand - hull[j], axis=1)
    )
    while len(chosen) < n:
        k = int(np.argmax(nearest))
        if nearest[k] < min_spacing_m:
            break
        chosen.append(cand[k])
        nearest = np.minimum(nearest, np.linalg.norm(cand - cand[k], axis=1))
    return np.asarray(chosen, dtype=float)


def _hull_points(points: np.ndarray) -> np.ndarray:
    """Return the candidates on the convex hull (the farthest pair is among them)."""
    hull = shapely.convex_hull(shapely.multipoints(points))
    coords = shapely.get_coordinates(hull)
    return np.unique(coords, axis=0) if len(coords) else points


@dataclass
class RoomToDrill:
    """Result of :func:`room_to_drill`.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per mini net: ``mini_net_id``, ``loops_needed``, ``loops_fit``,
        ``has_room`` (bool), ``room_reason`` ("" or "no room: 2 of 3 loops fit"),
        ``ground_m2`` (drillable ground the group may use), ``loops_placed``,
        ``neighbour_loops`` (other groups' loops counted in its g-function),
        ``depth_placed_m`` (length per loop sized on the placed positions) and
        ``drilled_placed_m``.
    boreholes : geopandas.GeoDataFrame
        Point layer: ``mini_net_id``, ``depth_m``, ``scenario`` (``"as built"``).
    drillable : geopandas.GeoDataFrame
        The open ground within ``reach_m`` of the groups minus the exclusion zones
        (``surface``; pieces cut at a 50 m tile grid).
    exclusions : geopandas.GeoDataFrame
        The exclusion zones (:func:`exclusion_zones`).
    ground : geopandas.GeoDataFrame or None
        The open ground the groups' ground was taken from (:func:`open_ground`).
    """

    groups: pd.DataFrame
    boreholes: gpd.GeoDataFrame
    drillable: gpd.GeoDataFrame
    exclusions: gpd.GeoDataFrame
    ground: gpd.GeoDataFrame | None = None

    def summary(self, eligible_dwellings: pd.Series | None = None) -> list[tuple[str, float, str]]:
        """Return the room figures as ``(key, value, unit)`` rows."""
        g = self.groups
        rows: list[tuple[str, float, str]] = [
            ("mini_nets_with_room", int(g["has_room"].sum()), "count"),
            ("mini_nets_without_room", int((~g["has_room"]).sum()), "count"),
            ("mini_net_loops_placed", int(g["loops_placed"].sum()), "count"),
        ]
        if eligible_dwellings is not None and len(g):
            n = eligible_dwellings.reindex(g["mini_net_id"]).to_numpy(float)
            total = float(np.nansum(n))
            kept = float(np.nansum(n[g["has_room"].to_numpy(bool)]))
            rows.append(("mini_net_dwellings_with_room", kept, "count"))
            rows.append(("mini_net_share_with_room", 100 * kept / total if total else 0.0, "%"))
        return rows


def room_to_drill(
    mini_nets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    ground: gpd.GeoDataFrame,
    exclusions: gpd.GeoDataFrame,
    params: DrillingParams | None = None,
    borehole_params: BoreholeParams | None = None,
    full_load_hours: float = FULL_LOAD_HOURS,
    neighbours: np.ndarray | None = None,
    parcels: gpd.GeoDataFrame | None = None,
) -> RoomToDrill:
    """Find each mini net's ground, place its loops there and size the field on those positions.

    Parameters
    ----------
    mini_nets
        The ``mini_nets`` layer: ``mini_net_id``, ``n_dwellings``, ``heat_demand_gj``,
        ``n_boreholes`` (the loops the line sizing asked for).
    buildings
        The ``buildings`` layer: ``building_id``, ``category`` and ``mini_net_id``; a group's
        ground is the drillable ground whose nearest main building (a dwelling or
        non-residential building, not a shed) is one of its own, within ``reach_m`` of it.
    ground, exclusions
        :func:`open_ground` and :func:`exclusion_zones` of the area.
    params, borehole_params
        Distances and placement (:class:`~warmtegis.params.DrillingParams`); ground, loop and
        spacing (:class:`~warmtegis.params.BoreholeParams`: ``spacing_m`` is the minimum
        distance between loops).
    full_load_hours
        Annual demand / peak load (h), for the peak ground load.
    neighbours
        Loops of groups not in `mini_nets` (shape (k, 2)), kept at the spacing and counted
        in the fields within reach, as if placed before (a design of a few groups among
        many).
    parcels
        Cadastral parcels (BRK ``perceel`` polygons), optional. With them a group drills only
        on its members' own parcels (those holding a member's footprint) or on public ground
        (no parcel, or a parcel holding no building; the nearest-building rule shares it
        out), never on a neighbour's parcel.

    Returns
    -------
    RoomToDrill
    """
    p = params or DrillingParams()
    bp = borehole_params or BoreholeParams()
    mini_nets = check_frame(
        mini_nets, what="mini nets", columns=("mini_net_id", "heat_demand_gj", "n_boreholes")
    )
    buildings = check_frame(buildings, what="buildings", columns=("mini_net_id",))
    ground = check_frame(ground, what="open ground", columns=("surface",))
    exclusions = check_frame(exclusions, what="exclusion zones")
    # only the ground a group can reach matters: the polygons, then their tile pieces, within
    # reach_m of a member
    members = buildings.geometry.values[buildings["mini_net_id"].notna().to_numpy()]
    geoms = np.asarray(ground.geometry.values)
    labels = ground["surface"].to_numpy()
    reach = shapely.STRtree(shapely.buffer(members, p.reach_m)) if len(members) else None
    if reach is not None and len(geoms):
        near_polys = np.unique(reach.query(geoms, predicate="intersects")[0])
        geoms, labels = geoms[near_polys], labels[near_polys]
    elif reach is None:
        geoms, labels = geoms[:0], labels[:0]
    surface, pieces, tile_of = _tiles(geoms, _TILE_M, labels)
    if reach is not None and len(pieces):
        near = np.unique(reach.query(pieces, predicate="intersects")[0])
        surface, pieces, tile_of = surface[near], pieces[near], tile_of[near]
    pieces = _subtract(pieces, np.asarray(exclusions.geometry.values), tile_of)
    keep = ~shapely.is_empty(pieces)
    surface, pieces = surface[keep], pieces[keep]
    # the drillable ground as pieces of at most one tile (merging them costs more than it
    # gives: the layer is for looking at)
    drillable = gpd.GeoDataFrame({"surface": surface}, geometry=pieces, crs=ground.crs)
    main = buildings[buildings["category"].isin(_MAIN)] if "category" in buildings else buildings
    owner = main["mini_net_id"].astype(object).where(main["mini_net_id"].notna(), None).to_numpy()
    tree = shapely.STRtree(main.geometry.values)
    index = shapely.STRtree(pieces)

    placed: dict[object, np.ndarray] = {}
    others = np.zeros((0, 2)) if neighbours is None else np.asarray(neighbours, float)
    parcel_tree = None
    if parcels is not None and len(parcels):
        parcels = check_frame(parcels, what="parcels", geometry_types=("Polygon", "MultiPolygon"))
        parcel_tree = shapely.STRtree(shapely.make_valid(parcels.geometry.values))
        every = shapely.point_on_surface(buildings.geometry.values)
        built = np.unique(parcel_tree.query(every, predicate="within")[1])
    rows = []
    for row in mini_nets.itertuples(index=False):
        gid = row.mini_net_id
        mine = main.geometry.values[owner == gid]
        need = int(row.n_boreholes)
        area = None
        if len(pieces) and len(mine):
            grown = shapely.buffer(shapely.union_all(mine), p.reach_m)
            near = pieces[index.query(grown, predicate="intersects")]
            if len(near):
                area = shapely.intersection(shapely.union_all(near), grown)

        def nearest_own(points: np.ndarray, gid=gid) -> np.ndarray:
            """Tell which candidates have one of the group's buildings as nearest main building."""
            return owner[tree.nearest(shapely.points(points))] == gid

        own: Callable[[np.ndarray], np.ndarray] = nearest_own
        if parcel_tree is not None and area is not None:
            own = _parcel_filter(area, mine, parcel_tree, built, nearest_own)

        taken = np.concatenate([others, *placed.values()])
        spots = place_loops(
            area, need, min_spacing_m=bp.spacing_m, grid_m=p.grid_m, taken=taken, keep=own
        )
        ground_m2 = _own_area(area, own, p.grid_m)
        placed[gid] = spots
        rows.append((gid, need, len(spots), ground_m2))
    groups = pd.DataFrame(rows, columns=["mini_net_id", "loops_needed", "loops_fit", "ground_m2"])
    groups["has_room"] = groups["loops_fit"] >= groups["loops_needed"]
    groups["room_reason"] = np.where(
        groups["has_room"],
        "",
        "no room: "
        + groups["loops_fit"].astype(str)
        + " of "
        + groups["loops_needed"].astype(str)
        + " loops fit",
    )
    _size_on_positions(groups, mini_nets, placed, p, bp, full_load_hours, others)
    points, ids, depths = [], [], []
    for gid, depth, room in zip(
        groups["mini_net_id"], groups["depth_placed_m"], groups["has_room"], strict=True
    ):
        xy = placed[gid]
        if room and np.isfinite(depth):
            points.extend(shapely.points(xy))
            ids.extend([gid] * len(xy))
            depths.extend([depth] * len(xy))
    boreholes = gpd.GeoDataFrame(
        {
            "mini_net_id": ids,
            "depth_m": np.asarray(depths, dtype=float),
            "scenario": ["as built"] * len(ids),
        },
        geometry=gpd.GeoSeries(np.asarray(points, dtype=object), crs=mini_nets.crs or CRS),
    )
    log(
        f"room to drill: {int(groups['has_room'].sum())} of {len(groups)} mini nets have room "
        f"for their loops; {len(boreholes)} loops placed"
    )
    return RoomToDrill(
        groups=groups,
        boreholes=boreholes,
        drillable=drillable,
        exclusions=exclusions,
        ground=ground,
    )


def _parcel_filter(
    area, mine: np.ndarray, parcel_tree: shapely.STRtree, built: np.ndarray, nearest_own: Callable
) -> Callable[[np.ndarray], np.ndarray]:
    """Candidates on the group's own parcels, or on public ground nearest to its buildings.

    Own parcels hold one of the group's footprints; a parcel holding another building is a
    neighbour's; ground outside every parcel, or in a parcel holding no building (street,
    verge, green), is public and shared out by the nearest-building rule.
    """
    geoms = parcel_tree.geometries
    _, holding = parcel_tree.query(shapely.point_on_surface(mine), predicate="within")
    own_idx = np.unique(holding)
    near = parcel_tree.query(area, predicate="intersects")
    others = np.setdiff1d(np.intersect1d(near, built), own_idx)
    own = shapely.union_all(geoms[own_idx]) if len(own_idx) else None
    private = shapely.union_all(geoms[others]) if len(others) else None

    def keep(points: np.ndarray) -> np.ndarray:
        x, y = points[:, 0], points[:, 1]
        mine_ok = shapely.intersects_xy(own, x, y) if own is not None else np.zeros(len(x), bool)
        if private is not None:
            public = ~shapely.intersects_xy(private, x, y) & ~mine_ok
        else:
            public = ~mine_ok
        return mine_ok | (public & nearest_own(points))

    return keep


_TILE_M = 50.0  # the drillable ground is cut into tiles so each group intersects a few


def _tiles(
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


def _subtract(pieces: np.ndarray, zones: np.ndarray, tiles: np.ndarray | None = None) -> np.ndarray:
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
        return shapely.make_valid(out)
    pi, zi = shapely.STRtree(zones).query(pieces, predicate="intersects")
    out = pieces.copy()
    order = np.argsort(pi, kind="stable")
    pi, zi = pi[order], zi[order]
    starts = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
    ends = np.r_[starts[1:], len(pi)]
    for s, e in zip(starts, ends, strict=True):
        k = pi[s]
        out[k] = shapely.difference(pieces[k], shapely.union_all(zones[zi[s:e]]))
    return shapely.make_valid(out)


def _own_area(area, own: Callable[[np.ndarray], np.ndarray], grid_m: float) -> float:
    """Area (m2) of the part of `area` that is the group's own, counted on the grid cells."""
    if area is None or shapely.is_empty(area):
        return 0.0
    cells = _grid_points(area, grid_m, centred=True)
    return float(own(cells).sum()) * grid_m**2 if len(cells) else 0.0


def _grid_points(area, grid_m: float, *, centred: bool) -> np.ndarray:
    """Return the points of a `grid_m` grid on `area`'s bounds that lie in `area`: (k, 2).

    ``centred=False``: the grid lines from the lower-left corner (corners and edges included,
    the candidate positions of loops); ``centred=True``: the centres of the grid's cells (each
    stands for grid_m² of area).
    """
    x0, y0, x1, y1 = shapely.bounds(area)
    if centred:
        xs = x0 + (np.arange(max(int(np.ceil((x1 - x0) / grid_m)), 1)) + 0.5) * grid_m
        ys = y0 + (np.arange(max(int(np.ceil((y1 - y0) / grid_m)), 1)) + 0.5) * grid_m
    else:
        xs = x0 + np.arange(int(np.floor((x1 - x0) / grid_m)) + 1) * grid_m
        ys = y0 + np.arange(int(np.floor((y1 - y0) / grid_m)) + 1) * grid_m
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


#: Loop lengths (m) the g-function of a placed layout is computed at; lengths between are
#: interpolated (as :func:`~warmtegis.boreholes.size_mini_nets` does for lines).
_GRID = (30.0, 60.0, 100.0, 150.0, 200.0, 260.0)
#: Per layout and parameters: the grid lengths and the annual extraction the layout takes at
#: each (bounded like the g-function tables: the most recently used ones).
_LAYOUTS = BoundedCache(MEMORY_TABLES)


def _layout_key(xy: np.ndarray) -> tuple:
    """Return a layout's pairwise distances rounded to 0.5 m: equal keys, equal g-functions.

    The g-function of equal loops depends on where they stand relative to each other, which
    their pairwise distances describe (up to rotation and mirroring, which do not change it).
    """
    n = len(xy)
    if n == 1:
        return (1,)
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)[np.triu_indices(n, 1)]
    return (n, *np.sort(np.round(d * 2) / 2).tolist())


def layout_gfunction(
    xy: np.ndarray, length_m: float, times: np.ndarray, params: BoreholeParams | None = None
) -> np.ndarray:
    """g-function of equal loops at `xy` (m), uniform heat extraction rate, at `times` (s).

    The mean over the loops of the finite-line-source responses of every loop (itself at
    its radius, the others at their distances): pygfunction's ``UHTR`` boundary condition,
    computed with its vectorised finite-line-source approximation (Cimmino 2021) at 16
    log-spaced times and interpolated in ln t. A uniform extraction rate gives a slightly
    higher g than a uniform wall temperature (1-4 % for 2-5 loops 6-20 m apart), so the
    sizing errs on the deep side.

    Examples
    --------
    >>> import pygfunction as gt
    >>> xy = np.array([[0.0, 0.0], [10.0, 3.0], [20.0, 0.0]])
    >>> t = np.array([3600.0 * 6, 25 * 8760 * 3600.0])
    >>> ours = layout_gfunction(xy, 150.0, t)
    >>> f = gt.borefield.Borefield(np.full(3, 150.0), np.full(3, 1.0), np.full(3, 0.065),
    ...                            xy[:, 0], xy[:, 1])
    >>> ref = gt.gfunction.gFunction(f, 2.0 / 2.4e6, t, boundary_condition="UHTR").gFunc
    >>> bool(np.allclose(ours, ref, rtol=0.01))
    True
    """
    import pygfunction as gt

    p = params or BoreholeParams()
    alpha = p.ground_conductivity_w_mk / p.ground_heat_capacity_j_m3k
    n = len(xy)
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    d[np.arange(n), np.arange(n)] = p.borehole_radius_m
    at = np.geomspace(times.min(), times.max(), 16)  # g is smooth in ln t
    D = p.buried_depth_m
    dist, back = np.unique(d.ravel(), return_inverse=True)  # each distance once
    h = gt.heat_transfer.finite_line_source_approximation(at, alpha, dist, length_m, D, length_m, D)
    h = np.asarray(h).reshape(len(dist), len(at))[back.ravel()]  # (n * n, times)
    g = h.reshape(n, n, len(at)).sum(axis=1).mean(axis=0)
    return np.interp(np.log(times), np.log(at), g)


def _layout_capacity(
    xy: np.ndarray, bp: BoreholeParams, full_load_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per grid length H: the annual ground extraction (kWh) the layout takes at H per loop.

    For a unit annual extraction the lowest temperature term ``unit(H)`` (K·m) follows from the
    layout's g-function (:func:`layout_gfunction`) and the monthly loads and peaks
    (:func:`~warmtegis.boreholes.ground_loads`); the loads scale linearly, so the layout takes
    ``allowed × n H / unit(H)``. Cached per layout key and parameters, in memory and on
    disk (:mod:`warmtegis._gcache`), so a later process reads the tables it computed.
    """
    from warmtegis.mini_nets.boreholes import unit_terms
    from warmtegis.mini_nets.gcache import cached_table, table_key

    key = (_layout_key(xy), bp, full_load_hours)
    found = _LAYOUTS.get(key)
    if found is not None:
        return found

    def compute() -> tuple[np.ndarray, np.ndarray]:
        _, units = unit_terms(
            lambda h, times: layout_gfunction(xy, h, times, bp), bp, _GRID, full_load_hours
        )
        return np.asarray(_GRID), np.asarray(units)

    # computed once per layout and parameters, then read from the disk cache by every later
    # process (:mod:`warmtegis._gcache`)
    disk_key = table_key("layout", key[0], repr(bp), _GRID, float(full_load_hours))
    lengths, units = cached_table(disk_key, compute)
    allowed = bp.ground_temperature_c - bp.min_fluid_temperature_c
    capacity = allowed * len(xy) * lengths / units
    _LAYOUTS.put(key, (lengths, capacity))
    return lengths, capacity


def _size_on_positions(
    groups: pd.DataFrame,
    mini_nets: gpd.GeoDataFrame,
    placed: dict,
    p: DrillingParams,
    bp: BoreholeParams,
    full_load_hours: float,
    others: np.ndarray,
) -> None:
    """Length per loop from the g-function of the placed loops and their neighbours.

    The field of a group is its own loops plus every other group's loop within
    ``interference_radius_m`` of one of them; the neighbours are taken to draw the same load
    per loop as the group's own (their ground loads scale with their demand as ours do), so the
    group's loads are scaled up by (own + neighbours) / own and the field sized as one, by
    interpolation in the layout's capacity table (:func:`_layout_capacity`).
    """
    demand = dict(zip(mini_nets["mini_net_id"], mini_nets["heat_demand_gj"], strict=True))
    # the loops that will be drilled: a group without room drills none
    ids = [g for g, r in zip(groups["mini_net_id"], groups["has_room"], strict=True) if r]
    all_xy = np.concatenate([others, *(placed[g] for g in ids)])
    all_id = np.array([None] * len(others) + [g for g in ids for _ in placed[g]], dtype=object)
    depth_col, nb_col = [], []
    for gid, room in zip(groups["mini_net_id"], groups["has_room"], strict=True):
        own = placed[gid]
        if not room or not len(own):
            depth_col.append(np.nan)
            nb_col.append(0)
            continue
        d = np.linalg.norm(all_xy[:, None, :] - own[None, :, :], axis=2).min(axis=1)
        nb = all_xy[(all_id != gid) & (d <= p.interference_radius_m)]
        xy = np.concatenate([own, nb])
        monthly, _ = ground_loads(np.array([demand[gid]]), bp, full_load_hours)
        need = monthly.sum() * len(xy) / len(own)  # the neighbours draw as much per loop
        lengths, capacity = _layout_capacity(xy, bp, full_load_hours)
        if need <= capacity[0]:  # below the grid the temperature drop scales ~ 1/H
            depth = need / capacity[0] * lengths[0]
        elif need <= capacity[-1]:
            depth = float(np.interp(need, capacity, lengths))
        else:
            depth = float(need / capacity[-1] * lengths[-1])  # deeper than the grid: too deep
        depth_col.append(max(depth, bp.min_depth_m))
        nb_col.append(len(nb))
    pairs = zip(groups["mini_net_id"], groups["has_room"], strict=True)
    groups["loops_placed"] = [len(placed[g]) if r else 0 for g, r in pairs]
    groups["neighbour_loops"] = nb_col
    groups["depth_placed_m"] = depth_col
    groups["drilled_placed_m"] = groups["depth_placed_m"] * groups["loops_placed"]
    too_deep = groups["depth_placed_m"] > bp.max_depth_m
    groups.loc[too_deep, "has_room"] = False
    limit = f"{bp.max_depth_m:g}"
    groups.loc[too_deep, "room_reason"] = groups.loc[too_deep, "depth_placed_m"].map(
        lambda v: f"no room: its loops would need {np.ceil(v):.0f} m each (max {limit} m)"
    )
    groups.loc[too_deep, "loops_placed"] = 0
    groups.loc[too_deep, "drilled_placed_m"] = np.nan
