"""Loop positions in a polygon: at least the minimum spacing apart and as far apart as it allows.

:func:`place_loops` runs a greedy max-min distance search over a grid of candidate positions,
keeping the spacing also from loops other groups placed before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

__all__ = ["grid_points", "place_loops"]


def place_loops(
    area: Any,
    n: int,
    *,
    min_spacing_m: float,
    grid_m: float = 1.0,
    taken: np.ndarray | None = None,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Place up to `n` loops in `area`, at least `min_spacing_m` apart, as far apart as it allows.

    Candidates are the points of a `grid_m` grid inside `area` (anchored on the area's bounds)
    that lie at least `min_spacing_m` from every loop already `taken` (other groups' loops)
    and, with `keep`, for which ``keep(points)`` is True.
    One loop goes where the ground is widest (the candidate farthest from the area's edge);
    two or more start with the two candidates farthest apart and add, one at a time, the
    candidate farthest from every loop placed so far (greedy max-min distance), as long as that
    distance is at least `min_spacing_m`.

    Returns
    -------
    numpy.ndarray
        Shape (k, 2), k <= n: the loops that fit.

    Examples
    --------
    A 24 x 10 m back-garden strip takes two loops 6 m apart at its far corners:

    >>> from shapely.geometry import box
    >>> place_loops(box(0, 0, 24, 10), 2, min_spacing_m=6.0).tolist()
    [[0.0, 0.0], [24.0, 10.0]]
    >>> len(place_loops(box(0, 0, 4, 4), 2, min_spacing_m=6.0))  # 5.7 m diagonal: one fits
    1
    """
    if n < 1 or area is None or shapely.is_empty(area):
        return np.zeros((0, 2))
    cand = grid_points(area, grid_m, centred=False)
    if keep is not None and len(cand):
        cand = cand[keep(cand)]
    if taken is not None and len(taken) and len(cand):
        near = shapely.STRtree(shapely.points(taken)).query(
            shapely.points(cand), predicate="dwithin", distance=min_spacing_m - 1e-9
        )
        cand = np.delete(cand, np.unique(near[0]), axis=0)
    if not len(cand):
        return np.zeros((0, 2))
    if n == 1 or len(cand) == 1:
        depth = shapely.distance(shapely.boundary(area), shapely.points(cand))
        return cand[[int(np.argmax(depth))]]
    hull = _hull_points(cand)
    d = np.linalg.norm(hull[:, None, :] - hull[None, :, :], axis=2)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    if d[i, j] < min_spacing_m:
        depth = shapely.distance(shapely.boundary(area), shapely.points(cand))
        return cand[[int(np.argmax(depth))]]
    chosen = [hull[i], hull[j]]
    nearest = np.minimum(
        np.linalg.norm(cand - hull[i], axis=1), np.linalg.norm(cand - hull[j], axis=1)
    )
    while len(chosen) < n:
        k = int(np.argmax(nearest))
        if nearest[k] < min_spacing_m:
            break
        chosen.append(cand[k])
        nearest = np.minimum(nearest, np.linalg.norm(cand - cand[k], axis=1))
    return np.asarray(chosen, dtype=float)


def _hull_points(points: np.ndarray) -> np.ndarray:
    """Return the candidates on the convex hull (the farthest pair is among them)."""
    hull = shapely.convex_hull(shapely.multipoints(points))
    coords = shapely.get_coordinates(hull)
    return np.unique(coords, axis=0) if len(coords) else points


def grid_points(area: Any, grid_m: float, *, centred: bool) -> np.ndarray:
    """Return the points of a `grid_m` grid on `area`'s bounds that lie in `area`: (k, 2).

    ``centred=False``: the grid lines from the lower-left corner (corners and edges included,
    the candidate positions of loops); ``centred=True``: the centres of the grid's cells (each
    stands for grid_m² of area).
    """
    x0, y0, x1, y1 = shapely.bounds(area)
    if centred:
        xs = x0 + (np.arange(max(int(np.ceil((x1 - x0) / grid_m)), 1)) + 0.5) * grid_m
        ys = y0 + (np.arange(max(int(np.ceil((y1 - y0) / grid_m)), 1)) + 0.5) * grid_m
    else:
        xs = x0 + np.arange(int(np.floor((x1 - x0) / grid_m)) + 1) * grid_m
        ys = y0 + np.arange(int(np.floor((y1 - y0) / grid_m)) + 1) * grid_m
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])
