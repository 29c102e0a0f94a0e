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

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp

from warmtegis.network.steiner_graph import ArrayGraph, prune_leaves, sph_edges
from warmtegis.network.steiner_search import improve

__all__ = ["METHODS", "SteinerResult", "steiner_milp", "steiner_tree"]


#: Methods accepted by :func:`steiner_tree`.
METHODS = ("improved", "sph", "mehlhorn", "kou", "milp")


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

    Examples
    --------
    >>> import networkx as nx
    >>> r = steiner_tree(nx.path_graph(5), [0, 4])
    >>> r.length, sorted(r.tree.nodes), r.method
    (4.0, [0, 1, 2, 3, 4], 'improved')
    """

    tree: nx.Graph
    length: float
    method: str
    optimal: bool = False
    bound: float = float("nan")
    passes: int = 0
    info: dict[str, Any] = field(default_factory=dict)


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

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.grid_2d_graph(3, 3)
    >>> nx.set_edge_attributes(G, 1.0, "weight")
    >>> r = steiner_milp(G, [(0, 0), (0, 2), (2, 1)])
    >>> r.length, r.optimal
    (4.0, True)
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    g = ArrayGraph(G, weight)
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
    edges = prune_leaves(g, np.unique(used), _term_mask(g, terms))
    return SteinerResult(g.subgraph(G, edges), g.length(edges), "milp", res.status == 0, bound)


# ----------------------------------------------------------------------------- entry point
def _networkx_tree(
    g: ArrayGraph, G: nx.Graph, terms: np.ndarray, weight: str, method: str
) -> np.ndarray:
    """Edge ids of networkx's Mehlhorn or Kou approximation on `G`."""
    T = nx.algorithms.approximation.steiner_tree(
        G, [g.nodes[t] for t in terms], weight=weight, method=method
    )
    return g.edge_ids([g.index[x] for x, _ in T.edges()], [g.index[y] for _, y in T.edges()])


def _terminals(
    g: ArrayGraph, terminals: Iterable[Hashable], root: Hashable | None
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


def _term_mask(g: ArrayGraph, terms: np.ndarray) -> np.ndarray:
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

    Examples
    --------
    A star of unit edges through a hub: the Steiner tree uses the hub (3 edges), a spanning tree
    of the terminals alone would need 4 edges of weight 2:

    >>> import networkx as nx
    >>> G = nx.star_graph(3)  # hub 0, leaves 1, 2, 3
    >>> nx.set_edge_attributes(G, 1.0, "weight")
    >>> steiner_tree(G, [1, 2, 3]).length
    3.0
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "milp":
        return steiner_milp(G, terminals, root=root, weight=weight, time_limit=time_limit)
    g = ArrayGraph(G, weight)
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
        edges = prune_leaves(g, sph_edges(g, terms, r), is_term)
        return SteinerResult(g.subgraph(G, edges), g.length(edges), method)
    starts = {
        "sph": sph_edges(g, terms, r),
        "mehlhorn": _networkx_tree(g, G, terms, weight, "mehlhorn"),
    }
    results = []
    for name, start in starts.items():
        edges, passes = improve(g, start, is_term, r, max_passes)
        results.append((g.length(edges), name, edges, passes))
    # restarts: the shortest path heuristic from other terminals on randomly perturbed
    # weights (±noise), each improved on the true weights
    rng = np.random.default_rng(seed)
    for j in range(restarts):
        w = g.w * rng.uniform(1 - noise, 1 + noise, g.m)
        start = sph_edges(g, terms, int(rng.choice(terms)), w)
        edges, passes = improve(g, start, is_term, r, max_passes)
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
