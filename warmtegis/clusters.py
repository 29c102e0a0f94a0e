"""Mini heat network candidates: dwellings, shared walls, blocks and 2-10 dwelling groups.

1. :func:`classify_buildings` decides per building whether it is one ground-bound dwelling,
   a multi-dwelling (apartment) building, non-residential, an outbuilding or not in use: from
   BAG attributes (``use`` holds ``woonfunctie``, ``n_units`` verblijfsobjecten, ``status``)
   where the source has them, else from OSM ``building`` tags, else from the footprint alone
   (``min_footprint_m2`` ≤ footprint ≤ ``max_footprint_m2`` counts as one dwelling; smaller is
   an outbuilding, larger unknown and left out) — the fallback for BGT and LVBAG panden.
2. :func:`shared_walls` finds dwellings that share a wall: footprints within
   ``gap_tolerance_m`` of each other whose boundaries run together for at least
   ``min_shared_wall_m`` (both ways, so a sliver or a corner touch is not a wall).
3. :func:`partition_block` cuts every block (connected set of dwellings sharing walls) into
   contiguous groups of ``min_dwellings``-``max_dwellings`` with balanced sizes by recursive
   bisection: a breadth-first prefix from a peripheral dwelling whose remainder is still one
   connected piece.
4. :func:`mini_net_candidates` ties it together with the heat demand (:mod:`warmtegis.demand`),
   the borehole sizing (:mod:`warmtegis.boreholes`) and the costs (:mod:`warmtegis.costs`).

Adjacency is computed here with shapely 2 array operations on an STRtree rather than with
libpysal/momepy contiguity: those give neighbours (rook/queen/fuzzy) but not the shared wall
length per pair, which is what separates a party wall from a corner touch or a digitising gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._errors import ConfigError
from ._log import log
from .params import register

__all__ = [
    "CATEGORIES",
    "MiniNetParams",
    "classify_buildings",
    "dwelling_types",
    "partition_block",
    "partition_blocks",
    "shared_walls",
]

#: Building categories of :func:`classify_buildings`.
CATEGORIES = (
    "ground_bound",
    "apartments",
    "non_residential",
    "outbuilding",
    "not_in_use",
    "unknown",
)
_OSM_GROUND_BOUND = {"house", "terrace", "semidetached_house", "detached", "bungalow", "farm"}
_OSM_APARTMENTS = {"apartments", "dormitory"}
_OSM_OUTBUILDING = {"garage", "garages", "shed", "carport", "hut", "roof", "greenhouse", "cabin"}
_OSM_NON_RESIDENTIAL = {
    "commercial", "industrial", "retail", "school", "church", "office", "warehouse", "public",
    "hospital", "kindergarten", "university", "civic", "barn", "farm_auxiliary",
}  # fmt: skip


@register("mini_nets")
@dataclass(frozen=True)
class MiniNetParams:
    """Parameters of mini-net clustering (``[parameters.mini_nets]``).

    Attributes
    ----------
    min_dwellings, max_dwellings : int
        Group size (DOMAIN §3: 2-10 dwellings).
    min_shared_wall_m : float
        Shared boundary length that makes a party wall (m). Default 2.0.
    gap_tolerance_m : float
        Digitising gap bridged between two footprints (m). Default 0.3.
    min_footprint_m2, max_footprint_m2 : float
        Footprint range of one ground-bound dwelling when the source has no use attributes
        (BGT, LVBAG without verblijfsobjecten, OSM ``building=yes``). Defaults 35 and 250.
    in_use_statuses : tuple of str
        Building statuses that count as in use; other known statuses (building permit,
        demolition permit) are left out. A missing status counts as in use.
    join_detached_within_m : float
        Also join detached dwellings within this distance of each other into groups (m).
        Default 0 (off).
    """

    min_dwellings: int = field(default=2, metadata={"min": 2})
    max_dwellings: int = field(default=10, metadata={"min": 2})
    min_shared_wall_m: float = 2.0
    gap_tolerance_m: float = 0.3
    min_footprint_m2: float = 35.0
    max_footprint_m2: float = 250.0
    in_use_statuses: tuple[str, ...] = (
        "Pand in gebruik",
        "Pand in gebruik (niet ingemeten)",
        "Verbouwing pand",
        "bestaand",
        "geenWaarde",
    )
    join_detached_within_m: float = 0.0

    def __post_init__(self) -> None:
        if self.min_dwellings > self.max_dwellings:
            raise ConfigError("[parameters.mini_nets] min_dwellings must not exceed max_dwellings")


def classify_buildings(
    buildings: gpd.GeoDataFrame, *, params: MiniNetParams | None = None
) -> pd.DataFrame:
    """Category and number of dwellings of every building.

    Parameters
    ----------
    buildings
        Buildings as returned by :func:`warmtegis.read_buildings`.
    params
        :class:`MiniNetParams`.

    Returns
    -------
    pandas.DataFrame
        Indexed like `buildings`: ``category`` (one of :data:`CATEGORIES`), ``dwellings`` (int)
        and ``basis`` (``"register"``, ``"osm_tag"`` or ``"footprint"``: what decided it).
    """
    p = params or MiniNetParams()
    n = len(buildings)
    area = buildings.geometry.area.to_numpy()
    category = np.full(n, "unknown", dtype=object)
    dwellings = np.zeros(n, dtype=int)
    basis = np.full(n, "footprint", dtype=object)

    def col(name: str) -> pd.Series:
        return buildings[name] if name in buildings else pd.Series(pd.NA, index=buildings.index)

    use = col("use").astype("string")
    units = pd.to_numeric(col("n_units"), errors="coerce")
    osm = col("building").astype("string").str.lower()
    status = col("status").astype("string")

    # 1. register attributes (BAG with verblijfsobjecten); in a register that counts them,
    #    a pand without a count has no verblijfsobject (greenhouse, shed)
    if units.notna().any():
        units = units.fillna(0)
    known = (units.notna() & (use.notna() | (units == 0))).to_numpy()
    residential = use.str.contains("woonfunctie", na=False).to_numpy()
    u = units.fillna(0).to_numpy(dtype=int)
    category[known & residential & (u == 1)] = "ground_bound"
    category[known & residential & (u >= 2)] = "apartments"
    category[known & ~residential & (u >= 1)] = "non_residential"
    category[known & (u == 0)] = "outbuilding"
    basis[known] = "register"
    # 2. OSM tags
    tagged = (
        ~known
        & osm.isin(
            _OSM_GROUND_BOUND | _OSM_APARTMENTS | _OSM_OUTBUILDING | _OSM_NON_RESIDENTIAL
        ).to_numpy()
    )
    for tags, cat in (
        (_OSM_GROUND_BOUND, "ground_bound"),
        (_OSM_APARTMENTS, "apartments"),
        (_OSM_OUTBUILDING, "outbuilding"),
        (_OSM_NON_RESIDENTIAL, "non_residential"),
    ):
        category[tagged & osm.isin(tags).to_numpy()] = cat
    basis[tagged] = "osm_tag"
    # 3. footprint fallback
    rest = ~known & ~tagged
    category[rest & (area < p.min_footprint_m2)] = "outbuilding"
    category[rest & (area >= p.min_footprint_m2) & (area <= p.max_footprint_m2)] = "ground_bound"
    # not in use overrides everything
    out_of_use = (status.notna() & ~status.isin(p.in_use_statuses)).to_numpy()
    category[out_of_use] = "not_in_use"
    dwellings[category == "ground_bound"] = 1
    apartments = category == "apartments"
    dwellings[apartments] = np.where(u[apartments] >= 2, u[apartments], 0)
    return pd.DataFrame(
        {"category": category, "dwellings": dwellings, "basis": basis}, index=buildings.index
    )


def shared_walls(
    footprints: gpd.GeoSeries, *, min_shared_wall_m: float = 2.0, gap_tolerance_m: float = 0.3
) -> pd.DataFrame:
    """Pairs of footprints that share a wall, with the shared length.

    Two footprints share a wall when each one's boundary runs within `gap_tolerance_m` of the
    other footprint for at least `min_shared_wall_m` (the smaller of the two lengths counts,
    so slivers and corner touches are not walls; digitising gaps up to the tolerance are).

    Returns
    -------
    pandas.DataFrame
        Columns ``i``, ``j`` (positions in `footprints`, i < j) and ``wall_m``.
    """
    geoms = footprints.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=gap_tolerance_m)
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return pd.DataFrame({"i": i, "j": j, "wall_m": np.zeros(0)})
    tol = max(gap_tolerance_m, 1e-3)
    a_in_b = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.buffer(geoms[j], tol))
    )
    b_in_a = shapely.length(
        shapely.intersection(shapely.boundary(geoms[j]), shapely.buffer(geoms[i], tol))
    )
    wall = np.minimum(a_in_b, b_in_a)
    ok = wall >= min_shared_wall_m
    return pd.DataFrame({"i": i[ok], "j": j[ok], "wall_m": wall[ok]})


def dwelling_types(graph: nx.Graph) -> dict:
    """Detached, semi-detached, end-of-terrace or mid-terrace from the shared-wall graph."""
    out = {}
    for comp in nx.connected_components(graph):
        for node in comp:
            degree = graph.degree(node)
            if len(comp) == 1:
                out[node] = "detached"
            elif len(comp) == 2:
                out[node] = "semi-detached"
            else:
                out[node] = "end-of-terrace" if degree <= 1 else "mid-terrace"
    return out


def _bfs_order(graph: nx.Graph, start) -> list:
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


def partition_block(graph: nx.Graph, *, min_size: int = 2, max_size: int = 10) -> list[list]:
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
        return (
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


def partition_blocks(graph: nx.Graph, *, params: MiniNetParams | None = None) -> dict:
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
        (:func:`warmtegis.costs.price_mini_nets`).
    walls : pandas.DataFrame
        Shared walls between dwellings: ``building_id_a``, ``building_id_b``, ``wall_m``.
    """

    buildings: gpd.GeoDataFrame
    mini_nets: gpd.GeoDataFrame
    walls: pd.DataFrame

    def summary(self) -> list[tuple[str, float, str]]:
        """Return the counts per area as ``(key, value, unit)`` rows."""
        b, m = self.buildings, self.mini_nets
        ground = b["category"] == "ground_bound"
        all_dwellings = int(b["dwellings"].sum())
        eligible = int(b["eligible"].sum())
        rows: list[tuple[str, float, str]] = [
            ("dwellings", all_dwellings, "count"),
            ("dwellings_ground_bound", int(ground.sum()), "count"),
            (
                "dwellings_in_apartment_buildings",
                int(b.loc[b["category"] == "apartments", "dwellings"].sum()),
                "count",
            ),
            ("buildings_outbuilding", int((b["category"] == "outbuilding").sum()), "count"),
            ("buildings_non_residential", int((b["category"] == "non_residential").sum()), "count"),
        ]
        for kind in ("detached", "semi-detached", "end-of-terrace", "mid-terrace"):
            rows.append((f"dwellings_{kind}", int((b["dwelling_type"] == kind).sum()), "count"))
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
                (
                    "mini_net_capex_per_dwelling",
                    m["capex_eur"].sum() / m["n_dwellings"].sum(),
                    "EUR incl. VAT",
                ),
            ]
        return rows


