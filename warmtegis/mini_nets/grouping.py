"""The mini-net stage: groups of 2-10 adjacent ground-bound dwellings on a shared borehole field.

It consumes the buildings stage (:mod:`warmtegis.buildings`: categories, dwelling types,
shared walls, heat demand):

1. :func:`partition_block` cuts every block (connected set of dwellings sharing walls) into
   contiguous groups of ``min_dwellings``-``max_dwellings`` with balanced sizes by recursive
   bisection: a breadth-first prefix from a peripheral dwelling whose remainder is still one
   connected piece.
2. :func:`mini_net_candidates` ties it together with the borehole sizing
   (:mod:`warmtegis.mini_nets.boreholes`) and the costs (:mod:`warmtegis.economics.pricing`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from warmtegis.buildings.classify import BuildingStock, enrich_buildings
from warmtegis.core.log import log
from warmtegis.economics.pricing import price_mini_nets
from warmtegis.mini_nets.boreholes import size_mini_nets
from warmtegis.params.costs import CostParams
from warmtegis.params.dwellings import BoreholeParams, DemandParams, MiniNetParams

__all__ = ["MiniNets", "mini_net_candidates", "partition_block", "partition_blocks"]


def _bfs_order(graph: nx.Graph, start: Any) -> list[Any]:
    order, seen, frontier = [start], {start}, [start]
    while frontier:
        nxt = []
        for node in frontier:
            for nb in sorted(graph.neighbors(node)):
                if nb not in seen:
                    seen.add(nb)
                    order.append(nb)
                    nxt.append(nb)
        frontier = nxt
    return order


def partition_block(graph: nx.Graph, *, min_size: int = 2, max_size: int = 10) -> list[list[Any]]:
    """Cut one connected block into contiguous groups of `min_size`-`max_size` nodes.

    The number of groups is ``ceil(n / max_size)`` and their sizes differ by at most one where
    the block's shape allows (a row of 14 becomes 7 + 7). Recursive bisection: the first part
    is a breadth-first prefix from a peripheral node (always connected) of the balanced size,
    accepted when the rest is connected too; otherwise neighbouring sizes and other start
    nodes are tried, and as a last resort the rest's pieces are partitioned on their own.
    Deterministic for a given graph (nodes are visited in sorted order).

    Returns
    -------
    list of list
        The groups (sorted node lists); empty when the block is smaller than `min_size`.
    """
    n = graph.number_of_nodes()
    if n < min_size:
        return []
    if n <= max_size:
        return [sorted(graph.nodes)]
    k = math.ceil(n / max_size)
    target = round(n * (k // 2) / k)

    def fits(a: int) -> bool:
        return bool(
            min_size <= a <= n - min_size
            and math.ceil(a / max_size) + math.ceil((n - a) / max_size) == k
        )

    sizes = sorted(
        (a for a in range(target - 2, target + 3) if fits(a)), key=lambda a: (abs(a - target), a)
    )
    if n <= 200:
        ecc = nx.eccentricity(graph)
        starts = sorted(graph.nodes, key=lambda v: (-ecc[v], v))[:8]
    else:  # large blocks: the far end of a BFS from the smallest node is peripheral enough
        starts = [_bfs_order(graph, min(graph.nodes))[-1]]
    for start in starts:
        order = _bfs_order(graph, start)
        for a in sizes:
            first, rest = order[:a], order[a:]
            if nx.is_connected(graph.subgraph(rest)):
                return partition_block(
                    graph.subgraph(first), min_size=min_size, max_size=max_size
                ) + partition_block(graph.subgraph(rest), min_size=min_size, max_size=max_size)
    # last resort: cut anyway, partition the rest's pieces; a lone node joins a neighbour group
    order = _bfs_order(graph, starts[0])
    first = order[:target]
    groups = partition_block(graph.subgraph(first), min_size=min_size, max_size=max_size)
    for piece in nx.connected_components(graph.subgraph(order[target:])):
        if len(piece) >= min_size:
            groups += partition_block(graph.subgraph(piece), min_size=min_size, max_size=max_size)
            continue
        for g in groups:
            if len(g) < max_size and any(graph.has_edge(u, v) for u in piece for v in g):
                g.extend(sorted(piece))
                g.sort()
                break
        else:
            groups.append(sorted(piece))  # cannot be placed: a group below min_size, flagged
    return groups


def partition_blocks(graph: nx.Graph, *, params: MiniNetParams | None = None) -> dict[str, Any]:
    """Group id (``"b<block>-g<group>"``) per node for every block of the graph."""
    p = params or MiniNetParams()
    out = {}
    blocks = sorted(nx.connected_components(graph), key=min)
    for b, comp in enumerate(blocks):
        groups = partition_block(
            graph.subgraph(comp), min_size=p.min_dwellings, max_size=p.max_dwellings
        )
        for g, members in enumerate(groups):
            for node in members:
                out[node] = (b, g)
    log(f"partitioned {len(blocks)} blocks into {len(set(out.values()))} groups")
    return out


@dataclass
class MiniNets:
    """Result of :func:`mini_net_candidates`.

    Attributes
    ----------
    buildings : geopandas.GeoDataFrame
        Every input building with ``building_id``, ``category``, ``basis``, ``dwellings``,
        ``dwelling_type``, ``floor_area_m2``, ``heat_demand_gj``, ``block_id``,
        ``mini_net_id`` (nullable), ``eligible`` and ``connected`` (False; set by routing).
    mini_nets : geopandas.GeoDataFrame
        One row per group: the dissolved footprints, ``mini_net_id``, ``n_dwellings``,
        ``heat_demand_gj``, borehole field, ``trench_length_m`` and costs
        (:func:`warmtegis.economics.pricing.price_mini_nets`).
    walls : pandas.DataFrame
        Shared walls between dwellings: ``building_id_a``, ``building_id_b``, ``wall_m``.
    stock : BuildingStock
        The buildings stage's result the groups were formed from.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> m = demo_result().mini_nets
    >>> bool(m.mini_nets["n_dwellings"].between(2, 10).all())
    True
    >>> int(m.mini_nets["n_dwellings"].sum()) == int(m.buildings["mini_net_id"].notna().sum())
    True
    """

    buildings: gpd.GeoDataFrame
    mini_nets: gpd.GeoDataFrame
    walls: pd.DataFrame
    stock: BuildingStock | None = None

    @property
    def eligible_dwellings(self) -> int:
        """Dwellings in a candidate group."""
        return int(self.buildings["eligible"].sum())

    @property
    def capex_per_dwelling_eur(self) -> float:
        """Investment per dwelling over all groups (euro incl. VAT); NaN without groups."""
        m = self.mini_nets
        n = float(m["n_dwellings"].sum())
        return float(m["capex_eur"].sum()) / n if n else float("nan")

    def summary(self) -> list[tuple[str, float, str]]:
        """Return the buildings stage's and the mini-net figures as ``(key, value, unit)`` rows."""
        b, m = self.buildings, self.mini_nets
        all_dwellings = int(b["dwellings"].sum())
        eligible = self.eligible_dwellings
        rows: list[tuple[str, float, str]] = [] if self.stock is None else self.stock.summary()
        rows += [
            ("mini_net_eligible_dwellings", eligible, "count"),
            (
                "mini_net_share_of_dwellings",
                100 * eligible / all_dwellings if all_dwellings else 0.0,
                "%",
            ),
            ("mini_nets", len(m), "count"),
        ]
        sizes = m["n_dwellings"].value_counts()
        for size in range(2, int(m["n_dwellings"].max()) + 1 if len(m) else 2):
            rows.append((f"mini_nets_of_{size}", int(sizes.get(size, 0)), "count"))
        if len(m):
            rows += [
                ("mini_net_boreholes", int(m["n_boreholes"].sum()), "count"),
                ("mini_net_drilled", m["drilled_m"].sum() / 1000, "km"),
                ("mini_net_trench", m["trench_length_m"].sum() / 1000, "km"),
                ("mini_net_capex", m["capex_eur"].sum(), "EUR incl. VAT"),
                ("mini_net_capex_per_dwelling", self.capex_per_dwelling_eur, "EUR incl. VAT"),
            ]
        return rows


