"""A borefield sized on its placed loops: the g-function of a layout, cached per layout.

:func:`layout_gfunction` computes pygfunction's finite-line-source g-function of the placed
loops and every other group's loop nearby; tables are cached per layout (pairwise distances to
0.5 m) in memory and on disk (:mod:`warmtegis.mini_nets.gcache`). :func:`size_on_positions`
sizes a group's loops on them.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis.core.cache import BoundedCache
from warmtegis.mini_nets.boreholes import ground_loads, unit_terms
from warmtegis.mini_nets.gcache import MEMORY_TABLES, cached_table, table_key
from warmtegis.params.dwellings import BoreholeParams, DrillingParams

__all__ = ["layout_capacity", "layout_gfunction", "size_on_positions"]


#: Loop lengths (m) the g-function of a placed layout is computed at; lengths between are
#: interpolated (as :func:`~warmtegis.mini_nets.boreholes.size_mini_nets` does for lines).
_GRID = (30.0, 60.0, 100.0, 150.0, 200.0, 260.0)


#: Per layout and parameters: the grid lengths and the annual extraction the layout takes at
#: each (bounded like the g-function tables: the most recently used ones).
_LAYOUTS = BoundedCache(MEMORY_TABLES)


def _layout_key(xy: np.ndarray) -> tuple[Any, ...]:
    """Return a layout's pairwise distances rounded to 0.5 m: equal keys, equal g-functions.

    The g-function of equal loops depends on where they stand relative to each other, which
    their pairwise distances describe (up to rotation and mirroring, which do not change it).
    """
    n = len(xy)
    if n == 1:
        return (1,)
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)[np.triu_indices(n, 1)]
    return (n, *np.sort(np.round(d * 2) / 2).tolist())


def layout_gfunction(
    xy: np.ndarray, length_m: float, times: np.ndarray, params: BoreholeParams | None = None
) -> np.ndarray:
    """g-function of equal loops at `xy` (m), uniform heat extraction rate, at `times` (s).

    The mean over the loops of the finite-line-source responses of every loop (itself at
    its radius, the others at their distances): pygfunction's ``UHTR`` boundary condition,
    computed with its vectorised finite-line-source approximation (Cimmino 2021) at 16
    log-spaced times and interpolated in ln t. A uniform extraction rate gives a slightly
    higher g than a uniform wall temperature (1-4 % for 2-5 loops 6-20 m apart), so the
    sizing errs on the deep side.

    Examples
    --------
    >>> import pygfunction as gt
    >>> xy = np.array([[0.0, 0.0], [10.0, 3.0], [20.0, 0.0]])
    >>> t = np.array([3600.0 * 6, 25 * 8760 * 3600.0])
    >>> ours = layout_gfunction(xy, 150.0, t)
    >>> f = gt.borefield.Borefield(np.full(3, 150.0), np.full(3, 1.0), np.full(3, 0.065),
    ...                            xy[:, 0], xy[:, 1])
    >>> ref = gt.gfunction.gFunction(f, 2.0 / 2.4e6, t, boundary_condition="UHTR").gFunc
    >>> bool(np.allclose(ours, ref, rtol=0.01))
    True
    """
    import pygfunction as gt

    p = params or BoreholeParams()
    alpha = p.ground_conductivity_w_mk / p.ground_heat_capacity_j_m3k
    n = len(xy)
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    d[np.arange(n), np.arange(n)] = p.borehole_radius_m
    at = np.geomspace(times.min(), times.max(), 16)  # g is smooth in ln t
    D = p.buried_depth_m
    dist, back = np.unique(d.ravel(), return_inverse=True)  # each distance once
    h = gt.heat_transfer.finite_line_source_approximation(at, alpha, dist, length_m, D, length_m, D)
    h = np.asarray(h).reshape(len(dist), len(at))[back.ravel()]  # (n * n, times)
    g = h.reshape(n, n, len(at)).sum(axis=1).mean(axis=0)
    return np.asarray(np.interp(np.log(times), np.log(at), g))


def layout_capacity(
    xy: np.ndarray, bp: BoreholeParams, full_load_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per grid length H: the annual ground extraction (kWh) the layout takes at H per loop.

    For a unit annual extraction the lowest temperature term ``unit(H)`` (K·m) follows from the
    layout's g-function (:func:`layout_gfunction`) and the monthly loads and peaks
    (:func:`~warmtegis.mini_nets.boreholes.ground_loads`); the loads scale linearly, so the layout
    takes ``allowed × n H / unit(H)``. Cached per layout key and parameters, in memory and on
    disk (:mod:`warmtegis.mini_nets.gcache`), so a later process reads the tables it computed.
    """
    key = (_layout_key(xy), bp, full_load_hours)
    found = _LAYOUTS.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]  # BoundedCache holds these tables

    def compute() -> tuple[np.ndarray, np.ndarray]:
        _, units = unit_terms(
            lambda h, times: layout_gfunction(xy, h, times, bp), bp, _GRID, full_load_hours
        )
        return np.asarray(_GRID), np.asarray(units)

    # computed once per layout and parameters, then read from the disk cache by every later
    # process (:mod:`warmtegis.mini_nets.gcache`)
    disk_key = table_key("layout", key[0], repr(bp), _GRID, float(full_load_hours))
    lengths, units = cached_table(disk_key, compute)
    allowed = bp.ground_temperature_c - bp.min_fluid_temperature_c
    capacity = allowed * len(xy) * lengths / units
    _LAYOUTS.put(key, (lengths, capacity))
    return lengths, capacity


