"""The street graph as arrays for the Steiner search, and the shortest path heuristic on it.

:class:`ArrayGraph` holds a graph as edge arrays and a scipy sparse matrix, so the searches run
as scipy's compiled Dijkstra and minimum-spanning-tree passes. :func:`shortest_path_tree` is
the shortest path heuristic of Takahashi & Matsuyama (1980): the tree grows from the root by
the terminal nearest to it, one multi-source Dijkstra pass per added terminal.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["ArrayGraph", "mst_prune", "prune_leaves", "shortest_path_tree", "sph_edges"]


_EPS = 1e-9


class ArrayGraph:
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
        """Return the edge id of every (a, b) node pair."""
        eid = self.eid
        return np.fromiter(
            (eid[(x, y) if x < y else (y, x)] for x, y in zip(a, b, strict=True)), np.int64
        )

    def length(self, edges: np.ndarray) -> float:
        """Return the total weight of `edges`."""
        return float(self.w[edges].sum())

    def subgraph(self, G: nx.Graph, edges: np.ndarray) -> nx.Graph:
        """Return the subgraph of `G` made of `edges` (its edge attributes kept)."""
        nodes = self.nodes
        return G.edge_subgraph(
            [
                (nodes[a], nodes[b])
                for a, b in zip(self.eu[edges].tolist(), self.ev[edges].tolist(), strict=True)
            ]
        ).copy()


# ----------------------------------------------------------------------------- tree helpers
def mst_prune(g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
    """MST of the graph induced by the nodes of `edges`, then prune non-terminal leaves."""
    edges = np.unique(edges)
    nodes = np.unique(np.r_[g.eu[edges], g.ev[edges]])
    inside = np.zeros(g.n, bool)
    inside[nodes] = True
    induced = np.flatnonzero(inside[g.eu] & inside[g.ev])
    sub = sp.csr_array((g.w[induced], (g.eu[induced], g.ev[induced])), shape=(g.n, g.n))
    mst = csgraph.minimum_spanning_tree(sub).tocoo()
    tree = g.edge_ids(mst.row.tolist(), mst.col.tolist())
    return prune_leaves(g, tree, is_term)


def prune_leaves(g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
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
def sph_edges(
    g: ArrayGraph, terminals: np.ndarray, root: int, w: np.ndarray | None = None
) -> np.ndarray:
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
