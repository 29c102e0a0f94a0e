"""Free trench corridors: road surface minus tree root zones and sewer clearances.

Method (docs/method.md §1): the road surface (NWB centrelines drawn at their width, or BGT
``wegdeel`` polygons of usable functions) minus obstacle zones — sewers buffered by a
clearance (1.0 m, plus half the pipe diameter when known), trees by crown radius + 1.5 m
("kwetsbare boomzone", Handboek Bomen) — is the free corridor. A pipe trench of width *w*
(1.2 m for a steel MT pipe pair) fits where the free space survives a morphological
opening with a disc of diameter *w*: the trench centreline must stay in the free space
eroded by *w*/2. Per road segment the check runs on cross-sections (transects) at stations
every ``station_spacing_m`` along the centreline:

* ``road_width_m`` / ``free_width_m``: median over the stations of the road cross-section and
  of its widest free piece (the robust width measure; ``min_free_width_m`` is the minimum);
* a station is **blocked** when its cross-section misses the eroded free space;
* ``passable``: no station is blocked *and* one connected piece of the eroded free space
  reaches every station (eroded stretches linked where they overlap at consecutive
  stations), so the trench runs continuously along the whole segment;
* ``blocked_by``: per blocked station, the obstacle kinds whose removal would unblock it
  (``"tree"``, ``"sewer"``, ``"tree+sewer"``; ``"narrow"`` when the bare road is already
  too narrow); per segment the cause with the longest blocked length.

The cross-sections are evaluated in closed form, without polygon overlays or negative
buffers (:mod:`warmtegis._transects`): the eroded free space on a cross-section is the road
section minus the stretches within *w*/2 of the surface edges and minus the obstacle zones
grown by *w*/2 ((A ∖ B) ⊖ D = (A ⊖ D) ∖ (B ⊕ D)).

When only road polygons exist (BGT), centrelines are derived from the carriageway polygons
with :func:`pygeoops.centerline` (a Voronoi skeleton with branch pruning) and split at
junctions into segments.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.validate import check_frame
from warmtegis.corridors import transects as _tx
from warmtegis.corridors.transects import Intervals, Transects
from warmtegis.params.parameters import CorridorParams

__all__ = [
    "CROWN_DIAMETER_BY_HEIGHT",
    "CorridorParams",
    "Corridors",
    "analyse_corridors",
    "corridors_layers",
    "crown_diameter_from_height",
    "derive_centrelines",
    "obstacle_zones",
    "road_surface",
]

_LINES = ("LineString", "MultiLineString")
_POLYGONS = ("Polygon", "MultiPolygon")

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



@dataclass
class Corridors:
    """Linked outputs of the corridor analysis (each a GeoDataFrame in EPSG:28992).

    Attributes
    ----------
    surface : geopandas.GeoDataFrame
        Usable road surface (one row per road polygon or buffered centreline).
    obstacles : geopandas.GeoDataFrame
        Obstacle zones: ``kind``, ``source_id``, ``buffer_m``.
    free_corridors : geopandas.GeoDataFrame
        Free space, one row per street (``street_name``) or connected piece: ``area_m2``.
    road_segments : geopandas.GeoDataFrame
        Per segment: ``segment_id, length_m, road_width_m, free_width_m, min_free_width_m,
        passable, blocked_length_m, blocked_by``.
    bottlenecks : geopandas.GeoDataFrame
        Stretches where the trench does not fit: ``segment_id, reason, length_m, n_trees``.
    params : CorridorParams
        The parameters used.
    """

    surface: gpd.GeoDataFrame
    obstacles: gpd.GeoDataFrame
    free_corridors: gpd.GeoDataFrame
    road_segments: gpd.GeoDataFrame
    bottlenecks: gpd.GeoDataFrame
    params: CorridorParams

    def summary(self) -> list[tuple[str, float, str]]:
        """Headline figures as ``(key, value, unit)`` rows."""
        seg = self.road_segments
        total = float(seg["length_m"].sum())
        ok = float(seg.loc[seg["passable"], "length_m"].sum())
        return [
            ("street_length", total / 1000, "km"),
            ("passable_street_length", ok / 1000, "km"),
            ("passable_share", 100 * ok / total if total else 0.0, "%"),
            ("blocked_length", float(seg["blocked_length_m"].sum()) / 1000, "km"),
            ("bottlenecks", len(self.bottlenecks), "count"),
            ("road_area", float(self.surface.area.sum()) / 1e4, "ha"),
            ("free_corridor_area", float(self.free_corridors["area_m2"].sum()) / 1e4, "ha"),
            ("trench_width", self.params.trench_m, "m"),
        ]


# --------------------------------------------------------------------------- obstacles
def crown_diameter_from_height(height_m: np.ndarray | pd.Series) -> np.ndarray:
    """Median crown diameter (m) for tree heights (m) by the measured table of docs/method.md §1.

    Heights on a class boundary belong to the lower class (6 m -> "<=6"); NaN stays NaN.
    """
    h = np.asarray(height_m, dtype=float)
    uppers = np.array([u for u, _ in CROWN_DIAMETER_BY_HEIGHT])
    crowns = np.array([c for _, c in CROWN_DIAMETER_BY_HEIGHT])
    idx = np.searchsorted(uppers, np.nan_to_num(h, nan=0.0), side="left")
    return np.where(np.isnan(h), np.nan, crowns[np.minimum(idx, len(crowns) - 1)])


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
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
    """
    return _obstacles(sewers, trees, extra, params)[0]


