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
4. The trunk is a Steiner tree (:mod:`warmtegis.network.steiner`) from the heat source to all
   connection points. The source is the study's ``[source]`` point attached to the nearest
   edge of the largest part of the street graph, by a straight ``transport`` pipe when it
   lies off the streets (a source outside the area: a sewage plant, a river); without one,
   the junction nearest to the demand-weighted centre of the connected buildings (the point
   that keeps the heaviest pipes shortest).
5. :func:`size_pipes` gives every pipe its downstream dwellings and peak load: the sum of
   the buildings' peaks (annual demand / ``full_load_hours``) times the simultaneity factor
   of Winter et al. (2001) for that many dwellings; classes by thresholds and DN from the
   EN 253 steel series by pressure drop per metre and velocity.

:func:`route_network` runs it all and returns a :class:`Network` with the ``pipes`` layer
(docs/outputs.md), the connected buildings and the lengths per class for the cost model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.buildings.classify import BuildingStock, enrich_buildings, peak_load
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.validate import check_frame
from warmtegis.economics.business import BusinessCase, business_case
from warmtegis.economics.pricing import price_pipes
from warmtegis.network.graph import barrier_geoms, count_crossings, split_edges, street_graph
from warmtegis.network.hydraulics import pipe_dn, simultaneity, size_pipes
from warmtegis.network.steiner import SteinerResult, steiner_milp, steiner_tree
from warmtegis.params.costs import CostParams, load_cost_params
from warmtegis.params.dwellings import DemandParams
from warmtegis.params.street import RoutingParams