def mini_net_candidates(
    buildings: BuildingStock | gpd.GeoDataFrame,
    *,
    params: MiniNetParams | None = None,
    demand_params: DemandParams | None = None,
    borehole_params: BoreholeParams | None = None,
    cost_params: CostParams | None = None,
) -> MiniNets:
    """Find mini heat network candidates: groups of adjacent ground-bound dwellings.

    Parameters
    ----------
    buildings
        The buildings stage's result (:func:`~warmtegis.enrich_buildings`), or buildings as
        returned by :func:`warmtegis.read_buildings`, which are enriched first with
        `params` and `demand_params`.
    params, demand_params, borehole_params, cost_params
        :class:`~warmtegis.params.MiniNetParams`, :class:`~warmtegis.params.DemandParams`,
        :class:`~warmtegis.params.BoreholeParams`, :class:`~warmtegis.params.costs.CostParams`.

    Returns
    -------
    MiniNets

    Examples
    --------
    >>> import warmtegis as wg
    >>> from warmtegis.datasets import get_path
    >>> m = wg.mini_net_candidates(wg.read_buildings(get_path("delft_wippolder/bag_pand.gpkg")))
    >>> len(m.mini_nets), int(m.mini_nets["n_dwellings"].sum())
    (6, 30)
    """
    if isinstance(buildings, BuildingStock):
        stock = buildings
    else:
        stock = enrich_buildings(buildings, params=params, demand_params=demand_params)
    p = params or stock.params
    dp = stock.demand_params
    bp = borehole_params or BoreholeParams()
    out = stock.buildings.copy()
    graph = stock.graph()
    dwell = np.array(sorted(graph.nodes), dtype=int)

    if p.join_detached_within_m > 0:
        lone = np.array([v for v in dwell if graph.degree(v) == 0], dtype=int)
        geoms = out.geometry.to_numpy()[lone]
        i, j = shapely.STRtree(geoms).query(
            geoms, predicate="dwithin", distance=p.join_detached_within_m
        )
        keep = i < j
        graph.add_edges_from(zip(lone[i[keep]].tolist(), lone[j[keep]].tolist(), strict=True))

    groups = partition_blocks(graph, params=p)
    rows = np.fromiter(groups.keys(), dtype=int, count=len(groups))
    block = np.full(len(out), -1)
    block[rows] = [blk for blk, _ in groups.values()]
    label = np.full(len(out), None, dtype=object)
    label[rows] = [f"mn{blk:05d}-{g:02d}" for blk, g in groups.values()]
    if len(rows):  # a group below the minimum size (a block that could not be cut) is none
        _, inverse, counts = np.unique(label[rows].astype(str), return_inverse=True,
                                       return_counts=True)  # fmt: skip
        label[rows[counts[inverse] < p.min_dwellings]] = None
    out["block_id"] = pd.array([int(b) if b >= 0 else None for b in block], dtype="Int64")
    out["mini_net_id"] = pd.array(label, dtype="string")
    out["eligible"] = label != None  # noqa: E711 (elementwise)
    out["connected"] = False

    eligible = out["eligible"].to_numpy(bool)
    # the groups in sorted id order, their footprints merged and their demand summed (plain
    # arrays: dissolve and groupby cost more than the work itself on a small area)
    ids, code = np.unique(out["mini_net_id"].to_numpy(object)[eligible].astype(str),
                          return_inverse=True)  # fmt: skip
    geoms = out.geometry.to_numpy()[eligible]
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(ids) + 1))
    merged = [shapely.union_all(geoms[order[a:b]]) for a, b in itertools.pairwise(bounds)]
    n_dwellings = np.bincount(code, minlength=len(ids))
    demand = np.bincount(code, out["heat_demand_gj"].to_numpy(float)[eligible], minlength=len(ids))
    nets = gpd.GeoDataFrame(
        {"mini_net_id": ids, "n_dwellings": n_dwellings, "heat_demand_gj": demand},
        geometry=gpd.GeoSeries(np.asarray(merged, dtype=object), crs=out.crs),
    )
    sizing = size_mini_nets(n_dwellings, demand, params=bp, full_load_hours=dp.full_load_hours)
    for column in sizing.columns:
        nets[column] = sizing[column].to_numpy()
    nets["trench_length_m"] = _trench_lengths(out, graph, nets, bp.spacing_m)
    nets = price_mini_nets(nets, params=cost_params)
    log(
        f"mini nets: {len(dwell)} ground-bound dwellings, {int(out['eligible'].sum())} in "
        f"{len(nets)} groups"
    )
    return MiniNets(
        buildings=out,
        mini_nets=nets,
        walls=stock.walls[["building_id_a", "building_id_b", "wall_m"]],
        stock=stock,
    )


