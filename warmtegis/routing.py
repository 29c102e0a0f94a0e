"""Trunk routing of a collective heat network along the street graph; pipe classes and sizes.

The stage works on the ``road_segments`` of :mod:`warmtegis.corridors` (or any centreline
layer: NWB wegvakken, centrelines derived from BGT surfaces, OSM edges):

1. :func:`street_graph` nodes the segments: end points closer than ``snap_tolerance_m``
   become one junction (tiny digitising gaps close), NWB junction ids (``node_from``,
   ``node_to``) join ends up to 10 m apart;
   separate parts are reported and, when ``link_components`` is on, joined by the
   shortest straight link between them (flagged ``linked``).
2. Edge cost (euro) = length × the secondary-pipe price per metre × ``impassable_penalty``
   where the corridor analysis found no room for the trench (or such edges are dropped when
   ``impassable = "forbid"``), + ``crossing_eur`` for every crossing of a barrier line or
   polygon (water, major roads) by horizontal drilling.
3. :func:`connect_buildings` gives every building to connect a service pipe from its
   footprint to the nearest point of a usable edge; the edge is split there.
4. The trunk is a Steiner tree (:mod:`warmtegis.steiner`) from the heat source to all
   connection points. The source is the study's ``[source]`` point attached to the nearest
   usable edge; without one, the junction nearest to the demand-weighted centre of the
   connected buildings (the point that keeps the heaviest pipes shortest).
5. :func:`size_pipes` gives every pipe its downstream dwellings and peak load: the sum of
   the buildings' peaks (annual demand / ``full_load_hours``) times the simultaneity factor
   of Winter et al. (2001) for that many dwellings; classes by thresholds and DN from the
   EN 253 steel series by pressure drop per metre and velocity.

:func:`route_network` runs it all and returns a :class:`Network` with the ``pipes`` layer
(OUTPUTS.md), the connected buildings and the lengths per class for the cost model.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array, csgraph

from . import settings
from ._errors import ConfigError, InputError
from ._log import log
from .costs import BusinessCase, CostParams, business_case, load_cost_params, price_pipes
from .params import register
from .steiner import SteinerResult, steiner_milp, steiner_tree

__all__ = [
    "DN_INNER_DIAMETER_MM",
    "Network",
    "RoutingParams",
    "connect_buildings",
    "pipe_dn",
    "pressure_drop",
    "route_network",
    "simultaneity",
    "size_pipes",
    "street_graph",
]

#: Inner diameters (mm) of pre-insulated steel service pipes by nominal size (EN 253 series 1
#: steel pipe, EN 10217-2; as listed in the Logstor and isoplus product catalogues).
DN_INNER_DIAMETER_MM = types.MappingProxyType(
    {
        "20": 21.7, "25": 28.5, "32": 37.2, "40": 43.1, "50": 54.5, "65": 70.3, "80": 82.5,
        "100": 107.1, "125": 132.5, "150": 160.3, "200": 210.1, "250": 263.0, "300": 312.7,
        "350": 344.4, "400": 393.8, "450": 444.6, "500": 495.4, "600": 595.8,
    }
)  # fmt: skip

#: Winter, Koch, Trimmel (2001), "Gleichzeitigkeit in Fernwärmenetzen", Euroheat & Power 30:
#: fitted on measured Austrian networks, valid for 1-200+ consumers.
_WINTER = (0.449677646267461, 0.551234688, 53.84382392, 1.762743268)


@register("routing")
@dataclass(frozen=True)
class RoutingParams:
    """Parameters of trunk routing and pipe sizing (``[parameters.routing]``).

    Attributes
    ----------
    network : {"MT", "ZLT"}
        Which network's prices and temperatures to use. Default ``"MT"``.
    snap_tolerance_m : float
        Segment end points closer than this are one junction (m). Default 1.0.
    link_components : bool
        Join separate parts of the street graph by the shortest straight link between them
        (flagged ``linked``), if shorter than ``link_max_m``. Default True.
    link_max_m : float
        Longest such link (m). Default 50.
    impassable : {"penalty", "forbid"}
        How to treat segments where the trench does not fit. Default ``"penalty"``.
    impassable_penalty : float
        Cost factor on such segments (Assumption: working around root zones and moving
        sewer house connections roughly doubles the trench cost). Default 2.0.
    crossing_eur : float
        Cost of one crossing of a barrier (water, major road) by horizontal directional
        drilling, excl. VAT (Assumption: a 30-60 m bore with two pits for a DN 100-200
        pipe pair, 20-40 kEUR in Dutch practice). Default 30,000.
    major_road_types : tuple of str
        Road types (NWB ``wegbehsrt``, OSM ``highway``) whose segments are barriers for
        service pipes: ``R`` (rijkswegen), ``P`` (provinciale wegen), motorway, trunk, primary.
    connect_categories : tuple of str
        Building categories (see :func:`~warmtegis.classify_buildings`) that are connected.
    exclude_mini_nets : bool
        Leave buildings that belong to a mini-net candidate out of the collective network.
        Default False (the collective network is designed for every building).
    service_max_m : float
        Buildings farther than this from a usable street are not connected (m). Default 100.
    method : str
        Steiner method (:data:`~warmtegis.steiner.METHODS`). Default ``"improved"``.
    milp_max_terminals : int
        Also solve exactly (MILP) and report the gap when there are at most this many
        connection points. Default 60.
    milp_time_limit_s : float
        Seconds HiGHS may take; an unfinished MILP reports no gap. Default 20.
    full_load_hours : float
        Annual demand / peak load of a dwelling (h). Default 1,800 (as the borehole sizing).
    primary_min_kw : float
        Trunk pipes carrying more than this peak are ``primary``, less ``secondary``
        (DOMAIN §2: the study's secondary pipes have a capacity of 0.7 MW). Default 700.
    supply_temp_c, return_temp_c : float
        Design temperatures (°C). Defaults 70 / 40 (MT). For ZLT use e.g. 30 / 22.
    max_pressure_drop_pa_per_m : float
        Largest design pressure drop (Pa/m); the usual design value is 100 Pa/m for
        distribution pipes (Frederiksen & Werner 2013, District Heating and Cooling). Default 100.
    max_velocity_m_s : float
        Largest flow velocity (m/s). Default 3.0.
    roughness_mm : float
        Pipe wall roughness (mm; 0.01 for new steel DH pipe, EN 13941). Default 0.01.
    """

    network: str = field(default="MT", metadata={"choices": ("MT", "ZLT")})
    snap_tolerance_m: float = 1.0
    link_components: bool = True
    link_max_m: float = 50.0
    impassable: str = field(default="penalty", metadata={"choices": ("penalty", "forbid")})
    impassable_penalty: float = field(default=2.0, metadata={"min": 1.0})
    crossing_eur: float = 30000.0
    major_road_types: tuple[str, ...] = ("R", "P", "motorway", "trunk", "primary")
    connect_categories: tuple[str, ...] = ("ground_bound", "apartments", "non_residential")
    exclude_mini_nets: bool = False
    service_max_m: float = 100.0
    method: str = field(
        default="improved", metadata={"choices": ("improved", "sph", "mehlhorn", "kou")}
    )
    milp_max_terminals: int = 60
    milp_time_limit_s: float = field(default=20.0, metadata={"min": 0.1})
    full_load_hours: float = field(default=1800.0, metadata={"min": 1.0})
    primary_min_kw: float = 700.0
    supply_temp_c: float = 70.0
    return_temp_c: float = 40.0
    max_pressure_drop_pa_per_m: float = field(default=100.0, metadata={"min": 1.0})
    max_velocity_m_s: float = field(default=3.0, metadata={"min": 0.1})
    roughness_mm: float = 0.01

    def __post_init__(self) -> None:
        if self.supply_temp_c <= self.return_temp_c:
            raise ConfigError(
                "[parameters.routing] supply_temp_c must be higher than return_temp_c"
            )


# ------------------------------------------------------------------------------ street graph
def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of `n` items joined by pairs ``(a, b)``."""
    m = coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    return csgraph.connected_components(m, directed=False)[1]


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
    """
    p = params or RoutingParams()
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
    price = _trunk_price(p, cost_params)
    edges["eur_per_m"] = price * np.where(edges["passable"].to_numpy(), 1.0, p.impassable_penalty)
    edges = _price_edges(edges, _barrier_geoms(barriers, segs, p), p.crossing_eur)
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
    return shapely.linestrings(coords, indices=idx)


def _trunk_price(p: RoutingParams, cost_params: CostParams | None) -> float:
    costs = cost_params or load_cost_params()
    net = costs.networks[p.network]
    return float(net.pipe_eur_per_m["secondary"])


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


def _barrier_geoms(
    barriers: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame | None, p: RoutingParams
) -> np.ndarray:
    parts = []
    if barriers is not None and len(barriers):
        parts.append(barriers.geometry.values)
    if roads is not None and "road_type" in roads:
        major = roads["road_type"].astype("string").isin(p.major_road_types).fillna(False)
        parts.append(roads.geometry.values[major.to_numpy()])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _crossings(lines: np.ndarray, barriers: np.ndarray) -> np.ndarray:
    """Count the barriers each line crosses (polygon: enters/leaves; line: crosses)."""
    out = np.zeros(len(lines), dtype=int)
    if not len(barriers) or not len(lines):
        return out
    tree = shapely.STRtree(barriers)
    i = tree.query(lines, predicate="crosses")[0]
    np.add.at(out, i, 1)
    return out


# ------------------------------------------------------------------------------ connections
def _split_edges(
    edges: gpd.GeoDataFrame,
    edge: np.ndarray,
    dist: np.ndarray,
    first_node: int,
    barriers: np.ndarray,
    crossing_eur: float,
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
    pieces = _price_edges(pieces, barriers, crossing_eur)
    out = pd.concat([edges.drop(index=touched), pieces], ignore_index=True)
    points = np.empty(len(uniq), dtype=object)
    points[cut_node - first_node] = shapely.points(pts)
    return out, node, points


def _price_edges(
    edges: gpd.GeoDataFrame, barriers: np.ndarray, crossing_eur: float
) -> gpd.GeoDataFrame:
    """Set ``crossings`` and ``cost_eur`` = length × ``eur_per_m`` + crossings × price."""
    edges["crossings"] = _crossings(edges.geometry.values, barriers)
    edges["cost_eur"] = (
        edges["length_m"].to_numpy() * edges["eur_per_m"].to_numpy()
        + edges["crossings"].to_numpy() * crossing_eur
    )
    return edges


def _attach(
    edges: gpd.GeoDataFrame, allowed: np.ndarray, geoms: np.ndarray, max_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest allowed edge of each geometry within its `max_m`.

    Returns which geometries found one, the edge rows, the distance along the edge and
    the shortest line from the geometry to the edge.
    """
    rows = np.flatnonzero(allowed)
    tree = shapely.STRtree(edges.geometry.values[rows])
    gi, ei = tree.query_nearest(geoms, all_matches=False)
    line = shapely.shortest_line(geoms[gi], edges.geometry.values[rows[ei]])
    ok = shapely.length(line) <= max_m[gi]
    gi, ei, line = gi[ok], rows[ei[ok]], line[ok]
    along = shapely.line_locate_point(edges.geometry.values[ei], shapely.get_point(line, -1))
    return gi, ei, along, line


def connect_buildings(
    buildings: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    *,
    source: shapely.Point | None = None,
    params: RoutingParams | None = None,
    barriers: np.ndarray | None = None,
    component: int = 0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, int | None]:
    """Attach buildings (and the source) to the nearest point of a usable edge.

    The edge is split at that point (not snapped to its nearest junction), so each
    building gets its own connection node on the street; points within 1 cm of an edge end
    use that junction, and buildings attached at the same point share a node.

    Parameters
    ----------
    buildings
        Polygons with ``building_id``.
    edges, nodes
        From :func:`street_graph`.
    source
        Heat source point, attached the same way (no distance limit).
    params
        Routing parameters (``service_max_m``, ``crossing_eur``).
    barriers
        Barrier geometries whose crossings are counted.
    component
        Only edges of this part of the street graph are usable.

    Returns
    -------
    edges, nodes, service, source_node
        Split edges; nodes with the connection points added; one row per building with
        ``building_id``, ``connected``, ``node`` (nullable), ``service_length_m``,
        ``crossings``, ``reason`` (why not connected) and the service pipe ``geometry``
        (the source's line to the street is the last row when a source is given, with
        ``building_id`` ``<NA>``); the source's node.
    """
    p = params or RoutingParams()
    barriers = np.empty(0, dtype=object) if barriers is None else barriers
    allowed = edges["component"].to_numpy() == component
    ids = buildings["building_id"].astype("string").to_numpy()
    geoms = buildings.geometry.values
    max_m = np.full(len(buildings), p.service_max_m)
    if source is not None:
        ids = np.r_[ids, [pd.NA]]
        geoms = np.r_[geoms, [source]]
        max_m = np.r_[max_m, np.inf]
    gi, ei, along, line = _attach(edges, allowed, geoms, max_m)
    edges, node, cut_points = _split_edges(edges, ei, along, len(nodes), barriers, p.crossing_eur)
    nodes = pd.concat(
        [
            nodes,
            gpd.GeoDataFrame(
                {"node": len(nodes) + np.arange(len(cut_points)), "component": component},
                geometry=cut_points,
                crs=settings.crs,
            ),
        ],
        ignore_index=True,
    )
    # the pipe runs from the footprint to the connection node itself
    line = shapely.linestrings(
        np.stack(
            [
                shapely.get_coordinates(shapely.get_point(line, 0)),
                shapely.get_coordinates(nodes.geometry.values[node]),
            ],
            axis=1,
        )
    )
    service = gpd.GeoDataFrame(
        {
            "building_id": ids,
            "connected": False,
            "node": pd.array([pd.NA] * len(ids), dtype="Int64"),
            "service_length_m": np.nan,
            "crossings": 0,
            "reason": f"no usable street within {p.service_max_m:g} m",
        },
        geometry=np.full(len(ids), None, dtype=object),
        crs=settings.crs,
    )
    service.loc[gi, "connected"] = True
    service.loc[gi, "node"] = node
    service.loc[gi, "service_length_m"] = shapely.length(line)
    service.loc[gi, "crossings"] = _crossings(line, barriers)
    service.loc[gi, "reason"] = ""
    service.loc[gi, "geometry"] = line
    source_node = int(node[-1]) if source is not None else None
    return edges, nodes, service, source_node


# ------------------------------------------------------------------------------ sizing
def simultaneity(n: np.ndarray | float) -> np.ndarray:
    """Simultaneity factor for `n` dwellings (Winter et al. 2001), 1 for one dwelling.

    ``f(n) = a + b / (1 + (n / c)^d)`` with ``a = 0.4497``, ``b = 0.5512``, ``c = 53.84``,
    ``d = 1.7627``; f(1) = 1.00, f(10) = 0.97, f(100) = 0.58, f(1000) = 0.45.
    """
    a, b, c, d = _WINTER
    n = np.asarray(n, dtype=float)
    return np.where(n <= 1, 1.0, np.minimum(1.0, a + b / (1.0 + (np.maximum(n, 0) / c) ** d)))


def _water(t_mean_c: float) -> tuple[float, float, float]:
    """Density (kg/m³), heat capacity (J/kg K), dynamic viscosity (Pa s) of water."""
    rho = 1000.6 - 0.0128 * t_mean_c**1.76  # ±0.2 % over 10-90 °C
    cp = 4180.0
    mu = 2.414e-5 * 10 ** (247.8 / (t_mean_c + 273.15 - 140.0))  # Vogel equation
    return rho, cp, mu


def pressure_drop(
    peak_kw: np.ndarray, inner_diameter_m: np.ndarray, params: RoutingParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Velocity (m/s) and pressure drop (Pa/m) of one pipe carrying `peak_kw`.

    Mass flow = P / (cp ΔT); Darcy-Weisbach with the Swamee-Jain friction factor
    (laminar 64/Re below Re 2300).
    """
    p = params or RoutingParams()
    rho, cp, mu = _water((p.supply_temp_c + p.return_temp_c) / 2)
    q = np.asarray(peak_kw, float) * 1e3 / (cp * (p.supply_temp_c - p.return_temp_c)) / rho
    d = np.asarray(inner_diameter_m, float)
    v = q / (np.pi * d**2 / 4)
    re = np.maximum(rho * v * d / mu, 1e-9)
    eps = p.roughness_mm / 1e3
    turbulent = 0.25 / np.log10(eps / (3.7 * d) + 5.74 / re**0.9) ** 2
    f = np.where(re < 2300, 64 / re, turbulent)
    return v, f * rho * v**2 / (2 * d)


def pipe_dn(peak_kw: np.ndarray, params: RoutingParams | None = None) -> np.ndarray:
    """Smallest DN of :data:`DN_INNER_DIAMETER_MM` within the pressure-drop and velocity limits.

    Loads beyond the largest size get the largest (DN 600) and a warning in the log.
    """
    p = params or RoutingParams()
    dn = np.array([int(k) for k in DN_INNER_DIAMETER_MM])
    di = np.array(list(DN_INNER_DIAMETER_MM.values())) / 1e3
    kw = np.asarray(peak_kw, float)[:, None]
    v, r = pressure_drop(kw, di[None, :], p)
    ok = (r <= p.max_pressure_drop_pa_per_m) & (v <= p.max_velocity_m_s)
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), len(dn) - 1)
    if (~ok.any(axis=1)).any():
        log(f"routing: {int((~ok.any(axis=1)).sum())} pipes exceed DN {dn[-1]}; sized DN {dn[-1]}")
    return dn[first]


def size_pipes(
    tree_edges: pd.DataFrame,
    node_dwellings: Mapping[int, float],
    node_peak_kw: Mapping[int, float],
    root: int,
    params: RoutingParams | None = None,
) -> pd.DataFrame:
    """Downstream dwellings, peak load, class and DN of every trunk edge.

    Parameters
    ----------
    tree_edges
        The trunk's edges with ``u`` and ``v`` (a tree).
    node_dwellings, node_peak_kw
        Dwellings and undiversified peak (kW) of the buildings connected at each node.
    root
        The source node.

    Returns
    -------
    pandas.DataFrame
        `tree_edges` with ``dwellings_served``, ``peak_kw`` (diversified), ``pipe_class``
        (``transport`` from the source to the first branch or connection, then ``primary``
        above ``primary_min_kw``, else ``secondary``) and ``dn``.
    """
    p = params or RoutingParams()
    u, v = tree_edges["u"].to_numpy(), tree_edges["v"].to_numpy()
    ids, inv = np.unique(np.r_[u, v, [root]], return_inverse=True)
    iu, iv, ir = inv[: len(u)], inv[len(u) : 2 * len(u)], int(inv[-1])
    k = len(ids)
    m = coo_array((np.ones(len(u)), (iu, iv)), shape=(k, k))
    order, pred = csgraph.breadth_first_order(m, ir, directed=False, return_predecessors=True)
    if len(order) != k or len(u) != k - 1:
        raise ValueError("size_pipes: the trunk edges do not form one tree holding the source")
    dw = np.array([float(node_dwellings.get(int(x), 0.0)) for x in ids])
    kw = np.array([float(node_peak_kw.get(int(x), 0.0)) for x in ids])
    has_load = dw > 0
    sub_dw, sub_kw = dw.copy(), kw.copy()
    children = np.zeros(k, int)
    pl = pred.tolist()
    for x in order[::-1].tolist():  # leaves first
        q = pl[x]
        if q >= 0:
            sub_dw[q] += sub_dw[x]
            sub_kw[q] += sub_kw[x]
            children[q] += 1
    # transport: from the source down the single chain without connections
    transport = np.zeros(k, bool)  # node whose edge to its parent is transport
    x = ir
    while children[x] == 1 and not has_load[x]:
        nxt = np.flatnonzero(pred == x)[0]
        transport[nxt] = True
        x = nxt
    child = np.where(pred[iu] == iv, iu, iv)
    out = tree_edges.copy()
    out["dwellings_served"] = sub_dw[child].round().astype(int)
    out["peak_kw"] = sub_kw[child] * simultaneity(sub_dw[child])
    out["pipe_class"] = np.where(
        transport[child],
        "transport",
        np.where(out["peak_kw"] > p.primary_min_kw, "primary", "secondary"),
    )
    out["dn"] = pipe_dn(out["peak_kw"].to_numpy(), p)
    return out


# ------------------------------------------------------------------------------ the stage
@dataclass
class Network:
    """A routed collective heat network.

    Attributes
    ----------
    pipes : geopandas.GeoDataFrame
        The ``pipes`` layer (OUTPUTS.md): ``pipe_class``, ``length_m``, ``dn``, ``peak_kw``,
        ``dwellings_served``, ``cost_eur`` and ``segment_id``, ``passable``, ``linked``,
        ``crossings``, ``building_id`` (service pipes).
    connections : pandas.DataFrame
        Per building to connect: ``building_id``, ``connected``, ``node``,
        ``service_length_m``, ``reason``.
    edges, nodes : geopandas.GeoDataFrame
        The street graph (edges split at the connection points).
    steiner : SteinerResult
        The trunk layout.
    milp : SteinerResult or None
        The exact optimum when the instance was small enough.
    business_case : BusinessCase or None
        The heat company's business case on these lengths and connections.
    source_node : int
        The source's node in `graph`.
    graph : networkx.Graph
        The routing graph (edge ``weight`` = cost in euro, ``row`` = row of `edges`).
    terminals : list of int
        The source and connection nodes the trunk joins.
    """

    pipes: gpd.GeoDataFrame
    connections: pd.DataFrame
    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    steiner: SteinerResult
    milp: SteinerResult | None
    params: RoutingParams
    business_case: BusinessCase | None = None
    source_node: int = -1
    graph: nx.Graph | None = field(default=None, repr=False)
    terminals: list[int] = field(default_factory=list, repr=False)

    @property
    def lengths_by_class(self) -> dict[str, float]:
        """Pipe length per class (m)."""
        g = self.pipes.groupby("pipe_class")["length_m"].sum()
        return {c: float(g.get(c, 0.0)) for c in ("transport", "primary", "secondary", "service")}

    def summary(self) -> list[tuple[str, float, str]]:
        """Key figures as ``(key, value, unit)`` rows."""
        rows: list[tuple[str, float, str]] = [
            ("connections", float(self.connections["connected"].sum()), "count"),
            ("not_connected", float((~self.connections["connected"]).sum()), "count"),
        ]
        rows += [(f"pipes_{c}", v / 1000, "km") for c, v in self.lengths_by_class.items()]
        rows += [
            ("pipes_cost", float(self.pipes["cost_eur"].sum()), "EUR excl. VAT"),
            (
                "pipes_on_impassable",
                float(self.pipes.loc[~self.pipes["passable"], "length_m"].sum()) / 1000,
                "km",
            ),
            ("pipes_crossings", float(self.pipes["crossings"].sum()), "count"),
        ]
        if self.milp is not None and self.milp.optimal:
            gap = self.steiner.length / self.milp.length - 1 if self.milp.length else 0.0
            rows.append(("trunk_gap_to_optimum", gap * 100, "%"))
        if self.business_case is not None:
            rows += self.business_case.summary()
        return rows


_CONNECTION_TYPE = {
    "ground_bound": "grondgebonden",
    "apartments": "gestapeld",
    "non_residential": "utiliteit",
}


def route_network(
    segments: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    source: tuple[float, float] | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    params: RoutingParams | None = None,
    cost_params: CostParams | None = None,
) -> Network:
    """Route, size and price the trunk and service pipes of a collective heat network.

    Parameters
    ----------
    segments
        ``road_segments`` from :func:`~warmtegis.analyse_corridors` (or centrelines).
    buildings
        The ``buildings`` layer of :func:`~warmtegis.mini_net_candidates` (``building_id``,
        ``category``, ``dwellings``, ``heat_demand_gj``, ``mini_net_id``).
    source
        Heat source (x, y) in EPSG:28992; the documented default when None.
    barriers
        Water and other lines/polygons whose crossing needs drilling.
    params, cost_params
        Routing parameters and prices.

    Returns
    -------
    Network
    """
    p = params or RoutingParams()
    costs = cost_params or load_cost_params()
    todo, units = _to_connect(buildings, p, costs)
    barrier_geoms = _barrier_geoms(barriers, segments, p)
    edges, nodes = street_graph(segments, params=p, barriers=barriers, cost_params=costs)
    # the usable part: the one holding the source, else the largest
    src_point = shapely.Point(source) if source is not None else None
    component = 0
    if src_point is not None:
        near = shapely.STRtree(edges.geometry.values).nearest(src_point)
        component = int(edges["component"].iloc[int(near)])
    n_junctions = len(nodes)
    edges, nodes, service, source_node = connect_buildings(
        todo,
        edges,
        nodes,
        source=src_point,
        params=p,
        barriers=barrier_geoms,
        component=component,
    )
    src_line = service.geometry.iloc[-1] if src_point is not None else None
    service = service.iloc[: len(todo)]
    conn = service[service["connected"]]
    peak = todo["heat_demand_gj"].to_numpy(float) / 0.0036 / p.full_load_hours
    dw = units.astype(float)
    node_dw = pd.Series(dw[conn.index]).groupby(conn["node"].to_numpy()).sum().to_dict()
    node_kw = pd.Series(peak[conn.index]).groupby(conn["node"].to_numpy()).sum().to_dict()
    usable = edges[edges["component"].to_numpy() == component]
    if source_node is None:
        source_node = _default_source(usable, nodes.iloc[:n_junctions], todo, conn, peak)
    G = nx.Graph()
    for row, a, b, w in sorted(
        zip(usable.index, usable["u"], usable["v"], usable["cost_eur"], strict=True),
        key=lambda t: -t[3],
    ):  # the cheapest of parallel edges is added last and wins
        G.add_edge(int(a), int(b), weight=float(w), row=int(row))
    terminals = sorted({int(x) for x in conn["node"]} | {source_node})
    result = steiner_tree(G, terminals, root=source_node, method=p.method)
    milp = None
    if len(terminals) <= p.milp_max_terminals:
        milp = steiner_milp(G, terminals, root=source_node, time_limit=p.milp_time_limit_s)
    rows = [d["row"] for *_, d in result.tree.edges(data=True)]
    trunk = size_pipes(edges.loc[rows], node_dw, node_kw, source_node, p)
    trunk = trunk.assign(building_id=pd.NA)
    # service pipes and the source's connection line
    svc = gpd.GeoDataFrame(
        {
            "building_id": conn["building_id"].to_numpy(),
            "segment_id": pd.NA,
            "passable": True,
            "linked": False,
            "crossings": conn["crossings"].to_numpy(int),
            "dwellings_served": dw[conn.index].astype(int),
            "peak_kw": peak[conn.index] * simultaneity(dw[conn.index]),
            "pipe_class": "service",
        },
        geometry=list(conn["geometry"]),
        crs=settings.crs,
    )
    svc["dn"] = pipe_dn(svc["peak_kw"].to_numpy(), p)
    parts = [trunk, svc]
    if src_line is not None and src_line.length > 0:
        total_dw = float(sum(node_dw.values()))
        total_kw = float(sum(node_kw.values())) * float(simultaneity(total_dw))
        parts.append(
            gpd.GeoDataFrame(
                {
                    "building_id": pd.NA, "segment_id": "source", "passable": True,
                    "linked": False, "crossings": _crossings(np.array([src_line]), barrier_geoms),
                    "dwellings_served": round(total_dw), "peak_kw": total_kw,
                    "pipe_class": "transport", "dn": pipe_dn(np.array([total_kw]), p),
                },
                geometry=[src_line],
                crs=settings.crs,
            )
        )  # fmt: skip
    pipes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
    pipes["length_m"] = pipes.length.to_numpy()
    pipes = price_pipes(pipes, p.network, params=costs)
    # the impassable surcharge and the drilled crossings come on top of the class price
    factor = np.where(pipes["passable"].to_numpy(bool), 1.0, p.impassable_penalty)
    base = pipes["cost_eur"].to_numpy()
    pipes["cost_eur"] = base * factor + pipes["crossings"] * p.crossing_eur
    extra = float(pipes["cost_eur"].sum() - base.sum())
    cols = [
        "pipe_class", "length_m", "dn", "peak_kw", "dwellings_served", "cost_eur",
        "segment_id", "passable", "linked", "crossings", "building_id", "geometry",
    ]  # fmt: skip
    pipes = pipes[cols]
    network = Network(
        pipes=pipes,
        connections=pd.DataFrame(service.drop(columns="geometry")),
        edges=edges,
        nodes=nodes,
        steiner=result,
        milp=milp,
        params=p,
        source_node=source_node,
        graph=G,
        terminals=terminals,
    )
    network.business_case = _business_case(network, todo, units, costs, extra)
    log(
        f"routing: {int(service['connected'].sum())} of {len(service)} buildings connected, "
        f"trunk {result.length:,.0f} EUR-weighted over {len(rows)} edges; "
        + ", ".join(f"{c} {v / 1000:.2f} km" for c, v in network.lengths_by_class.items())
    )
    return network


def _to_connect(
    buildings: gpd.GeoDataFrame, p: RoutingParams, costs: CostParams
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Select the buildings to connect, give each a heat demand, count their units.

    A unit is a dwelling; a non-residential building is one. Buildings without a modelled
    demand (non-residential) get the cost file's figure per connection type (DOMAIN §2:
    70 GJ non-residential, 42 ground-bound, 22 per apartment).
    """
    missing = [
        c for c in ("building_id", "category", "dwellings", "heat_demand_gj") if c not in buildings
    ]
    if missing:
        raise InputError(f"route_network: buildings lack column(s) {', '.join(missing)}")
    wanted = buildings["category"].isin(p.connect_categories).to_numpy()
    if p.exclude_mini_nets and "mini_net_id" in buildings:
        wanted &= buildings["mini_net_id"].isna().to_numpy()
    todo = buildings[wanted].reset_index(drop=True)
    if not len(todo):
        raise InputError(
            f"route_network: no building of categories {list(p.connect_categories)} to connect"
        )
    units = np.where(
        todo["category"] == "non_residential", 1, np.maximum(todo["dwellings"].to_numpy(), 1)
    )
    per_type = costs.business_case.demand_gj_per_connection
    fallback = todo["category"].map(_CONNECTION_TYPE).map(per_type).to_numpy(float) * units
    todo["heat_demand_gj"] = todo["heat_demand_gj"].astype(float).fillna(pd.Series(fallback))
    return todo, units


def _default_source(
    usable: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    todo: gpd.GeoDataFrame,
    conn: pd.DataFrame,
    peak: np.ndarray,
) -> int:
    """Pick the junction of the usable graph nearest to the demand-weighted centre."""
    c = todo.geometry.values[conn.index].centroid if len(conn) else todo.geometry.values.centroid
    w = peak[conn.index] if len(conn) else np.ones(len(c))
    xy = shapely.get_coordinates(c)
    centre = shapely.Point(np.average(xy[:, 0], weights=w), np.average(xy[:, 1], weights=w))
    ids = np.unique(np.r_[usable["u"], usable["v"]])
    ids = ids[ids < len(nodes)]  # junctions (not connection points)
    d = shapely.distance(nodes.geometry.values[ids], centre)
    return int(ids[np.argmin(d)])


def _business_case(
    network: Network,
    todo: gpd.GeoDataFrame,
    units: np.ndarray,
    costs: CostParams,
    extra_pipes_eur: float,
) -> BusinessCase:
    """MT/ZLT business case on the routed lengths and the connected buildings.

    Connections per type are the connected dwellings (a non-residential building is one)
    times the participation; the demand per connection is the mean of those buildings. The
    surcharges of impassable stretches and crossings are added to the pipe investment.
    """
    connected = network.connections["connected"].to_numpy()
    b = todo[connected]
    units = units[connected]
    kind = b["category"].map(_CONNECTION_TYPE).to_numpy()
    counts = pd.Series(units).groupby(kind).sum()
    gj = pd.Series(b["heat_demand_gj"].to_numpy(float)).groupby(kind).sum() / counts
    share = costs.business_case.participation
    lengths = network.lengths_by_class
    lengths.pop("service")
    return business_case(
        lengths,
        {k: float(v) * share for k, v in counts.items()},
        network.params.network,
        demand_gj_per_connection={**costs.business_case.demand_gj_per_connection, **gj.to_dict()},
        params=costs,
        extra_pipes_eur=extra_pipes_eur,
    )
