"""Steiner trees in street graphs: heuristics, local search and an exact MILP.

The trunk of a heat network is a Steiner tree: the shortest (cheapest) tree in the street
graph that joins the heat source to every connection point. The problem is NP-hard, so the
layout is built in three steps:

1. a construction heuristic — networkx's Mehlhorn or Kou 2-approximations, or the shortest
   path heuristic of Takahashi & Matsuyama (1980), which grows the tree from the source by
   repeatedly adding the terminal nearest to the tree (``"sph"``);
2. local search by **key-path exchange** (Duin & Voß 1997; Uchoa & Werneck 2010): a key path
   is a stretch of the tree between terminals or branch points whose inner nodes are plain
   degree-2 nodes. Removing it cuts the tree in two; if the two parts can be rejoined by a
   shorter path through the graph (found for every key path at once from the Voronoi
   regions of the tree's nodes), the exchange is made. Many independent exchanges are made
   per pass; after each pass the tree is rebuilt as the minimum spanning tree of the graph
   induced by its nodes and non-terminal leaves are pruned. Passes repeat until no exchange
   shortens the tree;
3. on small instances, the exact optimum from a mixed-integer program (directed
   multi-commodity flow formulation, solved by HiGHS through :func:`scipy.optimize.milp`),
   used to measure how far the heuristics are from optimal.

``"improved"`` (the default) runs the shortest path heuristic and Mehlhorn's tree, improves
both by key-path exchange and keeps the shorter.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["METHODS", "SteinerResult", "shortest_path_tree", "steiner_milp", "steiner_tree"]

#: Methods accepted by :func:`steiner_tree`.
METHODS = ("improved", "sph", "mehlhorn", "kou", "milp")
_EPS = 1e-9


@dataclass
class SteinerResult:
    """A Steiner tree and how it was found.

    Attributes
    ----------
    tree : networkx.Graph
        The tree: a subgraph of the input graph (edge attributes kept) spanning the terminals.
    length : float
        Sum of the tree's edge weights.
    method : str
        The method that built it.
    optimal : bool
        True when proven optimal (MILP solved to optimality).
    bound : float
        Lower bound on the optimum (MILP only; NaN otherwise).
    passes : int
        Local-search passes made (``"improved"`` only).
    """

    tree: nx.Graph
    length: float
    method: str
    optimal: bool = False
    bound: float = float("nan")
    passes: int = 0
    info: dict[str, Any] = field(default_factory=dict)


class _Graph:
    """An undirected weighted graph as integer arrays (node ``i`` = ``nodes[i]``)."""

    def __init__(self, G: nx.Graph, weight: str = "weight") -> None:
        self.nodes = list(G)
        self.index = {v: i for i, v in enumerate(self.nodes)}
        idx = self.index
        eu, ev, w = [], [], []
        for u, v, d in G.edges(data=weight, default=1.0):
            if u == v:
                continue
            eu.append(idx[u])
            ev.append(idx[v])
            w.append(float(d))
        self._fill(
            len(self.nodes),
            np.asarray(eu, dtype=np.int64),
            np.asarray(ev, dtype=np.int64),
            np.asarray(w, dtype=float),
        )

    def _fill(self, n: int, u: np.ndarray, v: np.ndarray, wt: np.ndarray) -> None:
        self.n = n
        if len(wt) and (wt < 0).any():
            raise ValueError("edge weights must be >= 0")
        # scipy's sparse graphs drop explicit zeros: give zero-length edges a tiny weight
        wt = np.maximum(wt, _EPS)
        self.eu, self.ev = np.minimum(u, v), np.maximum(u, v)
        self.w = wt
        self.m = len(wt)
        self.eid = {
            (a, b): i
            for i, (a, b) in enumerate(zip(self.eu.tolist(), self.ev.tolist(), strict=True))
        }
        self.matrix = sp.csr_array(
            (np.r_[wt, wt], (np.r_[self.eu, self.ev], np.r_[self.ev, self.eu])),
            shape=(self.n, self.n),
        )
        self._adj: list[list[tuple[int, float]]] | None = None

    @property
    def adj(self) -> list[list[tuple[int, float]]]:
        """Adjacency lists ``[(neighbour, weight), ...]`` per node (for pure-Python searches)."""
        if self._adj is None:
            self._adj = self.adjacency(self.w)
        return self._adj

    def adjacency(self, w: np.ndarray) -> list[list[tuple[int, float]]]:
        """Adjacency lists with edge weights `w` (one per edge)."""
        m = sp.csr_array(
            (np.r_[w, w], (np.r_[self.eu, self.ev], np.r_[self.ev, self.eu])),
            shape=(self.n, self.n),
        )
        ind, dat, ptr = m.indices.tolist(), m.data.tolist(), m.indptr.tolist()
        return [
            list(zip(ind[ptr[i] : ptr[i + 1]], dat[ptr[i] : ptr[i + 1]], strict=True))
            for i in range(self.n)
        ]

    def edge_ids(self, a: Iterable[int], b: Iterable[int]) -> np.ndarray:
        eid = self.eid
        return np.fromiter(
            (eid[(x, y) if x < y else (y, x)] for x, y in zip(a, b, strict=True)), np.int64
        )

    def length(self, edges: np.ndarray) -> float:
        return float(self.w[edges].sum())

    def subgraph(self, G: nx.Graph, edges: np.ndarray) -> nx.Graph:
        nodes = self.nodes
        return G.edge_subgraph(
            [
                (nodes[a], nodes[b])
                for a, b in zip(self.eu[edges].tolist(), self.ev[edges].tolist(), strict=True)
            ]
        ).copy()


# ----------------------------------------------------------------------------- tree helpers
def _mst_prune(g: _Graph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
    """MST of the graph induced by the nodes of `edges`, then prune non-terminal leaves."""
    edges = np.unique(edges)
    nodes = np.unique(np.r_[g.eu[edges], g.ev[edges]])
    inside = np.zeros(g.n, bool)
    inside[nodes] = True
    induced = np.flatnonzero(inside[g.eu] & inside[g.ev])
    sub = sp.csr_array((g.w[induced], (g.eu[induced], g.ev[induced])), shape=(g.n, g.n))
    mst = csgraph.minimum_spanning_tree(sub).tocoo()
    tree = g.edge_ids(mst.row.tolist(), mst.col.tolist())
    return _prune(g, tree, is_term)


def _prune(g: _Graph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
    """Remove non-terminal leaves until none is left."""
    u, v = g.eu[edges], g.ev[edges]
    deg = np.bincount(np.r_[u, v], minlength=g.n)
    inc: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        inc.setdefault(a, []).append(k)
        inc.setdefault(b, []).append(k)
    alive = np.ones(len(edges), bool)
    stack = [x for x in inc if deg[x] == 1 and not is_term[x]]
    while stack:
        x = stack.pop()
        for k in inc[x]:
            if alive[k]:
                alive[k] = False
                y = int(u[k]) if v[k] == x else int(v[k])
                deg[x] -= 1
                deg[y] -= 1
                if deg[y] == 1 and not is_term[y]:
                    stack.append(y)
    return edges[alive]


# ----------------------------------------------------------------------------- construction
def _sph(g: _Graph, terminals: np.ndarray, root: int, w: np.ndarray | None = None) -> np.ndarray:
    """Shortest path heuristic: grow from `root`, always adding the nearest terminal.

    Distances to the growing tree are kept up to date by a Dijkstra wave started from each
    newly added path only, which touches just the nodes that got closer to the tree, and
    only up to a radius: distances below the radius are exact, larger ones may be stale
    (too long). When the nearest terminal lies beyond the radius, all distances are
    recomputed exactly (scipy's multi-source Dijkstra) and the radius doubles. The result
    is the exact heuristic; the radius only bounds the work of each wave.
    `w` replaces the edge weights (e.g. perturbed ones).
    """
    if w is None:
        w, adj, matrix = g.w, g.adj, g.matrix
    else:
        adj = g.adjacency(w)
        matrix = sp.csr_array(
            (np.r_[w, w], (np.r_[g.eu, g.ev], np.r_[g.ev, g.eu])), shape=(g.n, g.n)
        )
    n = g.n
    inf = float("inf")
    dist = [inf] * n
    pred = [-1] * n
    is_term = bytearray(n)
    for t in terminals.tolist():
        is_term[t] = 1
    in_tree = bytearray(n)
    theap: list[tuple[float, int]] = []
    pop, push = heapq.heappop, heapq.heappush
    eu: list[int] = []
    ev: list[int] = []
    radius = 4.0 * float(np.median(w)) if len(w) else 0.0

    def grow(new: list[int]) -> None:
        heap = []
        for x in new:
            dist[x] = 0.0
            pred[x] = -1
            in_tree[x] = 1
            heap.append((0.0, x))
        while heap:
            d, x = pop(heap)
            if d > dist[x]:
                continue
            for y, wy in adj[x]:
                nd = d + wy
                if nd < dist[y] and nd <= radius:
                    dist[y] = nd
                    pred[y] = x
                    push(heap, (nd, y))
                    if is_term[y]:
                        push(theap, (nd, y))

    def recompute() -> None:
        nonlocal theap, dist, pred, radius
        d, p, _ = csgraph.dijkstra(
            matrix,
            indices=np.flatnonzero(np.frombuffer(in_tree, np.uint8)),
            min_only=True,
            return_predecessors=True,
        )
        dist, pred = d.tolist(), np.maximum(p, -1).tolist()
        theap = [(dist[t], t) for t in remaining if not in_tree[t] and dist[t] < inf]
        heapq.heapify(theap)
        radius *= 2.0

    remaining = [t for t in set(terminals.tolist()) if t != root]
    grow([root])
    left = len(remaining)
    while left:
        while theap and (in_tree[theap[0][1]] or theap[0][0] > dist[theap[0][1]]):
            pop(theap)
        if not theap or theap[0][0] > radius:
            recompute()
            if not theap:
                raise nx.NetworkXError("terminals are not all connected to the root")
        t = pop(theap)[1]
        path = []
        x = t
        while not in_tree[x]:
            path.append(x)
            eu.append(x)
            ev.append(pred[x])
            x = pred[x]
        left -= sum(is_term[x] for x in path)
        grow(path)
    return g.edge_ids(eu, ev)


def shortest_path_tree(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, terminals: Iterable[int], root: int
) -> tuple[np.ndarray, np.ndarray]:
    """Steiner tree by the shortest path heuristic on a graph given as arrays (no networkx).

    The ``"sph"`` method of :func:`steiner_tree` for callers that build many small graphs
    with few terminals (a mini net's trench grid): nodes 0..n-1, edges (u, v) with weights
    w. Each step is one multi-source Dijkstra from the whole tree in scipy
    (:func:`scipy.sparse.csgraph.dijkstra`, ``min_only``); the nearest terminal's path joins
    the tree. With k terminals that is at most k passes over the graph in C, which on small
    graphs beats the incremental pure-Python waves :func:`steiner_tree` uses for large
    street graphs with many terminals (``benchmarks/bench_design.py``). Ties go to the
    lowest node number.

    Returns
    -------
    tuple of numpy.ndarray
        The tree's edges as node arrays (a, b).

    Raises
    ------
    ValueError
        When an edge weight is negative or a terminal cannot be reached from `root`.

    Examples
    --------
    A square with one long side: the tree joining three corners skips it.

    >>> a, b = shortest_path_tree(4, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0]),
    ...                           np.array([1.0, 1.0, 1.0, 5.0]), [0, 3], 0)
    >>> sorted(zip(a.tolist(), b.tolist()))
    [(0, 1), (1, 2), (2, 3)]
    """
    u, v, w = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(w, float)
    if len(w) and (w < 0).any():
        raise ValueError("edge weights must be >= 0")
    keep = u != v
    # scipy's sparse graphs drop explicit zeros: give zero-length edges a tiny weight
    wk = np.maximum(w[keep], _EPS)
    uk, vk = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    # parallel edges: the lightest counts (a sparse matrix would add them up)
    order = np.lexsort((wk, vk, uk))
    uk, vk, wk = uk[order], vk[order], wk[order]
    first = np.r_[True, (uk[1:] != uk[:-1]) | (vk[1:] != vk[:-1])]
    uk, vk, wk = uk[first], vk[first], wk[first]
    matrix = sp.csr_array((np.r_[wk, wk], (np.r_[uk, vk], np.r_[vk, uk])), shape=(n, n))
    root = int(root)
    in_tree = np.zeros(n, bool)
    in_tree[root] = True
    left = np.unique(np.fromiter(terminals, np.int64))
    left = left[left != root]
    ta: list[int] = []
    tb: list[int] = []
    while len(left):
        dist, pred = csgraph.dijkstra(
            matrix, indices=np.flatnonzero(in_tree), min_only=True, return_predecessors=True
        )[:2]
        d = dist[left]
        best = int(np.argmin(d))  # the first minimum: the lowest node number on ties
        if not np.isfinite(d[best]):
            raise ValueError("terminals are not all connected to the root")
        x = int(left[best])
        while not in_tree[x]:
            up = int(pred[x])
            ta.append(up)
            tb.append(x)
            in_tree[x] = True
            x = up
        left = left[~in_tree[left]]
    return np.asarray(ta, np.int64), np.asarray(tb, np.int64)


# ----------------------------------------------------------------------------- local search
@dataclass
class _KeyTree:
    """A tree rooted at the source, with its key paths.

    Key nodes are the root, terminals and branch points; a key path runs from a key node up
    to the next key node through plain degree-2 nodes and is named by its lower key node.
    ``x`` lies in the subtree of ``y`` iff ``tin[y] <= tin[x] < tin[y] + size[y]``.
    """

    parent: np.ndarray  # parent node (-9999 for the root and nodes outside the tree)
    tin: np.ndarray  # preorder position
    size: np.ndarray  # subtree size
    tdeg: np.ndarray  # degree in the tree
    key: np.ndarray  # bool: key node
    kparent: np.ndarray  # key node k -> upper key node of the key path below k
    klen: np.ndarray  # key node k -> length of that key path
    kpath_of: np.ndarray  # inner node -> its key path (lower key node), else -1
    kdepth: np.ndarray  # depth in the tree of key nodes


def _key_tree(g: _Graph, edges: np.ndarray, is_term: np.ndarray, root: int) -> _KeyTree:
    u, v = g.eu[edges], g.ev[edges]
    tmat = sp.csr_array((np.ones(2 * len(edges)), (np.r_[u, v], np.r_[v, u])), shape=(g.n, g.n))
    order, parent = csgraph.depth_first_order(tmat, root, directed=False, return_predecessors=True)
    tdeg = np.bincount(np.r_[u, v], minlength=g.n)
    tin = np.full(g.n, -1, np.int64)
    tin[order] = np.arange(len(order))
    par = parent.tolist()
    sz = np.ones(g.n, np.int64).tolist()
    for x in order[::-1].tolist():
        if par[x] >= 0:
            sz[par[x]] += sz[x]
    key = (tdeg >= 3) | is_term.astype(bool)
    key[root] = True
    key_l = key.tolist()
    wp = np.zeros(g.n)  # weight of the edge to the parent
    nonroot = order[1:]
    wp[nonroot] = g.w[g.edge_ids(nonroot.tolist(), parent[nonroot].tolist())]
    wp_l = wp.tolist()
    kp, kl = [-1] * g.n, [0.0] * g.n
    kpo, kd = [-1] * g.n, [0] * g.n
    for x in order.tolist():  # preorder: a node's upper key node is known before the node
        if x == root or not key_l[x]:
            continue
        length, y = wp_l[x], par[x]
        while not key_l[y]:
            kpo[y] = x
            length += wp_l[y]
            y = par[y]
        kp[x], kl[x], kd[x] = y, length, kd[y] + 1
    return _KeyTree(
        parent=parent,
        tin=tin,
        size=np.asarray(sz, np.int64),
        tdeg=tdeg,
        key=key,
        kparent=np.asarray(kp, np.int64),
        klen=np.asarray(kl),
        kpath_of=np.asarray(kpo, np.int64),
        kdepth=np.asarray(kd, np.int64),
    )


def _boundary(
    g: _Graph, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Voronoi regions of the tree's nodes; the cheapest boundary edge per pair of regions.

    Returns the edges (cheapest first), their path costs, the two regions' tree nodes and
    the Dijkstra predecessors (to walk a region back to its tree node); None when none.
    """
    tree_nodes = np.unique(np.r_[g.eu[edges], g.ev[edges]])
    dist, pred, src = csgraph.dijkstra(
        g.matrix, indices=tree_nodes, min_only=True, return_predecessors=True
    )
    a, b = src[g.eu], src[g.ev]
    in_tree_edge = np.zeros(g.m, bool)
    in_tree_edge[edges] = True
    cand = np.flatnonzero((a >= 0) & (b >= 0) & (a != b) & ~in_tree_edge)
    if not len(cand):
        return None
    cost = dist[g.eu[cand]] + g.w[cand] + dist[g.ev[cand]]
    lo, hi = np.minimum(a[cand], b[cand]), np.maximum(a[cand], b[cand])
    o = np.lexsort((cost, hi, lo))
    first = np.r_[True, (lo[o][1:] != lo[o][:-1]) | (hi[o][1:] != hi[o][:-1])]
    cand, cost = cand[o][first], cost[o][first]
    o = np.argsort(cost, kind="stable")
    cand, cost = cand[o], cost[o]
    return cand, cost, a[cand], b[cand], pred