def _trench_lengths(
    buildings: gpd.GeoDataFrame, graph: nx.Graph, nets: pd.DataFrame, spacing_m: float
) -> np.ndarray:
    """Return the collective trench length per group (m).

    A minimum spanning tree between the dwellings' footprint centres along the group's
    shared walls (the trench past the facades), plus the line of loops, (n - 1) × spacing.
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import minimum_spanning_tree

    ids = buildings["mini_net_id"]
    group = ids.astype(object).where(ids.notna(), None).to_numpy()
    names = nets["mini_net_id"].astype(str).to_numpy()
    per_group = np.zeros(len(names))
    e = np.asarray(list(graph.edges), dtype=int).reshape(-1, 2)
    if len(e):
        same = np.array([group[u] is not None and group[u] == group[v] for u, v in e], bool)
        e = e[same]
    if len(e):
        centres = shapely.centroid(buildings.geometry.to_numpy()[np.unique(e)])
        nodes, local = np.unique(e, return_inverse=True)
        local = local.reshape(-1, 2)
        dist = shapely.distance(centres[local[:, 0]], centres[local[:, 1]])
        # a weight of 0 would drop the edge from the sparse matrix: floor it
        w = np.maximum(dist, 1e-9)
        m = coo_array((w, (local[:, 0], local[:, 1])), shape=(len(nodes), len(nodes)))
        tree = minimum_spanning_tree(m).tocoo()
        owner = pd.Index(names).get_indexer(group[nodes[tree.row]].astype(str))
        per_group = np.bincount(owner, tree.data, minlength=len(names)).astype(float)
    return np.asarray(per_group + (nets["n_boreholes"].to_numpy() - 1) * spacing_m)
