"""Cross-sections (transects) and 1-D interval algebra along them.

The corridor check asks, for tens of thousands of straight cross-sections, which stretches lie
inside the road surface, inside an obstacle zone, or within a distance of a boundary. Clipping
each line by the polygons with GEOS overlays costs about 30 us per pair; these questions have
closed-form answers per (transect, polygon edge) pair instead:

* **inside**: a transect crosses a ring edge where the edge's endpoints lie on different sides
  of the transect's line (half-open rule, so a vertex on the line is counted once);
  sorting the crossings along each transect and toggling from the inside/outside state at the
  start gives the stretches inside each polygon (holes and overlapping polygons included);
* **near**: the points of a line within distance *r* of an edge form one interval (a capsule is
  convex): the union of the chords through the two end discs and the slab along the edge.

Candidate pairs come from an STRtree of the edges' boxes grown by *r*; everything else is
array arithmetic. Interval sets are then combined (union, difference) by a sweep over the
sorted interval ends of all transects at once, which is how morphology along the transects
is done without polygon overlays: by the erosion identity (A ∖ B) ⊖ D = (A ⊖ D) ∖ (B ⊕ D),
the free space eroded by a disc D is the eroded surface minus the dilated obstacles, and
X ⊖ D = X ∖ (∂X ⊕ D), B ⊕ D = B ∪ (∂B ⊕ D).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import shapely

__all__ = ["Edges", "Intervals", "Transects", "difference", "inside", "merge", "near"]

# the inside/outside state is read just before the transect start, so a boundary passing
# exactly through a (round-numbered) start point cannot flip the parity
_LEAD = 1.2345e-4


@dataclass(frozen=True)
class Transects:
    """Straight cross-sections: start points, unit directions and lengths."""

    origin: np.ndarray  # (n, 2)
    direction: np.ndarray  # (n, 2), unit vectors
    length: np.ndarray  # (n,)

    @classmethod
    def from_lines(cls, lines: np.ndarray) -> Transects:
        """Transects from two-point LineStrings."""
        xy = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        d = xy[:, 1] - xy[:, 0]
        length = np.hypot(d[:, 0], d[:, 1])
        safe = np.where(length > 0, length, 1.0)
        return cls(xy[:, 0], d / safe[:, None], length)

    def __len__(self) -> int:
        return len(self.length)

    def sub(self, idx: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> Transects:
        """Return the stretches [t0, t1] of transects `idx` as transects of their own."""
        return Transects(
            self.origin[idx] + self.direction[idx] * t0[:, None], self.direction[idx], t1 - t0
        )

    @cached_property
    def _lines(self) -> np.ndarray:
        end = self.origin + self.direction * self.length[:, None]
        return np.asarray(shapely.linestrings(np.stack([self.origin, end], axis=1)))

    def lines(self) -> np.ndarray:
        """Return the transects as LineStrings."""
        return self._lines


class Intervals(NamedTuple):
    """Stretches [t0, t1] (m from the start) of transects, with the polygon they came from."""

    tr: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    owner: np.ndarray

    @classmethod
    def empty(cls) -> Intervals:
        """Return no intervals."""
        return cls(np.empty(0, int), np.empty(0), np.empty(0), np.empty(0, int))

    @classmethod
    def concat(cls, *ivs: Intervals) -> Intervals:
        """Return the intervals of `ivs` together, in order."""
        if not ivs:
            return cls.empty()
        return cls(*(np.concatenate([getattr(iv, f) for iv in ivs]) for f in cls._fields))

    def take(self, mask: np.ndarray) -> Intervals:
        """Return the intervals where `mask` is true."""
        return Intervals(self.tr[mask], self.t0[mask], self.t1[mask], self.owner[mask])

    def lift(self, idx: np.ndarray, t0: np.ndarray) -> Intervals:
        """Map intervals on ``parent.sub(idx, t0, ...)`` back to the parent transects."""
        return Intervals(
            idx[self.tr],
            self.t0 + t0[self.tr],
            self.t1 + t0[self.tr],
            self.owner,
        )

    def longest(self, n: int) -> np.ndarray:
        """Per transect, the length of its longest interval (0 when it has none)."""
        out = np.zeros(n)
        np.maximum.at(out, self.tr, self.t1 - self.t0)
        return out

    def present(self, n: int) -> np.ndarray:
        """Per transect, whether it has an interval."""
        return np.bincount(self.tr, minlength=n) > 0


class Edges:
    """Edges of a set of geometries with an STRtree of their boxes grown by `reach`.

    Polygons contribute their ring edges, lines their segments and points a zero-length
    edge (whose distance band is a disc). Build once and pass to :func:`inside` (polygons
    only) and :func:`near` (with distances up to `reach`) to query the same geometries
    several times.
    """

    def __init__(self, geoms: np.ndarray, reach: float = 0.0) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        self.reach = float(reach)
        parts, part_of = shapely.get_parts(self.geoms, return_index=True)
        kind = shapely.get_type_id(parts)
        poly, line, point = kind == 3, kind == 1, kind == 0
        # per geometry: all its parts are polygons (it has an inside)
        self.is_polygon = np.bincount(part_of[~poly], minlength=len(self.geoms)) == 0
        rings, ring_of = shapely.get_rings(parts[poly], return_index=True)
        paths = np.concatenate([rings, parts[line]])
        path_of = np.concatenate([part_of[poly][ring_of], part_of[line]])
        xy, vert_of = shapely.get_coordinates(paths, return_index=True)
        same = vert_of[1:] == vert_of[:-1]
        pts = shapely.get_coordinates(parts[point])
        self.p = np.concatenate([xy[:-1][same], pts])
        self.q = np.concatenate([xy[1:][same], pts])
        self.owner = np.concatenate([path_of[vert_of[:-1][same]], part_of[point]])
        # grown by the lead too: crossings just before the start count (see inside)
        lo = np.minimum(self.p, self.q) - (self.reach + _LEAD)
        hi = np.maximum(self.p, self.q) + (self.reach + _LEAD)
        self.tree = shapely.STRtree(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
        # prepared point-in-polygon: fast even for huge polygons
        self.with_inside = np.flatnonzero(self.is_polygon)
        shapely.prepare(self.geoms[self.with_inside])
        self.poly_tree = shapely.STRtree(self.geoms[self.with_inside])

    def __len__(self) -> int:
        return len(self.p)

    def pairs(self, t: Transects) -> tuple[np.ndarray, np.ndarray]:
        """Candidate (transect, edge) pairs: transects meeting an edge's grown box."""
        if len(self) == 0 or len(t) == 0:
            return np.empty(0, int), np.empty(0, int)
        found = self.tree.query(t.lines())
        return np.asarray(found[0]), np.asarray(found[1])