def _obstacles(
    sewers: gpd.GeoDataFrame | None,
    trees: gpd.GeoDataFrame | None,
    extra: Mapping[str, tuple[gpd.GeoDataFrame, float]] | None,
    params: CorridorParams | None,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Obstacle zones and, per zone, the source geometry it buffers by ``buffer_m``."""
    p = params or CorridorParams()
    parts: list[gpd.GeoDataFrame] = []
    if sewers is not None and len(sewers):
        diam = sewers["diameter_m"].to_numpy(float) if "diameter_m" in sewers else np.nan
        buf = p.sewer_clearance_m + np.nan_to_num(np.asarray(diam, float) / 2, nan=0.0)
        buf = np.broadcast_to(buf, (len(sewers),))
        parts.append(
            gpd.GeoDataFrame(
                {
                    "kind": "sewer",
                    "source_id": sewers["sewer_id"].astype(str).to_numpy(),
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
            np.where(~np.isnan(from_height), from_height, p.unknown_crown_radius_m),
        )
        source = np.where(
            ~np.isnan(crown), "crown", np.where(~np.isnan(from_height), "height", "default")
        )
        buf = radius + p.tree_root_margin_m
        parts.append(
            gpd.GeoDataFrame(
                {
                    "kind": "tree",
                    "source_id": trees["tree_id"].astype(str).to_numpy(),
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
                geometry=gdf.to_crs(settings.crs).geometry.values,
                crs=settings.crs,
            )
        )
    if not parts:
        return _empty(["kind", "source_id", "buffer_m"]), np.empty(0, dtype=object)
    sources = np.concatenate([part.geometry.values for part in parts])
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
    out[out.geometry.name] = shapely.buffer(
        out.geometry.values, out["buffer_m"].to_numpy(float), quad_segs=16
    )
    counts = out["kind"].value_counts().to_dict()
    log(f"obstacles: {len(out)} zones {counts}")
    return out, sources


# --------------------------------------------------------------------------- road surface
def _is_surface(roads: gpd.GeoDataFrame) -> bool:
    """Tell whether `roads` are road polygons (BGT surfaces) rather than centrelines."""
    return roads.attrs.get("road_kind") == "surfaces" or bool(
        roads.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    )


def _widths(roads: gpd.GeoDataFrame, p: CorridorParams) -> np.ndarray:
    given = roads["width_m"].to_numpy(float) if "width_m" in roads else np.full(len(roads), np.nan)
    types = (
        roads["road_type"].astype("string")
        if "road_type" in roads
        else pd.Series(pd.NA, index=roads.index, dtype="string")
    )
    default = types.map(
        lambda t: (
            p.road_width_by_type.get(str(t), p.default_road_width_m)
            if pd.notna(t)
            else p.default_road_width_m
        )
    ).to_numpy(float)
    return np.where(np.isnan(given), default, given)


def road_surface(roads: gpd.GeoDataFrame, params: CorridorParams | None = None) -> gpd.GeoDataFrame:
    """Usable road surface: centrelines drawn at their width, or BGT polygons of usable functions.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons with ``segment_id``, ``road_type`` and (centrelines) ``width_m`` used.
    """
    p = params or CorridorParams()
    if _is_surface(roads):
        keep = (
            roads["road_type"].isin(p.usable_functions).fillna(False).to_numpy(bool)
            if roads["road_type"].notna().any()
            else np.ones(len(roads), bool)
        )
        out = roads.loc[keep, ["segment_id", "road_type", roads.geometry.name]].copy()
        log(
            f"road surface: {int(keep.sum())} of {len(roads)} polygons with usable functions, "
            f"{out.area.sum() / 1e4:.1f} ha"
        )
        return out.reset_index(drop=True)
    width = _widths(roads, p)
    lines = roads.geometry.values
    polys = shapely.buffer(lines, width / 2, quad_segs=8, cap_style="flat")
    # flat caps end a street exactly at its end node; where segments meet, a disc of the
    # widest meeting road's half-width fills the wedge between the flat ends
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(lines, 0)),
            shapely.get_coordinates(shapely.get_point(lines, -1)),
        ]
    )
    owner = np.tile(np.arange(len(lines)), 2)
    frame = pd.DataFrame(
        {
            "x": ends[:, 0].round(2),
            "y": ends[:, 1].round(2),
            "seg": owner,
            "half": np.tile(width / 2, 2),
        }
    )
    nodes = (
        frame.groupby(["x", "y"])
        .agg(n=("seg", "size"), seg=("seg", "first"), half=("half", "max"))
        .reset_index()
    )
    nodes = nodes[nodes["n"] >= 2]
    if len(nodes):
        discs = shapely.buffer(
            shapely.points(nodes[["x", "y"]].to_numpy()), nodes["half"].to_numpy(), quad_segs=8
        )
        extra = gpd.GeoDataFrame(
            {"seg": nodes["seg"].to_numpy()}, geometry=discs, crs=settings.crs
        ).dissolve("seg")
        idx = extra.index.to_numpy()
        polys = polys.copy()
        polys[idx] = shapely.union(polys[idx], extra.geometry.values)
    out = gpd.GeoDataFrame(
        {
            "segment_id": roads["segment_id"].to_numpy(),
            "road_type": roads["road_type"].to_numpy(),
            "width_m": width,
        },
        geometry=polys,
        crs=settings.crs,
    )
    log(
        f"road surface: {len(out)} centrelines drawn at their width, "
        f"{shapely.union_all(out.geometry.values).area / 1e4:.1f} ha"
    )
    return out


# --------------------------------------------------------------------------- centrelines
def _cached_skeletons(polys: np.ndarray, p: CorridorParams, compute) -> np.ndarray:
    """Return the carriageways' skeletons, computed once per geometry and parameters.

    Kept on disk beside the g-function tables (:func:`warmtegis._gcache.cache_dir`), keyed by
    the polygons' WKB, the skeleton parameters and pygeoops' version: a study run again (other
    parameters downstream, a new session) reads them instead of recomputing the Voronoi step.
    """
    import hashlib
    from importlib import metadata

    from warmtegis.mini_nets.gcache import cache_dir

    digest = hashlib.sha256()
    for part in (
        "centrelines-1", metadata.version("pygeoops"), p.centreline_densify_m,
        p.centreline_min_branch_m, p.centreline_simplify_m,
    ):  # fmt: skip
        digest.update(repr(part).encode())
    for wkb in shapely.to_wkb(polys):
        digest.update(wkb)
    path = cache_dir() / "centrelines" / f"{digest.hexdigest()}.npy"
    if path.is_file():
        try:
            stored = np.load(path, allow_pickle=False)
            lines = shapely.from_wkb(stored)
            if len(lines) == len(polys):
                return lines
        except (OSError, ValueError, shapely.errors.GEOSException):
            pass  # a damaged cache file: compute again
    lines = compute()
    try:
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.asarray(shapely.to_wkb(lines), dtype=object).astype(bytes))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache folder: keep going without it
        log(f"centreline cache not written ({path.parent}: {exc.strerror or exc})")
    return lines


def derive_centrelines(
    surfaces: gpd.GeoDataFrame, params: CorridorParams | None = None
) -> gpd.GeoDataFrame:
    """Derive a connected centreline network from BGT carriageway polygons.

    The carriageways are dissolved, skeletonised with :func:`pygeoops.centerline`
    (Voronoi skeleton, short branches pruned), noded and split at every junction, so each
    segment runs from junction (or dead end) to junction.

    Returns
    -------
    geopandas.GeoDataFrame
        LineStrings with ``segment_id`` (``"c1"``, ``"c2"``, ...), ``node_from``, ``node_to``
        (junction ids from rounded end coordinates), ``road_type`` ``"derived"``.
    """
    import pygeoops

    p = params or CorridorParams()
    carriage = surfaces[surfaces["road_type"].isin(p.carriageway_functions).fillna(False)]
    if len(carriage) == 0:
        raise InputError(
            "no carriageway polygons to derive centrelines from: none of the road surfaces has a "
            f"function in {list(p.carriageway_functions)} (parameter carriageway_functions)"
        )
    polys = shapely.get_parts(shapely.union_all(carriage.geometry.values))
    if p.centreline_simplify_m > 0:
        polys = shapely.simplify(polys, p.centreline_simplify_m)

    def skeleton(poly: shapely.Geometry) -> shapely.Geometry:
        return pygeoops.centerline(
            poly,
            densify_distance=p.centreline_densify_m,
            min_branch_length=p.centreline_min_branch_m,
            simplifytolerance=-0.25,
        )

    def skeletons() -> np.ndarray:
        # one skeleton per connected carriageway; GEOS releases the GIL in the Voronoi step,
        # so threads (largest parts first) use every core
        order = np.argsort(-shapely.get_num_coordinates(polys), kind="stable")
        out = np.empty(len(polys), dtype=object)
        with ThreadPoolExecutor(max_workers=min(len(polys), os.cpu_count() or 1)) as pool:
            out[order] = list(pool.map(skeleton, polys[order]))
        return out

    lines = _cached_skeletons(polys, p, skeletons)
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    noded = shapely.node(shapely.union_all(lines))
    segs = shapely.get_parts(shapely.line_merge(noded))
    segs = segs[shapely.length(segs) > 0.5]
    # line_merge joins through degree-2 nodes only, so segment ends are junctions or dead ends
    start = shapely.get_coordinates(shapely.get_point(segs, 0))
    end = shapely.get_coordinates(shapely.get_point(segs, -1))

    def key(xy: np.ndarray) -> list[str]:
        return [f"{x:.1f},{y:.1f}" for x, y in np.round(xy, 1).tolist()]

    out = gpd.GeoDataFrame(
        {
            "segment_id": [f"c{i + 1}" for i in range(len(segs))],
            "node_from": key(start),
            "node_to": key(end),
            "road_type": "derived",
            "street_name": pd.NA,
            "width_m": np.nan,
        },
        geometry=segs,
        crs=settings.crs,
    )
    out.attrs["road_kind"] = "centrelines"
    log(
        f"centrelines: derived {len(out)} segments, {shapely.length(segs).sum() / 1000:.1f} km "
        f"from {len(carriage)} carriageway polygons"
    )
    return out


# --------------------------------------------------------------------------- stations
def _stations(lines: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stations at interval midpoints: (segment index, distance along, interval length)."""
    length = shapely.length(lines)
    n = np.maximum(1, np.ceil(length / spacing).astype(int))
    seg = np.repeat(np.arange(len(lines)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    step = length / n
    return seg, (k + 0.5) * step[seg], step[seg]


def _transects(lines: np.ndarray, seg: np.ndarray, dist: np.ndarray, half: np.ndarray) -> Transects:
    """Perpendicular cross-sections of half-length `half` at the stations."""
    length = shapely.length(lines)[seg]
    d = 0.25
    a = shapely.line_interpolate_point(lines[seg], np.clip(dist - d, 0, length))
    b = shapely.line_interpolate_point(lines[seg], np.clip(dist + d, 0, length))
    centre = shapely.get_coordinates(shapely.line_interpolate_point(lines[seg], dist))
    ab = shapely.get_coordinates(b) - shapely.get_coordinates(a)
    norm = np.hypot(ab[:, 0], ab[:, 1])
    norm[norm == 0] = 1.0
    normal = np.column_stack([-ab[:, 1] / norm, ab[:, 0] / norm])
    return Transects(centre - normal * half[:, None], normal, 2 * half)


def _sections(t: Transects, surface: Intervals) -> Intervals:
    """Per transect, the dissolved surface interval containing (or nearest) its centre."""
    if len(surface.tr) == 0:
        return surface
    centre = t.length[surface.tr] / 2
    gap = np.maximum(0, np.maximum(surface.t0 - centre, centre - surface.t1))
    order = np.lexsort((gap, surface.tr))
    first = order[np.r_[True, surface.tr[order][1:] != surface.tr[order][:-1]]]
    return surface.take(first)


# --------------------------------------------------------------------------- main analysis
def analyse_corridors(
    roads: gpd.GeoDataFrame,
    *,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    extra: Mapping[str, tuple[gpd.GeoDataFrame, float]] | None = None,
    centrelines: gpd.GeoDataFrame | None = None,
    params: CorridorParams | None = None,
) -> Corridors:
    """Derive free trench corridors, per-segment passability and bottlenecks.

    Parameters
    ----------
    roads
        Output of :func:`~warmtegis.read_roads`: centrelines (NWB/OSM) or surfaces (BGT).
    sewers, trees
        Outputs of :func:`~warmtegis.read_sewers` and :func:`~warmtegis.read_trees`.
    extra
        Further obstacles: kind -> (line/polygon GeoDataFrame, clearance in m).
    centrelines
        Segments to report on when `roads` are surfaces; derived from the carriageways
        (:func:`derive_centrelines`) when None.
    params
        Corridor parameters; defaults when None.

    Returns
    -------
    Corridors
        Obstacles, free corridors, road segments and bottlenecks.

    Examples
    --------
    >>> import warmtegis as wg
    >>> from warmtegis.datasets import get_path
    >>> c = wg.analyse_corridors(wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg")))
    >>> seg = c.road_segments
    >>> round(float(seg["length_m"].sum()) / 1000, 1), bool(seg["passable"].all())
    (27.5, True)
    """
    p = (params or CorridorParams()).resolved()
    w = p.trench_m
    roads = check_frame(roads, what="roads", geometry_types=_LINES + _POLYGONS)
    if sewers is not None:
        sewers = check_frame(sewers, what="sewers", geometry_types=_LINES)
    if trees is not None:
        trees = check_frame(trees, what="trees", geometry_types=("Point", "MultiPoint"))
    if centrelines is not None:
        centrelines = check_frame(centrelines, what="centrelines", geometry_types=_LINES)
    if extra:
        extra = {
            kind: (check_frame(gdf, what=f"obstacles {kind!r}"), clearance)
            for kind, (gdf, clearance) in extra.items()
        }
    surface = road_surface(roads, p)
    if len(surface) == 0:
        raise InputError(
            "no usable road surface: no road polygon has a function in "
            f"{list(p.usable_functions)} (parameter usable_functions)"
        )
    is_surface = _is_surface(roads)
    if is_surface:
        segments = centrelines if centrelines is not None else derive_centrelines(roads, p)
        half = np.full(len(segments), p.max_half_width_m)
        road_width = None
    else:
        segments = roads
        road_width = surface["width_m"].to_numpy(float)
        half = road_width / 2 + 1e-6
    segments = segments.reset_index(drop=True)
    if len(segments) == 0:
        raise InputError("no road segments to analyse (no centrelines, or none derived)")
    lines = np.asarray(segments.geometry.values, dtype=object)  # plain arrays: no pandas dispatch

    obstacles, sources = _obstacles(sewers, trees, extra, p)
    surf_union = shapely.union_all(surface.geometry.values)
    # only obstacles touching the surface matter
    if len(obstacles):
        hit = shapely.STRtree(obstacles.geometry.values).query(
            shapely.get_parts(surf_union), predicate="intersects"
        )[1]
        keep = np.unique(hit)
        obstacles, sources = obstacles.iloc[keep].reset_index(drop=True), sources[keep]
    # the free-space polygons are only needed for the free_corridors layer: GEOS computes
    # them in a second thread (it releases the GIL) while the stations are checked
    pool = ThreadPoolExecutor(max_workers=1)
    free_space = pool.submit(_free_space, surf_union, obstacles.geometry.values)
    pool.shutdown(wait=False)  # the thread ends with its one task, also if a check fails

    # stations and cross-sections, worked in 1D along each transect (see _transects)
    seg, dist, step = _stations(lines, p.station_spacing_m)
    # a trench has a round end of radius w/2: stations closer than that to a segment end are
    # checked at w/2 from the end (or at the middle of segments shorter than w)
    length = shapely.length(lines)[seg]
    at = np.where(length > w, np.clip(dist, w / 2 + 1e-3, length - w / 2 - 1e-3), length / 2)
    kind = obstacles["kind"].to_numpy(object)
    surf_edges = _tx.Edges(shapely.get_parts(surf_union), reach=w / 2)
    # obstacles as their sources (tree points, sewer lines, ...) and buffer distances: the
    # zones are then exact discs and capsules, and cheap (few edges) to intersect
    buffer_m = obstacles["buffer_m"].to_numpy(float)
    obst_edges = _tx.Edges(sources, reach=float(np.max(buffer_m, initial=0.0)) + w / 2)
    # stations in batches of whole segments: the work per station is independent, so the
    # arrays stay small and the cost grows linearly with the street length
    checks = [
        _check_stations(
            _transects(lines, seg[lo:hi], at[lo:hi], half[seg[lo:hi]]),
            seg[lo:hi],
            surf_edges,
            obst_edges,
            buffer_m,
            kind,
            w,
        )
        for lo, hi in _batches(seg, _BATCH_STATIONS)
    ]
    section_len, widest, ok, cause = (
        np.concatenate([getattr(c, f) for c in checks])
        for f in ("section_len", "widest", "ok", "cause")
    )
    offsets = np.cumsum([0] + [len(c.ok) for c in checks[:-1]])
    trees_at = (
        np.concatenate([c.trees_at[0] + o for c, o in zip(checks, offsets, strict=True)]),
        np.concatenate([c.trees_at[1] for c in checks]),
    )
    continuous = np.zeros(len(lines), bool)
    for c in checks:
        continuous[c.segments] = c.continuous
    blocked = ~ok

    # per segment
    blocked_len = np.bincount(seg, weights=blocked * step, minlength=len(lines))

    def med(values: np.ndarray) -> np.ndarray:
        return pd.Series(values).groupby(seg).median().reindex(range(len(lines))).to_numpy(float)

    out = gpd.GeoDataFrame(
        {
            "segment_id": segments["segment_id"].astype(str).to_numpy(),
            "street_name": segments["street_name"].to_numpy()
            if "street_name" in segments
            else pd.NA,
            "length_m": shapely.length(lines),
            "road_width_m": road_width if road_width is not None else med(section_len),
            "free_width_m": med(widest),
            "min_free_width_m": pd.Series(widest)
            .groupby(seg)
            .min()
            .reindex(range(len(lines)))
            .to_numpy(float),
            "passable": (blocked_len == 0) & continuous,
            "blocked_length_m": blocked_len,
            "blocked_by": _dominant(seg, cause, step, len(lines)),
        },
        geometry=lines,
        crs=settings.crs,
    )
    # blocked nowhere but no continuous piece: report as blocked by the obstacles present
    gap = ~out["passable"] & (out["blocked_length_m"] == 0)
    present = sorted(set(kind))
    out.loc[gap, "blocked_by"] = "tree+sewer" if len(present) > 1 else next(iter(present), "narrow")
    for col in ("node_from", "node_to", "road_type"):
        if col in segments:
            out[col] = segments[col].to_numpy()

    bottlenecks = _bottlenecks(out, seg, dist, blocked, cause, step, trees_at)
    obst_union, free = free_space.result()
    free_corridors = _free_corridors(surface, segments, obst_union, free, is_surface)
    log(
        f"corridors: {len(out)} segments, {out['length_m'].sum() / 1000:.1f} km, "
        f"{out['passable'].mean() * 100:.0f}% of segments passable for a {w} m trench, "
        f"{len(bottlenecks)} bottlenecks"
    )
    return Corridors(
        surface=surface,
        obstacles=obstacles,
        free_corridors=free_corridors,
        road_segments=out,
        bottlenecks=bottlenecks,
        params=p,
    )


_BATCH_STATIONS = 20_000


def _batches(seg: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Station ranges [lo, hi) of about `size` stations that never split a segment."""
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    at = np.minimum(np.searchsorted(starts, np.arange(0, len(seg), size)), len(starts) - 1)
    bounds = np.r_[np.unique(starts[at]), len(seg)]
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


@dataclass
class _StationChecks:
    """Per-station results of one batch (see :func:`_check_stations`)."""

    section_len: np.ndarray
    widest: np.ndarray
    ok: np.ndarray
    cause: np.ndarray
    segments: np.ndarray
    continuous: np.ndarray
    trees_at: tuple[np.ndarray, np.ndarray]


def _check_stations(
    tr: Transects,
    seg: np.ndarray,
    surf_edges: _tx.Edges,
    obst_edges: _tx.Edges,
    buffer_m: np.ndarray,
    kind: np.ndarray,
    w: float,
) -> _StationChecks:
    """Road section, widest free piece, trench fit and cause at each station of a batch."""
    n_st = len(seg)
    section = _sections(tr, _tx.merge(_tx.inside(tr, surf_edges)))
    has_section = section.present(n_st)
    section_len = np.zeros(n_st)
    section_len[section.tr] = section.t1 - section.t0
    # from here on only the road section of each transect matters
    part = tr.sub(section.tr, section.t0, section.t1)
    # each zone is its source's buffer: the inside of polygon sources plus the band within
    # buffer_m of the source's edges (discs round tree points, capsules along sewer lines)
    in_source = _tx.inside(part, obst_edges)
    in_obstacle = _tx.Intervals.concat(in_source, _tx.near(part, obst_edges, buffer_m))
    in_obstacle = in_obstacle.lift(section.tr, section.t0)
    widest = _tx.difference(section, in_obstacle).longest(n_st)
    # the trench centre may lie where a disc of radius w/2 fits: the section eroded from the
    # surface edges, minus the obstacle zones dilated by w/2 (owner = obstacle row)
    near_edge = _tx.near(part, surf_edges, w / 2).lift(section.tr, section.t0)
    eroded_surface = _tx.difference(section, near_edge)
    dilated = _tx.Intervals.concat(in_source, _tx.near(part, obst_edges, buffer_m + w / 2))
    dilated = dilated.lift(section.tr, section.t0)
    eroded = _tx.difference(eroded_surface, dilated)
    ok = eroded.present(n_st)
    segments, local = np.unique(seg, return_inverse=True)
    continuous = _continuous(eroded, local, np.bincount(local))
    cause = np.full(n_st, "", dtype=object)
    cause[~ok] = _causes(~ok, has_section, eroded_surface, dilated, kind)
    trees = dilated.take(kind[dilated.owner] == "tree")
    return _StationChecks(
        section_len,
        widest,
        ok,
        cause,
        segments,
        continuous,
        # the trees involved: those whose zone, grown by w/2, reaches the road section (the
        # dilated intervals were computed on the sections only)
        (trees.tr, trees.owner),
    )


def _continuous(eroded: _tx.Intervals, seg: np.ndarray, n_stations: np.ndarray) -> np.ndarray:
    """Per segment: one connected piece of the eroded free space reaches all its stations.

    Pieces are the eroded intervals linked where they overlap across consecutive stations of
    a segment (1 m apart by default: the trench centre can move straight from one to the
    next); a segment is continuous when one linked group has an interval at every station.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(n_stations)
    m = len(eroded.tr)
    if m == 0:
        return np.zeros(n, bool)
    iv = pd.DataFrame({"tr": eroded.tr, "t0": eroded.t0, "t1": eroded.t1, "id": np.arange(m)})
    nxt = iv.assign(tr=iv["tr"] - 1)
    pairs = iv.merge(nxt, on="tr", suffixes=("", "_n"))
    same = seg[pairs["tr"].to_numpy()] == seg[np.minimum(pairs["tr"].to_numpy() + 1, len(seg) - 1)]
    link = (
        same & (pairs["t0"] <= pairs["t1_n"]).to_numpy() & (pairs["t0_n"] <= pairs["t1"]).to_numpy()
    )
    graph = coo_matrix(
        (np.ones(int(link.sum())), (pairs["id"].to_numpy()[link], pairs["id_n"].to_numpy()[link])),
        shape=(m, m),
    )
    _, label = connected_components(graph, directed=False)
    reach = (
        pd.DataFrame({"seg": seg[eroded.tr], "label": label, "tr": eroded.tr})
        .drop_duplicates()
        .groupby(["seg", "label"])
        .size()
        .groupby(level=0)
        .max()
    )
    return reach.reindex(range(n), fill_value=0).to_numpy() == n_stations


def _causes(
    blocked: np.ndarray,
    has_section: np.ndarray,
    eroded_surface: _tx.Intervals,
    dilated: _tx.Intervals,
    kind: np.ndarray,
) -> np.ndarray:
    """Cause of each blocked station: which obstacle kinds, removed, would let the trench pass."""
    n = len(blocked)
    surf = eroded_surface.take(blocked[eroded_surface.tr])
    obst = dilated.take(blocked[dilated.tr])
    kinds = set(kind[obst.owner])

    def passes(without: set[str]) -> np.ndarray:
        rest = obst.take(~np.isin(kind[obst.owner], list(without)))
        return _tx.difference(surf, rest).present(n)[blocked]

    bare = surf.present(n)[blocked]
    no_tree = passes({"tree"}) if "tree" in kinds else np.zeros(blocked.sum(), bool)
    no_sewer = passes({"sewer"}) if "sewer" in kinds else np.zeros(blocked.sum(), bool)
    others = sorted(kinds - {"tree", "sewer"})
    both = passes({"tree", "sewer"}) if others else bare
    label = np.select(
        [~bare, no_tree & ~no_sewer, no_sewer & ~no_tree, both],
        ["narrow", "tree", "sewer", "tree+sewer"],
        default="+".join(others) if others else "tree+sewer",
    )
    return np.where(has_section[blocked], label, "narrow")


def _dominant(group: np.ndarray, cause: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Per group 0..n-1, the cause with the largest total weight ('' for groups without one).

    Ties go to the alphabetically first cause.
    """
    out = np.full(n, "", dtype=object)
    mask = cause != ""
    if not mask.any():
        return out
    frame = pd.DataFrame({"g": group[mask], "cause": cause[mask], "w": weight[mask]})
    tot = frame.groupby(["g", "cause"])["w"].sum().reset_index()
    tot = tot.sort_values(["g", "w", "cause"], ascending=[True, False, True])
    top = tot.drop_duplicates("g")
    out[top["g"].to_numpy()] = top["cause"].to_numpy()
    return out


def _bottlenecks(
    segments: gpd.GeoDataFrame,
    seg: np.ndarray,
    dist: np.ndarray,
    blocked: np.ndarray,
    cause: np.ndarray,
    step: np.ndarray,
    trees_at: tuple[np.ndarray, np.ndarray],
) -> gpd.GeoDataFrame:
    """Turn runs of consecutive blocked stations into stretches with reason and tree count.

    `trees_at` pairs stations with the trees whose root zone (dilated by half the trench
    width) reaches the station's road section: those are the trees involved.
    """
    cols = ["segment_id", "reason", "length_m", "n_trees"]
    if not blocked.any():
        return _empty(cols)
    idx = np.flatnonzero(blocked)
    new_run = np.r_[True, (np.diff(idx) != 1) | (seg[idx][1:] != seg[idx][:-1])]
    run = np.cumsum(new_run) - 1
    n_runs = int(run[-1]) + 1
    first = np.flatnonzero(new_run)
    last = np.r_[first[1:], len(idx)] - 1
    start = dist[idx][first] - step[idx][first] / 2
    end = dist[idx][last] + step[idx][last] / 2
    run_seg = seg[idx][first]
    lines = segments.geometry.values[run_seg]
    geoms = np.array(
        [substring(line, s, e) for line, s, e in zip(lines, start, end, strict=True)],
        dtype=object,
    )
    run_of = np.full(len(blocked), -1)
    run_of[idx] = run
    st, tree = trees_at
    in_run = run_of[st] >= 0
    hits = np.unique(np.column_stack([run_of[st][in_run], tree[in_run]]), axis=0)
    return gpd.GeoDataFrame(
        {
            "segment_id": segments["segment_id"].to_numpy()[run_seg],
            "reason": _dominant(run, cause[idx], step[idx], n_runs),
            "length_m": np.bincount(run, weights=step[idx], minlength=n_runs),
            "n_trees": np.bincount(hits[:, 0], minlength=n_runs)
            if len(hits)
            else np.zeros(n_runs, int),
        },
        geometry=geoms,
        crs=settings.crs,
    )


def _free_space(
    surface: shapely.Geometry, zones: np.ndarray
) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Union of the obstacle zones, and the road surface minus it."""
    union = shapely.union_all(zones) if len(zones) else shapely.Polygon()
    return union, shapely.difference(surface, union)


def _free_corridors(
    surface: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    obst_union: shapely.Geometry,
    free: shapely.Geometry,
    is_surface: bool,
) -> gpd.GeoDataFrame:
    """Free space dissolved per street (named centrelines) or per connected piece (surfaces)."""
    names = segments.get("street_name")
    if not is_surface and names is not None and names.notna().any():
        keys = names.fillna("").astype(str).to_numpy()
        per = surface.assign(street_name=keys).dissolve("street_name").reset_index()
        geoms = shapely.difference(per.geometry.values, obst_union)
        # crossing streets overlap at junctions: the junction goes to the first street by
        # name, so the pieces are disjoint and their areas add up (STRtree: per-street work)
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        earlier = right < left
        if earlier.any():
            claimed = pd.Series(right[earlier]).groupby(left[earlier]).agg(list)
            for i, js in claimed.items():
                geoms[i] = shapely.difference(geoms[i], shapely.union_all(geoms[js]))
        out = gpd.GeoDataFrame(
            {"street_name": per["street_name"].replace("", pd.NA)}, geometry=geoms, crs=settings.crs
        )
    else:
        parts = shapely.get_parts(free)
        out = gpd.GeoDataFrame(
            {"street_name": pd.Series(pd.NA, index=range(len(parts)), dtype="string")},
            geometry=parts,
            crs=settings.crs,
        )
    out = out[~out.geometry.is_empty].reset_index(drop=True)
    out["area_m2"] = out.area
    return out


def corridors_layers(c: Corridors) -> dict[str, gpd.GeoDataFrame]:
    """Return the GeoPackage layers of the stage under their docs/outputs.md names."""
    return {
        "obstacles": c.obstacles,
        "free_corridors": c.free_corridors,
        "road_segments": c.road_segments,
        "bottlenecks": c.bottlenecks,
    }