def size_on_positions(
    groups: pd.DataFrame,
    mini_nets: gpd.GeoDataFrame,
    placed: dict[str, Any],
    p: DrillingParams,
    bp: BoreholeParams,
    full_load_hours: float,
    others: np.ndarray,
) -> None:
    """Length per loop from the g-function of the placed loops and their neighbours.

    The field of a group is its own loops plus every other group's loop within
    ``interference_radius_m`` of one of them; the neighbours are taken to draw the same load
    per loop as the group's own (their ground loads scale with their demand as ours do), so the
    group's loads are scaled up by (own + neighbours) / own and the field sized as one, by
    interpolation in the layout's capacity table (:func:`layout_capacity`).
    """
    demand = dict(zip(mini_nets["mini_net_id"], mini_nets["heat_demand_gj"], strict=True))
    # the loops that will be drilled: a group without room drills none
    ids = [g for g, r in zip(groups["mini_net_id"], groups["has_room"], strict=True) if r]
    all_xy = np.concatenate([others, *(placed[g] for g in ids)])
    all_id = np.array([None] * len(others) + [g for g in ids for _ in placed[g]], dtype=object)
    depth_col, nb_col = [], []
    for gid, room in zip(groups["mini_net_id"], groups["has_room"], strict=True):
        own = placed[gid]
        if not room or not len(own):
            depth_col.append(np.nan)
            nb_col.append(0)
            continue
        d = np.linalg.norm(all_xy[:, None, :] - own[None, :, :], axis=2).min(axis=1)
        nb = all_xy[(all_id != gid) & (d <= p.interference_radius_m)]
        xy = np.concatenate([own, nb])
        monthly, _ = ground_loads(np.array([demand[gid]]), bp, full_load_hours)
        need = monthly.sum() * len(xy) / len(own)  # the neighbours draw as much per loop
        lengths, capacity = layout_capacity(xy, bp, full_load_hours)
        if need <= capacity[0]:  # below the grid the temperature drop scales ~ 1/H
            depth = need / capacity[0] * lengths[0]
        elif need <= capacity[-1]:
            depth = float(np.interp(need, capacity, lengths))
        else:
            depth = float(need / capacity[-1] * lengths[-1])  # deeper than the grid: too deep
        depth_col.append(max(depth, bp.min_depth_m))
        nb_col.append(len(nb))
    pairs = zip(groups["mini_net_id"], groups["has_room"], strict=True)
    groups["loops_placed"] = [len(placed[g]) if r else 0 for g, r in pairs]
    groups["neighbour_loops"] = nb_col
    groups["depth_placed_m"] = depth_col
    groups["drilled_placed_m"] = groups["depth_placed_m"] * groups["loops_placed"]
    too_deep = groups["depth_placed_m"] > bp.max_depth_m
    groups.loc[too_deep, "has_room"] = False
    limit = f"{bp.max_depth_m:g}"
    groups.loc[too_deep, "room_reason"] = groups.loc[too_deep, "depth_placed_m"].map(
        lambda v: f"no room: its loops would need {np.ceil(v):.0f} m each (max {limit} m)"
    )
    groups.loc[too_deep, "loops_placed"] = 0
    groups.loc[too_deep, "drilled_placed_m"] = np.nan