__all__ = ["Network", "connect_buildings", "network_layers", "route_network"]


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
    cost_params: CostParams | None = None,
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
    cost_params
        Prices of the split edges (the default cost file when None).

    Returns
    -------
    edges, nodes, service, source_node
        Split edges; nodes with the connection points added; one row per building with
        ``building_id``, ``connected``, ``node`` (nullable), ``service_length_m``,
        ``crossings``, ``reason`` (why not connected) and the service pipe ``geometry``
        (the source's line to the street is the last row when a source is given, with
        ``building_id`` ``<NA>``); the source's node.

    Examples
    --------
    The demo's street graph and buildings: every connected building gets one service pipe.

    >>> from warmtegis.datasets import demo_result
    >>> from warmtegis.network.graph import street_graph
    >>> r = demo_result()
    >>> edges, nodes = street_graph(r.corridors.road_segments, params=r.parameters.routing)
    >>> edges, nodes, service, source = connect_buildings(
    ...     r.mini_nets.buildings, edges, nodes, params=r.parameters.routing)
    >>> bool(service.loc[service["connected"], "service_length_m"].gt(0).all())
    True
    """
    p = (params or RoutingParams()).resolved()
    costs = cost_params or load_cost_params()
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
    edges, node, cut_points = split_edges(edges, ei, along, len(nodes), barriers, p, costs)
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
    service.loc[gi, "crossings"] = count_crossings(line, barriers)
    service.loc[gi, "reason"] = ""
    service.loc[gi, "geometry"] = line
    source_node = int(node[-1]) if source is not None else None
    return edges, nodes, service, source_node


# ------------------------------------------------------------------------------ the stage
@dataclass
class Network:
    """A routed collective heat network.

    Attributes
    ----------
    pipes : geopandas.GeoDataFrame
        The ``pipes`` layer (docs/outputs.md): ``pipe_class``, ``length_m``, ``dn``, ``peak_kw``,
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

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> n = demo_result().network
    >>> sorted(set(n.pipes["pipe_class"]))
    ['primary', 'secondary', 'service', 'transport']
    >>> int(n.connections["connected"].sum())
    284
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
        link = self.pipes[self.pipes["segment_id"].eq("source").fillna(False).astype(bool)]
        rows += [
            ("source_link", float(link["length_m"].sum()) / 1000, "km"),
            ("source_link_cost", float(link["cost_eur"].sum()), "EUR excl. VAT"),
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
    buildings: BuildingStock | gpd.GeoDataFrame,
    *,
    source: tuple[float, float] | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    params: RoutingParams | None = None,
    demand_params: DemandParams | None = None,
    cost_params: CostParams | None = None,
) -> Network:
    """Route, size and price the trunk and service pipes of a collective heat network.

    Parameters
    ----------
    segments
        ``road_segments`` from :func:`~warmtegis.analyse_corridors` (or centrelines).
    buildings
        The buildings stage's result (:func:`~warmtegis.enrich_buildings`) or its
        ``buildings`` frame (``building_id``, ``category``, ``dwellings``,
        ``heat_demand_gj``, ``peak_kw``; ``mini_net_id`` when ``exclude_mini_nets``);
        buildings straight from :func:`~warmtegis.read_buildings` are enriched first.
    source
        Heat source (x, y) in EPSG:28992; the documented default when None.
    barriers
        Water and other lines/polygons whose crossing needs drilling.
    params, demand_params, cost_params
        Routing parameters, the demand figures (used only to enrich raw buildings) and
        prices.

    Returns
    -------
    Network

    Examples
    --------
    >>> import warmtegis as wg
    >>> from warmtegis.datasets import get_path
    >>> roads = wg.read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    >>> houses = wg.read_buildings(get_path("wageningen/bag_pand.gpkg"))
    >>> net = wg.route_network(roads, houses)
    >>> int(net.connections["connected"].sum())
    629
    >>> round(net.lengths_by_class["service"] / 1000, 2)
    11.09
    """
    # Long function: the routing stage in its order (graph, connections, Steiner tree, sizing,
    # pricing, business case), each step on the previous one's result
    p = (params or RoutingParams()).resolved()
    costs = cost_params or load_cost_params()
    if isinstance(buildings, BuildingStock):
        buildings = buildings.buildings
    else:
        buildings = check_frame(
            buildings,
            what="buildings",
            columns=("building_id",),
            geometry_types=("Polygon", "MultiPolygon"),
        )
        if not {"category", "dwellings"} <= set(buildings.columns):
            buildings = enrich_buildings(buildings, demand_params=demand_params).buildings
    segments = check_frame(
        segments,
        what="road segments",
        columns=("segment_id",),
        geometry_types=("LineString", "MultiLineString"),
    )
    if barriers is not None:
        barriers = check_frame(barriers, what="barriers")
    flh = (demand_params or DemandParams()).full_load_hours
    todo, units = _to_connect(buildings, p, costs, flh)
    barrier_geom = barrier_geoms(barriers, segments, p)
    edges, nodes = street_graph(segments, params=p, barriers=barriers, cost_params=costs)
    # the usable part is the largest (component 0, after linking what link_components may):
    # a source joins it at its nearest edge - along the roads where they belong to it, else
    # by a straight transport link - never a stray road piece that happens to lie nearer
    src_point = shapely.Point(source) if source is not None else None
    component = 0
    n_junctions = len(nodes)
    edges, nodes, service, source_node = connect_buildings(
        todo,
        edges,
        nodes,
        source=src_point,
        params=p,
        barriers=barrier_geom,
        component=component,
        cost_params=costs,
    )
    src_line = service.geometry.iloc[-1] if src_point is not None else None
    if src_line is not None and src_line.length > p.source_link_warning_m:
        log(
            f"routing: the heat source lies {src_line.length:,.0f} m from the nearest usable "
            f"street; it is joined by a straight transport pipe of that length (more than "
            f"source_link_warning_m = {p.source_link_warning_m:,.0f} m): check the source "
            "position, or add the roads that lead to it",
            logging.WARNING,
        )
    service = service.iloc[: len(todo)]
    conn = service[service["connected"]]
    if not len(conn):
        usable_edges = edges.geometry.values[edges["component"].to_numpy() == component]
        _, dist = shapely.STRtree(usable_edges).query_nearest(
            todo.geometry.values, return_distance=True, all_matches=False
        )
        raise InputError(
            f"routing: none of the {len(todo)} buildings to connect lies within "
            f"service_max_m = {p.service_max_m:g} m of a usable street (the nearest is "
            f"{float(dist.min()):,.0f} m away); do the roads cover the buildings' area? "
            "Else raise [parameters.routing] service_max_m"
        )
    if len(conn) < len(todo):
        log(
            f"routing: {len(todo) - len(conn)} of {len(todo)} buildings to connect lie more "
            f"than service_max_m = {p.service_max_m:g} m from a usable street and are left "
            "unconnected (not_connected in the summary); do the roads cover the "
            "buildings' area?",
            logging.WARNING,
        )
    peak = todo["peak_kw"].to_numpy(float)
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
                    "linked": False,
                    "crossings": count_crossings(np.array([src_line]), barrier_geom),
                    "dwellings_served": round(total_dw), "peak_kw": total_kw,
                    "pipe_class": "transport", "dn": pipe_dn(np.array([total_kw]), p),
                },
                geometry=[src_line],
                crs=settings.crs,
            )
        )  # fmt: skip
    pipes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
    pipes["length_m"] = pipes.length.to_numpy()
    # the impassable surcharge and the drilled crossings come on top of the class price
    base = price_pipes(pipes[["pipe_class", "length_m"]], p.net, params=costs)["cost_eur"]
    pipes = price_pipes(
        pipes,
        p.net,
        params=costs,
        impassable_penalty=p.impassable_penalty,
        crossing_eur=p.crossing_eur,
    )
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
    network.business_case = _business_case(network, todo, units, costs, extra, flh)
    log(
        f"routing: {int(service['connected'].sum())} of {len(service)} buildings connected, "
        f"trunk {result.length:,.0f} EUR-weighted over {len(rows)} edges; "
        + ", ".join(f"{c} {v / 1000:.2f} km" for c, v in network.lengths_by_class.items())
    )
    return network


