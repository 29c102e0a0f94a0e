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
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.log import log
from warmtegis.core.validate import check_frame
from warmtegis.mini_nets.ground import TILE_M, cut_tiles, own_area, subtract_zones
from warmtegis.mini_nets.layouts import size_on_positions
from warmtegis.mini_nets.placement import place_loops
from warmtegis.params.dwellings import BoreholeParams, DrillingParams
from warmtegis.units import FULL_LOAD_HOURS

__all__ = [
    "MISSING",
    "RoomToDrill",
    "placement_layers",
    "room_to_drill",
]


# building categories whose footprints own the ground around them (sheds do not)
_MAIN = ("ground_bound", "apartments", "non_residential")


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
    layers : dict
        Which input layers the placement used and which were missing: layer (Dutch, as the
        design sheet names it) -> what was used, or ``"niet gegeven: ..."`` and what that
        means (:func:`placement_layers`).
    """

    groups: pd.DataFrame
    boreholes: gpd.GeoDataFrame
    drillable: gpd.GeoDataFrame
    exclusions: gpd.GeoDataFrame
    ground: gpd.GeoDataFrame | None = None
    layers: dict[str, str] = field(default_factory=dict)

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


MISSING = "niet gegeven"


def placement_layers(
    *,
    terrain: bool,
    roads: str | None,
    trees: bool,
    sewers: bool,
    water: bool,
    parcels: bool,
    reach_m: float,
) -> dict[str, str]:
    """Say, in Dutch for the design sheet and tender, which layers placed the loops.

    `roads` is ``"surfaces"`` (BGT wegdeel), ``"centrelines"`` (NWB, OSM) or None.

    Examples
    --------
    >>> placement_layers(terrain=False, roads=None, trees=False, sewers=False, water=False,
    ...                  parcels=False, reach_m=15)["wegen"]
    'niet gegeven: de openbare weg is onbekend; een lus kan in de straat liggen'
    """
    road_text = {
        "surfaces": "wegvlakken (BGT wegdeel), lussen 0,5 m ervan af",
        "centrelines": "wegassen (NWB of OSM), gerekend als 6 m brede weg, lussen 0,5 m ervan af",
        None: f"{MISSING}: de openbare weg is onbekend; een lus kan in de straat liggen",
    }
    return {
        "open grond": "BGT-terreindelen (tuinen, erven, bermen)"
        if terrain
        else f"{MISSING}: alle grond binnen {reach_m:g} m van de woningen die geen gebouw, "
        "weg of water is",
        "wegen": road_text.get(roads, road_text[None]),
        "bomen": "boomlaag: kroonprojectie + 1,5 m vrij"
        if trees
        else f"{MISSING}: afstand tot bomen niet gecontroleerd",
        "riool": "rioollaag: halve diameter + 1 m vrij"
        if sewers
        else f"{MISSING}: afstand tot riolering niet gecontroleerd",
        "water": "waterlaag: 2 m vrij"
        if water
        else f"{MISSING}: afstand tot water niet gecontroleerd",
        "percelen": "kadastrale percelen: alleen op eigen grond van de deelnemers"
        if parcels
        else f"{MISSING}: eigendom van de grond niet gecontroleerd",
    }


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
    # Long function: the stage's loop over the groups, placing and sizing on spatial indexes built
    # once for all of them
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
    surface, pieces, tile_of = cut_tiles(geoms, TILE_M, labels)
    if reach is not None and len(pieces):
        near = np.unique(reach.query(pieces, predicate="intersects")[0])
        surface, pieces, tile_of = surface[near], pieces[near], tile_of[near]
    pieces = subtract_zones(pieces, np.asarray(exclusions.geometry.values), tile_of)
    keep = ~shapely.is_empty(pieces)
    surface, pieces = surface[keep], pieces[keep]
    # the drillable ground as pieces of at most one tile (merging them costs more than it
    # gives: the layer is for looking at)
    drillable = gpd.GeoDataFrame({"surface": surface}, geometry=pieces, crs=ground.crs)
    main = buildings[buildings["category"].isin(_MAIN)] if "category" in buildings else buildings
    owner = main["mini_net_id"].astype(object).where(main["mini_net_id"].notna(), None).to_numpy()
    tree = shapely.STRtree(main.geometry.values)
    index = shapely.STRtree(pieces)

    placed: dict[str, np.ndarray] = {}
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

        def nearest_own(points: np.ndarray, gid: str = gid) -> np.ndarray:
            """Tell which candidates have one of the group's buildings as nearest main building."""
            return np.asarray(owner[tree.nearest(shapely.points(points))] == gid)

        own: Callable[[np.ndarray], np.ndarray] = nearest_own
        if parcel_tree is not None and area is not None:
            own = _parcel_filter(area, mine, parcel_tree, built, nearest_own)

        taken = np.concatenate([others, *placed.values()])
        spots = place_loops(
            area, need, min_spacing_m=bp.spacing_m, grid_m=p.grid_m, taken=taken, keep=own
        )
        ground_m2 = own_area(area, own, p.grid_m)
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
    size_on_positions(groups, mini_nets, placed, p, bp, full_load_hours, others)
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
        geometry=gpd.GeoSeries(np.asarray(points, dtype=object), crs=mini_nets.crs or settings.crs),
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
    area: Any,
    mine: np.ndarray,
    parcel_tree: shapely.STRtree,
    built: np.ndarray,
    nearest_own: Callable[..., Any],
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
        return np.asarray(mine_ok | (public & nearest_own(points)))

    return keep