def _as_edges(geoms: np.ndarray | Edges, r: float | np.ndarray) -> Edges:
    reach = float(np.max(r, initial=0.0))
    if isinstance(geoms, Edges):
        if reach > geoms.reach:
            raise ValueError(f"distance {reach} beyond the reach {geoms.reach} of the edge index")
        return geoms
    return Edges(geoms, reach)


def inside(t: Transects, geoms: np.ndarray | Edges) -> Intervals:
    """Stretches of each transect inside each of `geoms` (owner = index into `geoms`).

    `geoms` is an array of geometries or their :class:`Edges`; only polygons have an inside
    (lines and points give no intervals). Overlapping polygons give overlapping intervals;
    :func:`merge` dissolves them.
    """
    if len(geoms) == 0 or len(t) == 0:
        return Intervals.empty()
    edges = _as_edges(geoms, 0.0)
    if len(edges.with_inside) == 0:  # lines and points only: skip the edge queries
        return Intervals.empty()
    p, q, owner = edges.p, edges.q, edges.owner
    ti, ei = edges.pairs(t)
    closed = edges.is_polygon[owner[ei]]  # lines and points have no inside
    ti, ei = ti[closed], ei[closed]
    o, d = t.origin[ti], t.direction[ti]
    a, b = p[ei] - o, q[ei] - o
    sa = d[:, 0] * a[:, 1] - d[:, 1] * a[:, 0]
    sb = d[:, 0] * b[:, 1] - d[:, 1] * b[:, 0]
    cross = (sa > 0) != (sb > 0)
    u = np.divide(sa, sa - sb, out=np.zeros_like(sa), where=cross)
    hit = a + u[:, None] * (b - a)
    tc = hit[:, 0] * d[:, 0] + hit[:, 1] * d[:, 1]
    keep = cross & (tc > -_LEAD) & (tc <= t.length[ti])
    ev_tr, ev_poly, ev_t = ti[keep], owner[ei[keep]], tc[keep]
    # polygons containing the point just before each transect start toggle in first
    lead = t.origin - t.direction * _LEAD
    si, pi = edges.poly_tree.query(shapely.points(lead))
    pi = edges.with_inside[pi]
    inner = shapely.intersects_xy(edges.geoms[pi], lead[si, 0], lead[si, 1])
    si, pi = si[inner], pi[inner]
    ev_tr = np.concatenate([si, ev_tr])
    ev_poly = np.concatenate([pi, ev_poly])
    ev_t = np.concatenate([np.full(len(si), -_LEAD), ev_t])
    if len(ev_t) == 0:
        return Intervals.empty()
    key = ev_tr.astype(np.int64) * len(edges.geoms) + ev_poly
    order = np.lexsort((ev_t, key))
    key, ev_tr, ev_poly, ev_t = key[order], ev_tr[order], ev_poly[order], ev_t[order]
    first = np.r_[True, key[1:] != key[:-1]]
    start = np.flatnonzero(first)
    rank = np.arange(len(key)) - np.repeat(start, np.diff(np.r_[start, len(key)]))
    opens = rank % 2 == 0
    last = np.r_[key[1:] != key[:-1], True]
    t1 = np.where(last, t.length[ev_tr], np.r_[ev_t[1:], 0.0])
    t0 = np.maximum(ev_t, 0.0)
    t1 = np.minimum(t1, t.length[ev_tr])
    keep = opens & (t1 > t0)
    return Intervals(ev_tr[keep], t0[keep], t1[keep], ev_poly[keep])


