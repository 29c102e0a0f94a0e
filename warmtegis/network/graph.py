"""The street graph a heat network is routed on, with the cost of every edge.

:func:`street_graph` nodes the ``road_segments`` of :mod:`warmtegis.corridors` (or any
centreline layer: NWB wegvakken, centrelines derived from BGT surfaces, OSM edges): end
points closer than ``snap_tolerance_m`` become one junction (tiny digitising gaps close),
NWB junction ids (``node_from``, ``node_to``) join ends up to 10 m apart; separate parts are
reported and, when ``link_components`` is on, joined by the shortest straight link between
them (flagged ``linked``). Edge cost (euro) comes from
:func:`warmtegis.economics.pricing.price_pipes`:
length × the secondary-pipe price × ``impassable_penalty`` where the corridor analysis found
no room for the trench (or such edges are dropped when ``impassable = "forbid"``), +
``crossing_eur`` for every crossing of a barrier line or polygon (water, major roads).
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array, csgraph

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.validate import check_frame
from warmtegis.economics.pricing import price_pipes
from warmtegis.params.costs import CostParams, load_cost_params
from warmtegis.params.street import RoutingParams

__all__ = ["barrier_geoms", "count_crossings", "split_edges", "street_graph"]


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of `n` items joined by pairs ``(a, b)``."""
    m = coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    return np.asarray(csgraph.connected_components(m, directed=False)[1])