def _to_connect(
    buildings: gpd.GeoDataFrame, p: RoutingParams, costs: CostParams, full_load_hours: float
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Select the buildings to connect, give each a heat demand, count their units.

    A unit is a dwelling; a non-residential building is one. A frame without ``peak_kw``
    gets demand / `full_load_hours` (:func:`~warmtegis.buildings.peak_load`). Buildings
    without a modelled demand get the cost file's figure per connection type
    (docs/method.md §2: 70 GJ non-residential, 42 ground-bound, 22 per apartment).
    """
    missing = [
        c for c in ("building_id", "category", "dwellings", "heat_demand_gj") if c not in buildings
    ]
    if missing:
        raise InputError(
            f"route_network: buildings lack column(s) {', '.join(missing)}; "
            "run them through warmtegis.enrich_buildings"
        )
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
    demand = todo["heat_demand_gj"].astype(float)
    gap = demand.isna().to_numpy()
    todo["heat_demand_gj"] = demand.fillna(pd.Series(fallback))
    if "peak_kw" not in todo:
        todo["peak_kw"] = peak_load(todo["heat_demand_gj"], full_load_hours)
    elif gap.any():
        todo.loc[gap, "peak_kw"] = peak_load(todo.loc[gap, "heat_demand_gj"], full_load_hours)
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
    full_load_hours: float,
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
        network.params.net,
        demand_gj_per_connection={**costs.business_case.demand_gj_per_connection, **gj.to_dict()},
        params=costs,
        extra_pipes_eur=extra_pipes_eur,
        full_load_hours=full_load_hours,
    )


def network_layers(network: Network) -> dict[str, gpd.GeoDataFrame]:
    """Return the routing stage's output layers: ``pipes``.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> list(network_layers(demo_result().network))
    ['pipes']
    """
    return {"pipes": network.pipes}