def mini_net_candidates(
    buildings: gpd.GeoDataFrame,
    *,
    params: MiniNetParams | None = None,
    demand_params=None,
    borehole_params=None,
    cost_params=None,
) -> MiniNets:
    """Find mini heat network candidates: groups of adjacent ground-bound dwellings.

    Parameters
    ----------
    buildings
        Buildings as returned by :func:`warmtegis.read_buildings` (EPSG:28992). A
        ``heat_demand_gj`` column, where filled, overrides the reference demand per building.
    params, demand_params, borehole_params, cost_params
        :class:`MiniNetParams`, :class:`~warmtegis.demand.DemandParams`,
        :class:`~warmtegis.boreholes.BoreholeParams`, :class:`~warmtegis.costs.CostParams`.

    Returns
    -------
    MiniNets
    """
    from .boreholes import BoreholeParams, size_mini_nets
    from .costs import price_mini_nets
    from .demand import DemandParams, heat_demand

    p = params or MiniNetParams()
    dp = demand_params or DemandParams()
    bp = borehole_params or BoreholeParams()
    if "building_id" not in buildings:
        raise ConfigError("buildings have no column 'building_id'; read them with read_buildings")
    out = buildings.reset_index(drop=True).copy()
    cls = classify_buildings(out, params=p)
    out["category"] = cls["category"]
    out["basis"] = cls["basis"]
    out["dwellings"] = cls["dwellings"].astype(int)
    ids = out["building_id"].astype(str).to_numpy()
    dwell = np.flatnonzero(out["category"].to_numpy() == "ground_bound")

    walls = shared_walls(
        out.geometry.iloc[dwell],
        min_shared_wall_m=p.min_shared_wall_m,
        gap_tolerance_m=p.gap_tolerance_m,
    )
    a, b = dwell[walls["i"].to_numpy()], dwell[walls["j"].to_numpy()]
    graph = nx.Graph()
    graph.add_nodes_from(dwell.tolist())
    graph.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    types = dwelling_types(graph)
    out["dwelling_type"] = pd.Series(types, dtype=object).reindex(out.index)

    if p.join_detached_within_m > 0:
        lone = np.array([v for v in dwell if graph.degree(v) == 0], dtype=int)
        geoms = out.geometry.to_numpy()[lone]
        i, j = shapely.STRtree(geoms).query(
            geoms, predicate="dwithin", distance=p.join_detached_within_m
        )
        keep = i < j
        graph.add_edges_from(zip(lone[i[keep]].tolist(), lone[j[keep]].tolist(), strict=True))

    floor = pd.to_numeric(out.get("floor_area_max_m2"), errors="coerce")
    registered = (out["basis"] == "register") & (floor > 0)
    out["floor_area_m2"] = np.where(registered, floor, out.geometry.area * dp.storeys)
    demand = heat_demand(out["year_built"], out["floor_area_m2"], out["dwelling_type"], params=dp)
    demand = demand.where(out["category"] == "ground_bound")
    demand = demand.mask(out["category"] == "apartments", out["dwellings"] * dp.apartment_gj)
    if "heat_demand_gj" in buildings:
        given = pd.to_numeric(buildings["heat_demand_gj"], errors="coerce").reset_index(drop=True)
        demand = given.where(given.notna(), demand)
    out["heat_demand_gj"] = demand.astype(float)

    groups = partition_blocks(graph, params=p)
    blocks = {v: blk for v, (blk, _) in groups.items()}
    out["block_id"] = pd.Series(blocks, dtype="Int64").reindex(out.index)
    labels = {v: f"mn{blk:05d}-{g:02d}" for v, (blk, g) in groups.items()}
    out["mini_net_id"] = pd.Series(labels, dtype="string").reindex(out.index)
    size = out.groupby("mini_net_id")["mini_net_id"].transform("size")
    too_small = out["mini_net_id"].notna() & (size < p.min_dwellings)
    out.loc[too_small, "mini_net_id"] = pd.NA
    out["eligible"] = out["mini_net_id"].notna()
    out["connected"] = False

    members = out[out["eligible"]]
    nets = members[["mini_net_id", "geometry"]].dissolve(by="mini_net_id", as_index=False)
    agg = members.groupby("mini_net_id").agg(
        n_dwellings=("dwellings", "size"), heat_demand_gj=("heat_demand_gj", "sum")
    )
    nets = nets.merge(agg, left_on="mini_net_id", right_index=True)
    sizing = size_mini_nets(
        nets["n_dwellings"].to_numpy(), nets["heat_demand_gj"].to_numpy(), params=bp
    )
    for column in sizing.columns:
        nets[column] = sizing[column].to_numpy()
    nets["trench_length_m"] = _trench_lengths(out, graph, nets, bp.spacing_m)
    nets = price_mini_nets(nets, params=cost_params)
    nets = gpd.GeoDataFrame(nets, geometry="geometry", crs=buildings.crs)
    wall_table = pd.DataFrame(
        {"building_id_a": ids[a], "building_id_b": ids[b], "wall_m": walls["wall_m"].to_numpy()}
    )
    log(
        f"mini nets: {len(dwell)} ground-bound dwellings, {int(out['eligible'].sum())} in "
        f"{len(nets)} groups"
    )
    return MiniNets(buildings=out, mini_nets=nets, walls=wall_table)


