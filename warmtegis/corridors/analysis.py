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
buffers (:mod:`warmtegis.corridors.transects`): the eroded free space on a cross-section is the road
section minus the stretches within *w*/2 of the surface edges and minus the obstacle zones
grown by *w*/2 ((A ∖ B) ⊖ D = (A ⊖ D) ∖ (B ⊕ D)).

When only road polygons exist (BGT), centrelines are derived from the carriageway polygons
with :func:`pygeoops.centerline` (a Voronoi skeleton with branch pruning) and split at
junctions into segments.
"""

from __future__ import annotations

import itertools
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
from warmtegis.corridors.obstacles import corridor_obstacles, empty_layer
from warmtegis.corridors.surface import derive_centrelines, is_surface, road_surface
from warmtegis.corridors.transects import Intervals, Transects
from warmtegis.params.street import CorridorParams

__all__ = ["Corridors", "analyse_corridors", "corridors_layers"]


_LINES = ("LineString", "MultiLineString")


_POLYGONS = ("Polygon", "MultiPolygon")


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

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> c = demo_result().corridors
    >>> s = c.road_segments
    >>> bool((s["free_width_m"] <= s["road_width_m"] + 1e-9).all())  # free space is in the road
    True
    >>> sorted(set(c.bottlenecks["reason"]))
    ['narrow', 'sewer', 'tree', 'tree+sewer']
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
    # Long function: the corridor method step by step on arrays every step shares (stations,
    # transects, interval sets); split, a dozen arrays would pass between the parts
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
    surfaces = is_surface(roads)
    if surfaces:
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

    obstacles, sources = corridor_obstacles(sewers, trees, extra, p)
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
        return np.asarray(
            pd.Series(values).groupby(seg).median().reindex(range(len(lines))).to_numpy(float)
        )

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
    free_corridors = _free_corridors(surface, segments, obst_union, free, surfaces)
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
    return np.asarray(reach.reindex(range(n), fill_value=0).to_numpy() == n_stations)


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
        return np.asarray(_tx.difference(surf, rest).present(n)[blocked])

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
        return empty_layer(cols)
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