def _cheapest_crossings(
    kt: _KeyTree, ca: np.ndarray, cb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, int]]:
    """Find the cheapest boundary edge across each key path.

    A region's tree node sits in the key-path tree at itself when it is a key node; an
    inner node of key path (u..v) sits at v seen from v's subtree and at u otherwise, and
    cannot replace its own path. The key-tree paths are painted cheapest edge first,
    painted stretches skipped with a union-find. Returns the positions and own key paths of
    both ends of every edge, and key path -> index of its cheapest edge.
    """

    def position(x: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kpx = kt.kpath_of[x]
        inner = kpx >= 0
        lower = np.where(inner, kpx, x)
        below = (kt.tin[other] >= kt.tin[lower]) & (kt.tin[other] < kt.tin[lower] + kt.size[lower])
        pos = np.where(inner & ~below, kt.kparent[np.maximum(kpx, 0)], lower)
        return pos, np.where(inner, kpx, -1)

    pa, xa = position(ca, cb)
    pb, xb = position(cb, ca)
    same = (xa >= 0) & (xa == xb)
    up = np.arange(len(kt.key)).tolist()

    def find(x: int) -> int:
        r = x
        while up[r] != r:
            r = up[r]
        while up[x] != r:
            up[x], x = r, up[x]
        return r

    best: dict[int, int] = {}
    kp, kd = kt.kparent.tolist(), kt.kdepth.tolist()
    for i, (x, y, ex1, ex2, s) in enumerate(
        zip(pa.tolist(), pb.tolist(), xa.tolist(), xb.tolist(), same.tolist(), strict=True)
    ):
        if s:
            continue
        x, y = find(x), find(y)
        while x != y:
            if kd[x] < kd[y]:
                x, y = y, x
            if x != ex1 and x != ex2:
                best[x] = i
                up[x] = kp[x]
            x = find(kp[x])
    return pa, pb, xa, xb, best


def _key_path_exchange(
    g: _Graph, edges: np.ndarray, is_term: np.ndarray, root: int
) -> tuple[np.ndarray, bool]:
    """One pass of key-path exchange and key-vertex elimination.

    Moves: key-path exchange (remove one key path, add its cheapest crossing edge) and
    key-vertex elimination (remove a Steiner branch point with its key paths and rejoin the
    parts by the cheapest crossing edges of those paths, Kruskal over the parts). Moves are
    made largest gain first while they stay independent: no move removes a key path that
    another's new edges rely on. Returns the new tree and whether it got shorter.
    """
    if len(np.unique(np.r_[g.eu[edges], g.ev[edges]])) < 3:
        return edges, False
    kt = _key_tree(g, edges, is_term, root)
    found = _boundary(g, edges)
    if found is None:
        return edges, False
    cand, cost, ca, cb, pred = found
    pa, pb, xa, xb, best = _cheapest_crossings(kt, ca, cb)
    moves: list[tuple[float, list[int], list[int]]] = []  # (gain, removed key paths, edges)
    for k, i in best.items():
        if kt.klen[k] - cost[i] > 1e-7:
            moves.append((kt.klen[k] - cost[i], [k], [i]))
    kids: dict[int, list[int]] = {}
    kp, kd = kt.kparent.tolist(), kt.kdepth.tolist()
    for k in np.flatnonzero(kt.kparent >= 0).tolist():
        kids.setdefault(kp[k], []).append(k)
    for s_, ch in kids.items():
        if is_term[s_] or s_ == root or kt.tdeg[s_] < 3 or len(ch) != kt.tdeg[s_] - 1:
            continue
        moves.extend(_eliminate(s_, ch, best, ca, cb, cost, kt))
    if not moves:
        return edges, False
    moves.sort(key=lambda mv: -mv[0])
    removed: set[int] = set()
    protected: set[int] = set()
    add_u: list[int] = []
    add_v: list[int] = []
    for _, gone, chosen in moves:
        if protected.intersection(gone):
            continue
        path: set[int] = set()
        for i in chosen:
            path |= _key_tree_path(int(pa[i]), int(pb[i]), kp, kd)
            path.update(z for z in (int(xa[i]), int(xb[i])) if z >= 0)
        if removed & path:
            continue
        removed.update(gone)
        protected |= path
        for i in chosen:  # the new edge and the paths from its ends back to their regions
            e = int(cand[i])
            for x in (int(g.eu[e]), int(g.ev[e])):
                while pred[x] >= 0:
                    add_u.append(x)
                    add_v.append(int(pred[x]))
                    x = int(pred[x])
            add_u.append(int(g.eu[e]))
            add_v.append(int(g.ev[e]))
    # drop the tree edges of the removed key paths: edges whose lower end (child) belongs to it
    u, v = g.eu[edges], g.ev[edges]
    child = np.where(kt.parent[u] == v, u, v)
    lower_key = np.where(kt.key[child], child, kt.kpath_of[child])
    keep = ~np.isin(lower_key, list(removed))
    new = _mst_prune(g, np.r_[edges[keep], g.edge_ids(add_u, add_v)], is_term)
    if not _spans(g, new, is_term):  # defensive: never return a broken tree
        return edges, False
    return (new, True) if g.length(new) < g.length(edges) - 1e-7 else (edges, False)


def _spans(g: _Graph, edges: np.ndarray, is_term: np.ndarray) -> bool:
    """Tell whether `edges` form one tree that holds every terminal."""
    nodes = np.unique(np.r_[g.eu[edges], g.ev[edges]])
    if len(edges) != len(nodes) - 1 or is_term[nodes].sum() != is_term.sum():
        return False
    sub = sp.csr_array((np.ones(len(edges)), (g.eu[edges], g.ev[edges])), shape=(g.n, g.n))
    labels = csgraph.connected_components(sub, directed=False)[1]
    return len(np.unique(labels[nodes])) == 1


def _eliminate(
    s: int,
    kids: list[int],
    best: dict[int, int],
    ca: np.ndarray,
    cb: np.ndarray,
    cost: np.ndarray,
    kt: _KeyTree,
) -> list[tuple[float, list[int], list[int]]]:
    """Key-vertex elimination of Steiner branch point `s` with child key nodes `kids`."""
    tin, size, kpath_of, klen = kt.tin, kt.size, kt.kpath_of, kt.klen

    def part(x: int) -> int:
        if tin[s] <= tin[x] < tin[s] + size[s]:
            for c in kids:
                if tin[c] <= tin[x] < tin[c] + size[c]:
                    return c
            return -1  # s itself or inside one of its child paths: removed
        return -1 if kpath_of[x] == s else s  # s's upper path is removed; else the upper part

    options = []
    for k in (s, *kids):
        i = best.get(k)
        if i is not None:
            p, q = part(int(ca[i])), part(int(cb[i]))
            if p >= 0 and q >= 0 and p != q:
                options.append((float(cost[i]), p, q, i))
    options.sort()
    root = {k: k for k in (s, *kids)}

    def find(x: int) -> int:
        while root[x] != x:
            x = root[x]
        return x

    chosen, total = [], 0.0
    for c, p, q, i in options:
        rp, rq = find(p), find(q)
        if rp != rq:
            root[rp] = rq
            chosen.append(i)
            total += c
    if len(chosen) != len(kids):
        return []
    gain = float(klen[s] + sum(klen[c] for c in kids)) - total
    return [(gain, [s, *kids], chosen)] if gain > 1e-7 else []


def _key_tree_path(x: int, y: int, kp: list[int], kd: list[int]) -> set[int]:
    """Key paths (named by their lower key node) between key nodes `x` and `y`."""
    out = set()
    while x != y:
        if kd[x] < kd[y]:
            x, y = y, x
        out.add(x)
        x = kp[x]
    return out


def _insert_vertices(g: _Graph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
    """Steiner vertex insertion, all candidates at once.

    The MST over the tree's nodes plus every outside node adjacent to two or more of them,
    pruned of non-terminal leaves; returned only when shorter than `edges`.
    """
    inside = np.zeros(g.n, bool)
    inside[g.eu[edges]] = True
    inside[g.ev[edges]] = True
    touching = np.bincount(np.r_[g.eu[inside[g.ev]], g.ev[inside[g.eu]]], minlength=g.n)
    extra = np.flatnonzero(~inside & (touching >= 2))
    if not len(extra):
        return edges
    inside[extra] = True
    new = _mst_prune(g, np.flatnonzero(inside[g.eu] & inside[g.ev]), is_term)
    ok = _spans(g, new, is_term) and g.length(new) < g.length(edges) - 1e-7
    return new if ok else edges


def _improve(
    g: _Graph, edges: np.ndarray, is_term: np.ndarray, root: int, max_passes: int
) -> tuple[np.ndarray, int]:
    """Improve a tree by local search until no move shortens it.

    Passes of key-path exchange and key-vertex elimination; when they stall, vertex
    insertion; repeat.
    """
    edges = _mst_prune(g, edges, is_term)
    passes = 0
    while passes < max_passes:
        edges, better = _key_path_exchange(g, edges, is_term, root)
        passes += 1
        if not better:
            inserted = _insert_vertices(g, edges, is_term)
            if inserted is edges:
                break
            edges = inserted
    return edges, passes


# ----------------------------------------------------------------------------- exact MILP
def steiner_milp(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    *,
    root: Hashable | None = None,
    weight: str = "weight",
    time_limit: float = 60.0,
) -> SteinerResult:
    """Solve the Steiner tree problem exactly as a MILP with HiGHS.

    Directed multi-commodity flow formulation: one unit of flow per terminal ``k`` leaves the
    root and reaches ``k`` (``f_a^k`` continuous), only over arcs bought in the tree
    (``f_a^k <= x_a``, ``x_a`` binary, at most one direction per edge); minimise
    ``Σ w_a x_a``. Its LP relaxation equals the directed cut relaxation, so HiGHS usually
    closes the gap at the root. Size grows as arcs × terminals: meant for ≤ 60 terminals.

    Returns
    -------
    SteinerResult
        With ``optimal`` True when HiGHS proved optimality within `time_limit` seconds, and
        ``bound`` its lower bound. When no feasible tree was found in time, ``tree`` is empty
        and ``length`` is NaN.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    g = _Graph(G, weight)
    terms, r = _terminals(g, terminals, root)
    others = np.setdiff1d(terms, [r])
    k, m, n = len(others), g.m, g.n
    if k == 0:
        return SteinerResult(nx.Graph(G.subgraph([g.nodes[r]])), 0.0, "milp", True, 0.0)
    tail, head = np.r_[g.eu, g.ev], np.r_[g.ev, g.eu]
    arcs = 2 * m
    nvar = arcs + arcs * k
    # flow conservation: out - in = 1 at the root, -1 at terminal k, 0 elsewhere
    j = np.repeat(np.arange(k), arcs)
    a = np.tile(np.arange(arcs), k)
    col = arcs + j * arcs + a
    rows = np.r_[j * n + tail[a], j * n + head[a]]
    conservation = sp.csr_array(
        (np.r_[np.ones(len(a)), -np.ones(len(a))], (rows, np.r_[col, col])), shape=(k * n, nvar)
    )
    rhs = np.zeros((k, n))
    rhs[:, r] = 1.0
    rhs[np.arange(k), others] = -1.0
    # capacity: f_a^k - x_a <= 0
    f = np.arange(arcs * k)
    capacity = sp.csr_array(
        (np.r_[np.ones(len(f)), -np.ones(len(f))], (np.r_[f, f], np.r_[arcs + f, a])),
        shape=(len(f), nvar),
    )
    # one direction per edge
    e = np.arange(m)
    direction = sp.csr_array((np.ones(2 * m), (np.r_[e, e], np.r_[e, e + m])), shape=(m, nvar))
    c = np.r_[g.w, g.w, np.zeros(arcs * k)]
    res = milp(
        c,
        constraints=[
            LinearConstraint(conservation, rhs.ravel(), rhs.ravel()),
            LinearConstraint(capacity, -np.inf, 0.0),
            LinearConstraint(direction, -np.inf, 1.0),
        ],
        integrality=np.r_[np.ones(arcs), np.zeros(arcs * k)],
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit), "disp": False},
    )
    bound = float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
    if res.x is None:
        return SteinerResult(nx.Graph(), float("nan"), "milp", False, bound)
    used = np.flatnonzero(res.x[:arcs] > 0.5) % m
    edges = _prune(g, np.unique(used), _term_mask(g, terms))
    return SteinerResult(g.subgraph(G, edges), g.length(edges), "milp", res.status == 0, bound)


# ----------------------------------------------------------------------------- entry point
def _networkx_tree(
    g: _Graph, G: nx.Graph, terms: np.ndarray, weight: str, method: str
) -> np.ndarray:
    """Edge ids of networkx's Mehlhorn or Kou approximation on `G`."""
    T = nx.algorithms.approximation.steiner_tree(
        G, [g.nodes[t] for t in terms], weight=weight, method=method
    )
    return g.edge_ids([g.index[x] for x, _ in T.edges()], [g.index[y] for _, y in T.edges()])


def _terminals(
    g: _Graph, terminals: Iterable[Hashable], root: Hashable | None
) -> tuple[np.ndarray, int]:
    terms = list(terminals)
    missing = [t for t in terms if t not in g.index]
    if missing:
        raise nx.NodeNotFound(f"terminals not in the graph: {missing[:5]}")
    if root is None:
        root = terms[0]
    if root not in g.index:
        raise nx.NodeNotFound(f"root {root!r} is not in the graph")
    idx = np.unique([g.index[t] for t in terms] + [g.index[root]])
    return idx, g.index[root]


def _term_mask(g: _Graph, terms: np.ndarray) -> np.ndarray:
    mask = np.zeros(g.n, bool)
    mask[terms] = True
    return mask


def steiner_tree(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    *,
    root: Hashable | None = None,
    method: Literal["improved", "sph", "mehlhorn", "kou", "milp"] = "improved",
    weight: str = "weight",
    max_passes: int = 50,
    restarts: int | None = None,
    noise: float = 0.1,
    seed: int = 0,
    time_limit: float = 60.0,
) -> SteinerResult:
    """Find a short tree in `G` joining `root` and all `terminals`.

    Parameters
    ----------
    G
        Undirected graph with non-negative edge weights; must connect all terminals.
    terminals
        Nodes the tree must reach.
    root
        The node the tree grows from (the heat source); the first terminal when None.
    method
        ``"improved"`` (default): shortest path heuristic and Mehlhorn, each improved by
        key-path exchange, the shorter kept. ``"sph"``, ``"mehlhorn"``, ``"kou"``: the plain
        construction. ``"milp"``: exact (:func:`steiner_milp`).
    weight
        Edge attribute holding the cost (e.g. metres or euro).
    max_passes
        Upper limit on local-search passes per start.
    restarts, noise, seed
        ``"improved"`` only: extra starts of the shortest path heuristic from random
        terminals on edge weights perturbed by up to ±`noise` (a share), drawn with `seed`.
        Default ``min(20, 20000 // terminals)``: 20 up to 1,000 terminals, 2 at 10,000.
    time_limit
        Seconds allowed to the MILP solver.

    Returns
    -------
    SteinerResult
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "milp":
        return steiner_milp(G, terminals, root=root, weight=weight, time_limit=time_limit)
    g = _Graph(G, weight)
    terms, r = _terminals(g, terminals, root)
    if len(terms) == 1:
        return SteinerResult(nx.Graph(G.subgraph([g.nodes[r]])), 0.0, method)
    if restarts is None:
        restarts = min(20, 20000 // len(terms))
    is_term = _term_mask(g, terms)
    if method in ("mehlhorn", "kou"):
        edges = _networkx_tree(g, G, terms, weight, method)
        return SteinerResult(g.subgraph(G, edges), g.length(edges), method)
    if method == "sph":
        edges = _prune(g, _sph(g, terms, r), is_term)
        return SteinerResult(g.subgraph(G, edges), g.length(edges), method)
    starts = {
        "sph": _sph(g, terms, r),
        "mehlhorn": _networkx_tree(g, G, terms, weight, "mehlhorn"),
    }
    results = []
    for name, start in starts.items():
        edges, passes = _improve(g, start, is_term, r, max_passes)
        results.append((g.length(edges), name, edges, passes))
    # restarts: the shortest path heuristic from other terminals on randomly perturbed
    # weights (±noise), each improved on the true weights
    rng = np.random.default_rng(seed)
    for j in range(restarts):
        w = g.w * rng.uniform(1 - noise, 1 + noise, g.m)
        start = _sph(g, terms, int(rng.choice(terms)), w)
        edges, passes = _improve(g, start, is_term, r, max_passes)
        results.append((g.length(edges), f"restart {j + 1}", edges, passes))
    length, start_name, edges, passes = min(results, key=lambda t: t[0])
    return SteinerResult(
        g.subgraph(G, edges),
        length,
        "improved",
        passes=passes,
        info={
            "start": start_name,
            "sph_improved": results[0][0],
            "mehlhorn_improved": results[1][0],
            "restarts": restarts,
        },
    )
