"""Local search on a Steiner tree: key-path exchange, key-vertex elimination, vertex insertion.

Key-path exchange (Duin & Voß 1997; Uchoa & Werneck 2010): a key path is a stretch of the tree
between terminals or branch points whose inner nodes are plain degree-2 nodes. Removing it
cuts the tree in two; if the two parts can be rejoined by a shorter path through the graph
(found for every key path at once from the Voronoi regions of the tree's nodes), the exchange
is made. Key-vertex elimination drops a branch point and reconnects its parts; vertex
insertion tries every node next to the tree. :func:`improve` repeats the passes until none
shortens the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from warmtegis.network.steiner_graph import ArrayGraph, mst_prune

__all__ = ["improve"]


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


def _key_tree(g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray, root: int) -> _KeyTree:
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
    g: ArrayGraph, edges: np.ndarray
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
    g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray, root: int
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
    new = mst_prune(g, np.r_[edges[keep], g.edge_ids(add_u, add_v)], is_term)
    if not _spans(g, new, is_term):  # defensive: never return a broken tree
        return edges, False
    return (new, True) if g.length(new) < g.length(edges) - 1e-7 else (edges, False)


def _spans(g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray) -> bool:
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


def _insert_vertices(g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray) -> np.ndarray:
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
    new = mst_prune(g, np.flatnonzero(inside[g.eu] & inside[g.ev]), is_term)
    ok = _spans(g, new, is_term) and g.length(new) < g.length(edges) - 1e-7
    return new if ok else edges


def improve(
    g: ArrayGraph, edges: np.ndarray, is_term: np.ndarray, root: int, max_passes: int
) -> tuple[np.ndarray, int]:
    """Improve a tree by local search until no move shortens it.

    Passes of key-path exchange and key-vertex elimination; when they stall, vertex
    insertion; repeat.
    """
    edges = mst_prune(g, edges, is_term)
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