def _span(
    alpha: np.ndarray,
    beta: np.ndarray,
    lo: float | np.ndarray,
    hi: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve lo <= alpha + beta*t <= hi for t (rows with beta = 0 hold for all t or none)."""
    flat = np.abs(beta) < 1e-12
    safe = np.where(flat, 1.0, beta)
    x0, x1 = (lo - alpha) / safe, (hi - alpha) / safe
    a, b = np.minimum(x0, x1), np.maximum(x0, x1)
    ok = (alpha >= lo) & (alpha <= hi)
    a = np.where(flat, np.where(ok, -np.inf, np.inf), a)
    b = np.where(flat, np.where(ok, np.inf, -np.inf), b)
    return a, b


def near(t: Transects, geoms: np.ndarray | Edges, r: float | np.ndarray) -> Intervals:
    """Stretches of each transect within distance `r` of the edges of each geometry.

    `geoms` is an array of geometries or their :class:`Edges` (built with ``reach >= r``);
    `r` is one distance or one per geometry. For a polygon that is the band along its
    boundary; for a line or point, its buffer.
    """
    if len(geoms) == 0 or len(t) == 0 or np.max(r, initial=0.0) <= 0:
        return Intervals.empty()
    edges = _as_edges(geoms, r)
    p, q, owner = edges.p, edges.q, edges.owner
    ti, ei = edges.pairs(t)
    r = np.broadcast_to(np.asarray(r, float), (len(edges.geoms),))[owner[ei]]
    o, d = t.origin[ti], t.direction[ti]
    a, b = p[ei] - o, q[ei] - o
    lo = np.full(len(ti), np.inf)
    hi = np.full(len(ti), -np.inf)
    for c in (a, b):  # chords through the discs at both edge ends
        m = c[:, 0] * d[:, 0] + c[:, 1] * d[:, 1]
        h2 = c[:, 0] ** 2 + c[:, 1] ** 2 - m**2
        half = np.sqrt(np.maximum(r * r - h2, 0.0))
        disc = h2 <= r * r
        lo = np.where(disc, np.minimum(lo, m - half), lo)
        hi = np.where(disc, np.maximum(hi, m + half), hi)
    e = b - a
    m = np.hypot(e[:, 0], e[:, 1])
    v = e / np.where(m > 0, m, 1.0)[:, None]
    # slab: 0 <= (x - a).v <= m and |(x - a).n| <= r, with x = t*d
    s0, s1 = _span(-(a * v).sum(1), (d * v).sum(1), 0.0, m)
    nrm = np.column_stack([-v[:, 1], v[:, 0]])
    n0, n1 = _span(-(a * nrm).sum(1), (d * nrm).sum(1), -r, r)
    slab0, slab1 = np.maximum(s0, n0), np.minimum(s1, n1)
    slab = (slab1 >= slab0) & (m > 0)
    lo = np.where(slab, np.minimum(lo, slab0), lo)
    hi = np.where(slab, np.maximum(hi, slab1), hi)
    t0 = np.maximum(lo, 0.0)
    t1 = np.minimum(hi, t.length[ti])
    keep = t1 > t0
    return Intervals(ti[keep], t0[keep], t1[keep], owner[ei[keep]])


def merge(iv: Intervals, eps: float = 1e-9) -> Intervals:
    """Dissolve touching or overlapping intervals per transect (owner becomes -1)."""
    if len(iv.tr) == 0:
        return Intervals.empty()
    order = np.lexsort((iv.t0, iv.tr))
    tr, t0, t1 = iv.tr[order], iv.t0[order], iv.t1[order]
    new_tr = np.r_[True, tr[1:] != tr[:-1]]
    # running maximum of t1 within each transect: offset each transect's values above the
    # previous ones so one global maximum.accumulate serves all transects
    span = float(np.max(t1) - np.min(t0)) + 1.0
    base = np.cumsum(new_tr) * span
    reach = np.maximum.accumulate(t1 + base) - base
    new = new_tr | (t0 > np.r_[-np.inf, reach[:-1]] + eps)
    idx = np.flatnonzero(new)
    ends = np.r_[idx[1:], len(tr)] - 1
    return Intervals(tr[idx], t0[idx], reach[ends], np.full(len(idx), -1))


def difference(a: Intervals, b: Intervals) -> Intervals:
    """Stretches of `a` outside `b`, per transect, dissolved."""
    if len(a.tr) == 0 or len(b.tr) == 0:
        return merge(a)
    na, nb = len(a.tr), len(b.tr)
    tr = np.concatenate([a.tr, a.tr, b.tr, b.tr])
    t = np.concatenate([a.t0, a.t1, b.t0, b.t1])
    da = np.concatenate([np.ones(na, int), -np.ones(na, int), np.zeros(2 * nb, int)])
    db = np.concatenate([np.zeros(2 * na, int), np.ones(nb, int), -np.ones(nb, int)])
    order = np.lexsort((t, tr))
    tr, t = tr[order], t[order]
    # every transect's events sum to zero, so global running sums are per-transect counts
    ca, cb = np.cumsum(da[order]), np.cumsum(db[order])
    keep = (ca[:-1] > 0) & (cb[:-1] == 0) & (tr[1:] == tr[:-1]) & (t[1:] > t[:-1])
    idx = np.flatnonzero(keep)
    return merge(Intervals(tr[idx], t[idx], t[idx + 1], np.full(len(idx), -1)))