def _trench_lengths(
    buildings: gpd.GeoDataFrame, graph: nx.Graph, nets: pd.DataFrame, spacing_m: float
) -> np.ndarray:
    """Return the collective trench length per group (m).

    A minimum spanning tree between the dwellings' footprint centres along the group's
    shared walls (the trench past the facades), plus the line of loops, (n - 1) × spacing.
    """
    ids = buildings["mini_net_id"]
    group = ids.astype(object).where(ids.notna(), None).to_numpy()
    edges = [(u, v) for u, v in graph.edges if group[u] is not None and group[u] == group[v]]
    names = nets["mini_net_id"].astype(str).to_numpy()
    per_group = pd.Series(0.0, index=names)
    if edges:
        e = np.asarray(edges, dtype=int)
        centres = shapely.centroid(buildings.geometry.to_numpy())
        dist = shapely.distance(centres[e[:, 0]], centres[e[:, 1]])
        trees = nx.Graph()
        trees.add_weighted_edges_from(
            zip(e[:, 0].tolist(), e[:, 1].tolist(), dist.tolist(), strict=True)
        )
        mst = list(nx.minimum_spanning_tree(trees).edges(data="weight"))
        tree = pd.Series([w for _, _, w in mst], index=[group[u] for u, _, _ in mst])
        per_group = tree.groupby(level=0).sum().reindex(names, fill_value=0.0)
    return per_group.to_numpy() + (nets["n_boreholes"].to_numpy() - 1) * spacing_m