def _junctions(segments: gpd.GeoDataFrame, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Junction ids (0..k-1) of every segment's start and end and the junctions' points."""
    lines = segments.geometry.values
    ends = np.r_[shapely.get_point(lines, 0), shapely.get_point(lines, -1)]
    n = len(ends)
    tree = shapely.STRtree(ends)
    a, b = tree.query(ends, predicate="dwithin", distance=tol)
    pairs = [(a, b)]
    if {"node_from", "node_to"} <= set(segments.columns):  # NWB jte ids, OSM node ids
        pairs.append(_id_pairs(segments, ends, tol))
    label = _components(
        n, np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    )
    xy = shapely.get_coordinates(ends)
    cx = np.bincount(label, weights=xy[:, 0]) / np.bincount(label)
    cy = np.bincount(label, weights=xy[:, 1]) / np.bincount(label)
    half = len(lines)
    return np.c_[label[:half], label[half:]], shapely.points(cx, cy)


def _id_pairs(
    segments: gpd.GeoDataFrame, ends: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of line ends that share a junction id and lie up to 10 m (10 x `tol`) apart.

    `ends` holds the start points of all lines, then their end points; ``node_from`` and
    ``node_to`` must follow the lines' direction (NWB; :func:`~warmtegis.read_osm_roads`
    orients OSM's).
    """
    tag = pd.Series(np.r_[segments["node_from"], segments["node_to"]], dtype="string")
    known = np.flatnonzero(tag.notna().to_numpy())
    rep = pd.Series(known).groupby(pd.factorize(tag.iloc[known])[0]).transform("first")
    rep = rep.to_numpy()
    near = shapely.distance(ends[known], ends[rep]) <= max(10.0, 10 * tol)
    return known[near], rep[near]


def street_graph(
    segments: gpd.GeoDataFrame,
    *,
    params: RoutingParams | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    cost_params: CostParams | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node a centreline layer into a street graph's edges and junctions.

    Parameters
    ----------
    segments
        LineStrings with ``segment_id`` and, when known, ``passable`` (from
        :func:`~warmtegis.analyse_corridors`), ``road_type``, ``node_from``/``node_to``.
    params
        Routing parameters.
    barriers
        Lines or polygons (water, railways, ...) whose crossing costs ``crossing_eur``.
    cost_params
        Prices; the default cost file when None.

    Returns
    -------
    edges, nodes : geopandas.GeoDataFrame
        ``edges``: one row per usable segment (and per link) with ``u``, ``v`` (junction
        numbers), ``segment_id``, ``length_m``, ``passable``, ``linked``, ``crossings``,
        ``cost_eur``, ``component``. ``nodes``: junction points with ``node`` and
        ``component``; component 0 is the largest part.

    Examples
    --------
    Two NWB wegvakken meeting end to end are two edges between three junctions:

    >>> from shapely.geometry import LineString
    >>> seg = gpd.GeoDataFrame(
    ...     {"segment_id": ["a", "b"], "passable": [True, False], "road_type": "G"},
    ...     geometry=[LineString([(0, 0), (50, 0)]), LineString([(50, 0), (80, 0)])],
    ...     crs="EPSG:28992")
    >>> edges, nodes = street_graph(seg)
    >>> len(edges), len(nodes), edges["length_m"].tolist()
    (2, 3, [50.0, 30.0])
    """
    p = (params or RoutingParams()).resolved()
    segments = check_frame(
        segments,
        what="road segments",
        columns=("segment_id",),
        geometry_types=("LineString", "MultiLineString"),
    )
    segs = segments.reset_index(drop=True)
    bad = ~segs.geom_type.isin(["LineString"]).to_numpy() | segs.geometry.is_empty.to_numpy()
    if bad.any():
        raise InputError(
            f"street graph: {int(bad.sum())} road segments are not simple LineStrings "
            f"(e.g. segment_id {segs.loc[bad, 'segment_id'].iloc[0]!r}); explode them first"
        )
    passable = (
        segs["passable"].astype(bool).to_numpy() if "passable" in segs else np.ones(len(segs), bool)
    )
    if p.impassable == "forbid":
        segs, passable = segs[passable].reset_index(drop=True), passable[passable]
    uv, points = _junctions(segs, p.snap_tolerance_m)
    edges = gpd.GeoDataFrame(
        {
            "u": uv[:, 0],
            "v": uv[:, 1],
            "segment_id": segs["segment_id"].astype(str).to_numpy(),
            "road_type": segs["road_type"].astype("string").to_numpy()
            if "road_type" in segs
            else pd.NA,
            "passable": passable,
            "linked": False,
        },
        geometry=segs.geometry.values,
        crs=settings.crs,
    )
    edges = edges[edges["u"] != edges["v"]].reset_index(drop=True)  # loops add nothing
    # every edge ends exactly on its junctions, so the pipes layer is topologically connected
    edges = edges.set_geometry(
        _with_ends(
            edges.geometry.values, points[edges["u"].to_numpy()], points[edges["v"].to_numpy()]
        )
    )
    comp = _components(len(points), edges["u"].to_numpy(), edges["v"].to_numpy())
    if p.link_components and comp.max() > 0:
        edges, comp = _link_components(edges, points, comp, p.link_max_m)
    # component 0 = largest
    sizes = np.bincount(comp)
    rank = np.empty_like(sizes)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    comp = rank[comp]
    edges["component"] = comp[edges["u"].to_numpy()]
    edges["length_m"] = edges.length.to_numpy()
    costs = cost_params or load_cost_params()
    edges = _price_edges(edges, barrier_geoms(barriers, segs, p), p, costs)
    nodes = gpd.GeoDataFrame(
        {"node": np.arange(len(points)), "component": comp}, geometry=points, crs=settings.crs
    )
    n_parts = int(comp.max()) + 1 if len(comp) else 0
    log(
        f"street graph: {len(nodes)} junctions, {len(edges)} edges, {n_parts} part(s), "
        f"{int(edges['linked'].sum())} link(s) added, {int((~edges['passable']).sum())} "
        f"impassable edges ({p.impassable})"
    )
    return edges, nodes


def _with_ends(lines: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Return `lines` with their first and last vertex moved onto points `start`, `end`."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    brk = np.flatnonzero(idx[1:] != idx[:-1])
    coords[np.r_[0, brk + 1]] = shapely.get_coordinates(start)
    coords[np.r_[brk, len(idx) - 1]] = shapely.get_coordinates(end)
    return np.asarray(shapely.linestrings(coords, indices=idx))


def _link_components(
    edges: gpd.GeoDataFrame, points: np.ndarray, comp: np.ndarray, max_m: float
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Join parts by the shortest straight junction-to-junction links (Kruskal over parts)."""
    tree = shapely.STRtree(points)
    a, b = tree.query(points, predicate="dwithin", distance=max_m)
    keep = comp[a] < comp[b]
    a, b = a[keep], b[keep]
    d = shapely.distance(points[a], points[b])
    order = np.argsort(d, kind="stable")
    parent = list(range(int(comp.max()) + 1))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links = []
    for i in order.tolist():  # Kruskal over the few candidate links between parts
        ra, rb = find(int(comp[a[i]])), find(int(comp[b[i]]))
        if ra != rb:
            parent[ra] = rb
            links.append(i)
    if not links:
        return edges, comp
    la, lb = a[links], b[links]
    extra = gpd.GeoDataFrame(
        {
            "u": la,
            "v": lb,
            "segment_id": [f"link{k + 1}" for k in range(len(links))],
            "road_type": "link",
            "passable": True,
            "linked": True,
        },
        geometry=shapely.linestrings(
            np.stack([shapely.get_coordinates(points[la]), shapely.get_coordinates(points[lb])], 1)
        ),
        crs=settings.crs,
    )
    edges = pd.concat([edges, extra], ignore_index=True)
    comp = _components(len(points), edges["u"].to_numpy(), edges["v"].to_numpy())
    return edges, comp


def barrier_geoms(
    barriers: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame | None, p: RoutingParams
) -> np.ndarray:
    """Return the geometries a pipe crossing costs a drilling under: barriers and major roads."""
    parts = []
    if barriers is not None and len(barriers):
        parts.append(barriers.geometry.values)
    if roads is not None and "road_type" in roads:
        major = roads["road_type"].astype("string").isin(p.major_road_types).fillna(False)
        parts.append(roads.geometry.values[major.to_numpy()])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def count_crossings(lines: np.ndarray, barriers: np.ndarray) -> np.ndarray:
    """Count the barriers each line crosses (polygon: enters/leaves; line: crosses)."""
    out = np.zeros(len(lines), dtype=int)
    if not len(barriers) or not len(lines):
        return out
    tree = shapely.STRtree(barriers)
    i = tree.query(lines, predicate="crosses")[0]
    np.add.at(out, i, 1)
    return out


# ------------------------------------------------------------------------------ connections
def split_edges(
    edges: gpd.GeoDataFrame,
    edge: np.ndarray,
    dist: np.ndarray,
    first_node: int,
    barriers: np.ndarray,
    p: RoutingParams,
    costs: CostParams,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Split `edges` at distances `dist` along edges `edge`.

    Returns the new edges, the node id of every split point and the points of the new
    nodes (numbered from `first_node`).

    Points within 1 cm of an edge end become that end's junction. Points at the same place
    share a node. Vectorised: the vertices of all cut edges and the cut points are sorted
    along each edge and regrouped into pieces.
    """
    edges = edges.reset_index(drop=True)  # `edge` holds positions
    lengths = edges["length_m"].to_numpy()
    d = np.clip(dist, 0.0, lengths[edge])
    at_start, at_end = d < 0.01, d > lengths[edge] - 0.01
    node = np.where(at_start, edges["u"].to_numpy()[edge], edges["v"].to_numpy()[edge])
    inner = ~(at_start | at_end)
    # one node per distinct (edge, distance rounded to 1 cm)
    key = pd.MultiIndex.from_arrays([edge[inner], np.round(d[inner], 2)])
    codes, uniq = pd.factorize(key)
    node[inner] = first_node + codes
    if not len(uniq):
        return edges, node, np.empty(0, dtype=object)
    cut_edge = uniq.get_level_values(0).to_numpy()
    cut_d = uniq.get_level_values(1).to_numpy()
    cut_node = first_node + np.arange(len(uniq))
    o = np.lexsort((cut_d, cut_edge))
    cut_edge, cut_d, cut_node = cut_edge[o], cut_d[o], cut_node[o]

    lines = edges.geometry.values
    touched = np.unique(cut_edge)
    coords, owner = shapely.get_coordinates(lines[touched], return_index=True)
    owner = touched[owner]
    step = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    new_line = np.r_[True, owner[1:] != owner[:-1]]
    step[new_line] = 0.0
    cum = np.cumsum(step)
    cum -= np.maximum.accumulate(np.where(new_line, cum, 0.0))
    pts = shapely.get_coordinates(shapely.line_interpolate_point(lines[cut_edge], cut_d))
    # rows: vertices (kind 1), cut closing a piece (kind 0), cut opening the next (kind 2)
    e_all = np.r_[owner, cut_edge, cut_edge]
    d_all = np.r_[cum, cut_d, cut_d]
    kind = np.r_[np.ones(len(owner)), np.zeros(len(cut_edge)), np.full(len(cut_edge), 2)]
    xy = np.r_[coords, pts, pts]
    order = np.lexsort((kind, d_all, e_all))
    e_all, kind, xy = e_all[order], kind[order], xy[order]
    # piece number within an edge = cuts opened so far
    opened = (kind == 2).astype(int)
    start_of_edge = np.r_[True, e_all[1:] != e_all[:-1]]
    run = np.cumsum(opened)
    base = np.maximum.accumulate(np.where(start_of_edge, run - opened, 0))
    piece_no = run - base
    piece = pd.factorize(pd.MultiIndex.from_arrays([e_all, piece_no]))[0]
    geoms = shapely.linestrings(xy, indices=piece)
    piece_edge = e_all[np.r_[True, piece[1:] != piece[:-1]]]
    piece_idx = piece_no[np.r_[True, piece[1:] != piece[:-1]]]
    # end junctions of the pieces
    n_cuts = np.bincount(cut_edge, minlength=len(edges))
    cut_first = np.r_[0, np.cumsum(n_cuts)[:-1]]
    k = cut_first[piece_edge] + piece_idx
    u = np.where(piece_idx == 0, edges["u"].to_numpy()[piece_edge], cut_node[np.maximum(k - 1, 0)])
    last = piece_idx == n_cuts[piece_edge]
    v = np.where(
        last, edges["v"].to_numpy()[piece_edge], cut_node[np.minimum(k, len(cut_node) - 1)]
    )
    pieces = edges.iloc[piece_edge].copy()
    pieces["u"], pieces["v"] = u, v
    pieces = pieces.set_geometry(geoms)
    pieces["length_m"] = shapely.length(geoms)
    pieces = _price_edges(pieces, barriers, p, costs)
    out = pd.concat([edges.drop(index=touched), pieces], ignore_index=True)
    points = np.empty(len(uniq), dtype=object)
    points[cut_node - first_node] = shapely.points(pts)
    return out, node, points


def _price_edges(
    edges: gpd.GeoDataFrame, barriers: np.ndarray, p: RoutingParams, costs: CostParams
) -> gpd.GeoDataFrame:
    """Set ``crossings`` and ``cost_eur`` (a secondary pipe there, priced by the cost model)."""
    edges["crossings"] = count_crossings(edges.geometry.values, barriers)
    priced = price_pipes(
        pd.DataFrame(
            {
                "pipe_class": "secondary",
                "length_m": edges["length_m"].to_numpy(),
                "passable": edges["passable"].to_numpy(bool),
                "crossings": edges["crossings"].to_numpy(),
            }
        ),
        p.net,
        params=costs,
        impassable_penalty=p.impassable_penalty,
        crossing_eur=p.crossing_eur,
    )
    edges["cost_eur"] = priced["cost_eur"].to_numpy()
    return edges
