"""Size closed-loop borehole fields for mini heat networks with pygfunction g-functions.

Method (monthly sizing with peaks, "L3" of Peere et al. 2021, the method GHEtool implements):
the borehole wall temperature at the end of every month of the simulation period is the
superposition of the monthly average ground loads with the field's g-function
(pygfunction, ``method="equivalent"``); the mean fluid temperature during the month's peak adds
the peak's excess over the month average through the g-function at the peak duration, and
the borehole resistance. The length per borehole is the smallest for which the fluid never
falls below the design minimum (extraction) nor rises above the maximum (injection).

pygfunction does the heat-transfer physics (the g-functions of the real field geometry); it is
light (numpy, scipy). GHEtool wraps the same method but pulls in torch and optuna, so it is
not a dependency; :func:`size_borefield` is checked against GHEtool's published validation
cases in the tests.

For many mini nets at once, :func:`size_mini_nets` precomputes the g-functions per layout on a
grid of borehole lengths and sizes every group by interpolation: ground loads scale linearly
with a group's annual demand, so one table per layout sizes thousands of groups at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from warmtegis.core.errors import ConfigError
from warmtegis.mini_nets.gcache import cached_table, shipped_path, table_key
from warmtegis.params.dwellings import BoreholeParams
from warmtegis.units import FULL_LOAD_HOURS, HOURS_PER_MONTH, KWH_PER_GJ

__all__ = [
    "HEATING_DEGREE_DAY_SHARE",
    "BoreholeSizing",
    "ground_loads",
    "line_field",
    "rebuild_shipped_tables",
    "size_borefield",
    "size_mini_nets",
    "unit_terms",
]

_EXACT_LOOPS = 8  # lines of more loops are extrapolated from 7 and 8 (see _depth_for)

#: Share of the annual space-heating demand per month in the Netherlands: heating degree days
#: (base 18 °C) at De Bilt, 1991-2020 normals, rounded (KNMI).
HEATING_DEGREE_DAY_SHARE = (
    0.165,
    0.146,
    0.128,
    0.087,
    0.045,
    0.015,
    0.005,
    0.006,
    0.030,
    0.072,
    0.128,
    0.173,
)


@dataclass(frozen=True)
class BoreholeSizing:
    """Result of :func:`size_borefield`.

    Attributes
    ----------
    length_m : float
        Required length per borehole (m).
    limited_by : str
        ``"extraction"`` (minimum temperature) or ``"injection"`` (maximum temperature).
    fluid_min_c, fluid_max_c : float
        Extreme mean fluid temperatures over the period at that length (°C).
    iterations : int
        Fixed-point iterations used.
    """

    length_m: float
    limited_by: str
    fluid_min_c: float
    fluid_max_c: float
    iterations: int


def line_field(n: int, length_m: float, params: BoreholeParams) -> Any:
    """Return a pygfunction borefield of `n` loops in a line at ``params.spacing_m``."""
    import pygfunction as gt

    return gt.borefield.Borefield.rectangle_field(
        n, 1, params.spacing_m, params.spacing_m, length_m, params.buried_depth_m,
        params.borehole_radius_m,
    )  # fmt: skip


def _gfunction(borefield: Any, alpha: float, times: np.ndarray, n_log: int = 24) -> np.ndarray:
    """g-values at `times`: computed at `n_log` log-spaced times, interpolated in ln t.

    g is smooth in ln t; 24 points reproduce the full monthly evaluation of a line of 1-12
    loops within 0.4 % at a tenth of the cost.
    """
    import pygfunction as gt

    at = np.geomspace(times.min(), times.max(), n_log)
    g = gt.gfunction.gFunction(borefield, alpha, at, method="equivalent").gFunc
    return np.asarray(np.interp(np.log(times), np.log(at), np.asarray(g, dtype=float)))


def _times(years: int, peak_hours: float) -> np.ndarray:
    months = np.arange(1, 12 * years + 1) * HOURS_PER_MONTH * 3600.0
    return np.concatenate([[peak_hours * 3600.0], months])  # pygfunction wants them sorted


def _temperature_terms(
    g: np.ndarray,
    monthly_w: np.ndarray,
    peak_ex_w: np.ndarray,
    peak_in_w: np.ndarray,
    k: float,
    rb_total: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Temperature differences times total length (K·m): the lowest and highest over the period.

    ``g`` holds the g-values at the peak duration and then at every month end.
    ``monthly_w`` is the net injection (W, extraction negative) per month, ``peak_*`` the
    peaks (W, positive). Returns ``(low, high)`` such that the fluid temperature extremes are
    ``Tg + low / L_total`` and ``Tg + high / L_total``.
    """
    g_peak, g_month = g[0], g[1:]
    steps = np.diff(np.concatenate([[0.0], g_month]))
    # temporal superposition (a convolution) of the monthly loads: Tb(n) - Tg, times L_total
    wall = np.convolve(monthly_w, steps)[: len(monthly_w)] / (2 * np.pi * k)
    low = (
        wall
        - peak_ex_w * (g_peak / (2 * np.pi * k) + rb_total)
        - monthly_w * g_peak / (2 * np.pi * k)
    )
    low = np.where(peak_ex_w > 0, low, wall + monthly_w * rb_total)
    high = (
        wall
        + peak_in_w * (g_peak / (2 * np.pi * k) + rb_total)
        - monthly_w * g_peak / (2 * np.pi * k)
    )
    high = np.where(peak_in_w > 0, high, wall + monthly_w * rb_total)
    return low, high


def _annual_series(values: Sequence[float] | np.ndarray, years: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (12,) or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigError(f"{name} must be 12 non-negative monthly values, not {values!r}")
    return np.tile(arr, years)


def _load_series(
    monthly_extraction_kwh: Sequence[float] | np.ndarray,
    monthly_injection_kwh: Sequence[float] | np.ndarray,
    peak_extraction_kw: Sequence[float] | np.ndarray,
    peak_injection_kw: Sequence[float] | np.ndarray,
    years: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly net injection (W) and peak extraction / injection (W) over `years`.

    A peak is at least its month's average load (as GHEtool).
    """
    ex = _annual_series(monthly_extraction_kwh, years, "monthly_extraction_kwh")
    inj = _annual_series(monthly_injection_kwh, years, "monthly_injection_kwh")
    pex = _annual_series(peak_extraction_kw, years, "peak_extraction_kw") * 1000
    pin = _annual_series(peak_injection_kw, years, "peak_injection_kw") * 1000
    monthly_w = (inj - ex) / HOURS_PER_MONTH * 1000
    pex = np.maximum(pex, ex / HOURS_PER_MONTH * 1000)
    pin = np.maximum(pin, inj / HOURS_PER_MONTH * 1000)
    return monthly_w, pex, pin


def size_borefield(
    monthly_extraction_kwh: Sequence[float] | np.ndarray,
    monthly_injection_kwh: Sequence[float] | np.ndarray,
    peak_extraction_kw: Sequence[float] | np.ndarray,
    peak_injection_kw: Sequence[float] | np.ndarray,
    *,
    borefield: Any = None,
    n_boreholes: int | None = None,
    params: BoreholeParams | None = None,
    length_init_m: float = 100.0,
    tolerance_m: float = 0.01,
) -> BoreholeSizing:
    """Size the length per borehole of a field for monthly ground loads and peaks.

    Parameters
    ----------
    monthly_extraction_kwh, monthly_injection_kwh
        Heat taken from / put into the ground per month (kWh), 12 values, repeated yearly.
    peak_extraction_kw, peak_injection_kw
        Peak ground load per month (kW), 12 values; 0 for none.
    borefield
        A ``pygfunction.borefield.Borefield`` (its lengths are replaced while sizing); default
        `n_boreholes` loops in a line (:func:`line_field`).
    n_boreholes
        Number of loops when `borefield` is not given.
    params
        Ground, resistance, temperature limits and period; default :class:`BoreholeParams`.
    length_init_m, tolerance_m
        Start length and convergence tolerance of the fixed-point iteration (m).

    Returns
    -------
    BoreholeSizing

    Examples
    --------
    One loop, 10 MWh a year extracted (heating degree-day shares), peaks of 5 kW: the length at
    which the fluid just reaches the design minimum.

    >>> from warmtegis.mini_nets.boreholes import HEATING_DEGREE_DAY_SHARE
    >>> p = BoreholeParams()
    >>> monthly = 10_000 * np.array(HEATING_DEGREE_DAY_SHARE)
    >>> s = size_borefield(monthly, np.zeros(12), np.full(12, 5.0), np.zeros(12), n_boreholes=1)
    >>> bool(50 < s.length_m < 250), bool(abs(s.fluid_min_c - p.min_fluid_temperature_c) < 0.1)
    (True, True)
    """
    import pygfunction as gt

    p = params or BoreholeParams()
    years = p.simulation_years
    monthly_w, pex, pin = _load_series(
        monthly_extraction_kwh, monthly_injection_kwh, peak_extraction_kw, peak_injection_kw, years
    )
    if borefield is None:
        if not n_boreholes or n_boreholes < 1:
            raise ConfigError("give a borefield or n_boreholes >= 1")
        borefield = line_field(n_boreholes, length_init_m, p)
    n = len(borefield)
    alpha = p.ground_conductivity_w_mk / p.ground_heat_capacity_j_m3k
    times = _times(years, p.peak_duration_hours)
    k, Tg = p.ground_conductivity_w_mk, p.ground_temperature_c
    length = length_init_m
    it = 0
    for it in range(1, 51):  # noqa: B007 - `it` is reported
        field_h = gt.borefield.Borefield(
            np.full(n, length), borefield.D, borefield.r_b, borefield.x, borefield.y
        )
        g = _gfunction(field_h, alpha, times)
        low, high = _temperature_terms(g, monthly_w, pex, pin, k, p.borehole_resistance_mk_w)
        need_min = -low.min() / (Tg - p.min_fluid_temperature_c) if low.min() < 0 else 0.0
        need_max = high.max() / (p.max_fluid_temperature_c - Tg) if high.max() > 0 else 0.0
        new = max(need_min, need_max) / n
        if abs(new - length) < tolerance_m or new <= 0:
            length = max(new, 0.0)
            break
        length = new
    total = max(length * n, 1e-9)
    return BoreholeSizing(
        length_m=float(length),
        limited_by="extraction" if need_min >= need_max else "injection",
        fluid_min_c=float(Tg + low.min() / total),
        fluid_max_c=float(Tg + high.max() / total),
        iterations=it,
    )


def ground_loads(
    heat_demand_gj: np.ndarray,
    params: BoreholeParams,
    full_load_hours: float = FULL_LOAD_HOURS,
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly ground extraction (kWh) and peak extraction (kW) for annual heat demands.

    The ground supplies ``1 - 1/SPF`` of the heat; space heating (``1 - hot_water_share``)
    follows the monthly heating degree days, hot water is flat; the peak per month is the
    annual peak (demand / full-load hours, ground share) scaled by the month's share of the
    coldest month's space heating.

    Returns
    -------
    tuple of numpy.ndarray
        Arrays of shape (n, 12): monthly extraction (kWh) and peak extraction (kW).
    """
    demand_kwh = np.asarray(heat_demand_gj, dtype=float)[:, None] * KWH_PER_GJ
    ground = 1 - 1 / params.seasonal_performance_factor
    hdd = np.asarray(HEATING_DEGREE_DAY_SHARE) / sum(HEATING_DEGREE_DAY_SHARE)
    share = (1 - params.hot_water_share) * hdd + params.hot_water_share / 12
    monthly = demand_kwh * ground * share
    peak = demand_kwh * ground / full_load_hours * (hdd / hdd.max())
    return monthly, peak


def _unit_table_key(
    n_loops: int, params: BoreholeParams, grid: tuple[float, ...], full_load_hours: float
) -> str:
    """Return the cache key of a line's table (:mod:`warmtegis.mini_nets.gcache`)."""
    return table_key("line", n_loops, repr(params), tuple(grid), float(full_load_hours))


@lru_cache(maxsize=256)
def _unit_table(
    n_loops: int, params: BoreholeParams, grid: tuple[float, ...], full_load_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest temperature term per grid length for 1 kWh of annual ground extraction.

    Computed once: shipped for the default parameters, else cached on disk
    (:mod:`warmtegis.mini_nets.gcache`).
    """
    key = _unit_table_key(n_loops, params, grid, full_load_hours)
    return cached_table(key, lambda: _unit_table_uncached(n_loops, params, grid, full_load_hours))


def _unit_table_uncached(
    n_loops: int, params: BoreholeParams, grid: tuple[float, ...], full_load_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """Compute :func:`_unit_table` with pygfunction."""
    alpha = params.ground_conductivity_w_mk / params.ground_heat_capacity_j_m3k
    return unit_terms(
        lambda h, times: _gfunction(line_field(n_loops, h, params), alpha, times),
        params,
        grid,
        full_load_hours,
    )


def unit_terms(
    gfunction: Callable[[float, np.ndarray], np.ndarray],
    params: BoreholeParams,
    grid: Sequence[float],
    full_load_hours: float = FULL_LOAD_HOURS,
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest temperature term (K·m) per loop length for 1 kWh of annual ground extraction.

    `gfunction(length_m, times)` gives a field's g-values at the peak duration and every month
    end (:func:`_times`); the loads are :func:`ground_loads` scaled to 1 kWh a year. Because
    the loads scale linearly, a field of n loops of length H takes an annual extraction E as
    long as ``E × unit(H) / (n H)`` stays within the allowed temperature drop.

    Returns
    -------
    tuple of numpy.ndarray
        The lengths of `grid` and ``unit`` at each.
    """
    monthly, peak = ground_loads(np.array([1.0]), params, full_load_hours)
    scale = monthly.sum()  # loads per kWh of annual ground extraction
    monthly, peak = monthly / scale, peak / scale
    years = params.simulation_years
    none = np.zeros(12)
    monthly_w, pex, _ = _load_series(monthly[0], none, peak[0], none, years)
    times = _times(years, params.peak_duration_hours)
    lows = []
    for h in grid:
        low, _ = _temperature_terms(
            gfunction(h, times),
            monthly_w,
            pex,
            np.zeros_like(pex),
            params.ground_conductivity_w_mk,
            params.borehole_resistance_mk_w,
        )
        lows.append(-low.min())
    return np.asarray(grid, dtype=float), np.asarray(lows)


def _depth_for(
    extraction_kwh: np.ndarray,
    n_loops: int,
    params: BoreholeParams,
    grid: tuple[float, ...],
    full_load_hours: float,
) -> np.ndarray:
    """Length per loop meeting the minimum temperature, by interpolation on the grid."""
    allowed = params.ground_temperature_c - params.min_fluid_temperature_c
    # required: E * unit(H) / (n H) <= allowed  <=>  n H / unit(H) >= E / allowed;
    # n H / unit(H) grows with H, so invert it by interpolation
    if n_loops <= _EXACT_LOOPS:
        lengths, unit = _unit_table(n_loops, params, grid, full_load_hours)
        capacity = n_loops * lengths / unit
    else:
        # beyond 8 loops in a line each extra loop adds what the 8th added (interior loops
        # all see the same neighbours): within 0.6 % of the exact table for 12-16 loops
        lengths, u7 = _unit_table(_EXACT_LOOPS - 1, params, grid, full_load_hours)
        _, u8 = _unit_table(_EXACT_LOOPS, params, grid, full_load_hours)
        c7, c8 = (_EXACT_LOOPS - 1) * lengths / u7, _EXACT_LOOPS * lengths / u8
        capacity = c8 + (n_loops - _EXACT_LOOPS) * (c8 - c7)
    need = np.asarray(extraction_kwh, dtype=float) / allowed
    depth = np.interp(need, capacity, lengths, left=np.nan, right=np.inf)
    below = need < capacity[0]
    # below the grid the temperature drop scales ~ 1/H (g varies little): linear scaling
    depth[below] = need[below] / capacity[0] * lengths[0]
    return np.asarray(depth)


def size_mini_nets(
    n_dwellings: np.ndarray,
    heat_demand_gj: np.ndarray,
    *,
    params: BoreholeParams | None = None,
    full_load_hours: float = FULL_LOAD_HOURS,
    grid: Sequence[float] = (30.0, 45.0, 65.0, 90.0, 120.0, 160.0, 200.0, 250.0),
) -> pd.DataFrame:
    """Size the shared borehole field of many mini nets at once.

    Each group starts with ``ceil(n_dwellings / dwellings_per_loop)`` loops in a line; if the
    required length exceeds ``max_depth_m`` a loop is added until it fits. Lengths below
    ``min_depth_m`` are raised to it.

    Parameters
    ----------
    n_dwellings
        Dwellings per group.
    heat_demand_gj
        Annual heat demand of each group (GJ).
    params
        :class:`BoreholeParams`.
    full_load_hours
        Annual demand / peak load (h): ``[parameters.demand] full_load_hours``.
    grid
        Loop lengths (m) the g-functions are computed on; lengths between are interpolated.

    Returns
    -------
    pandas.DataFrame
        ``n_boreholes``, ``borehole_depth_m`` (length per loop), ``drilled_m`` (total),
        ``ground_extraction_mwh`` (per year) and ``peak_kw`` (heat, the group's peak).

    Examples
    --------
    At least one loop per three dwellings, more where a loop would exceed its maximum length:

    >>> n = np.array([3, 6])
    >>> s = size_mini_nets(n, n * 42.0)
    >>> bool((s["n_boreholes"] >= np.ceil(n / 3)).all()), bool((s["borehole_depth_m"] <= 200).all())
    (True, True)
    """
    p = params or BoreholeParams()
    n = np.asarray(n_dwellings, dtype=int)
    demand = np.asarray(heat_demand_gj, dtype=float)
    if np.any(n < 1) or np.any(~np.isfinite(demand)) or np.any(demand < 0):
        raise ConfigError("mini nets need n_dwellings >= 1 and non-negative heat_demand_gj")
    monthly, _ = ground_loads(demand, p, full_load_hours)
    extraction = monthly.sum(axis=1)
    grid = tuple(float(h) for h in grid)
    loops = np.ceil(n / p.dwellings_per_loop).astype(int)
    depth = np.full(len(n), np.inf)
    todo = np.ones(len(n), dtype=bool)
    while todo.any():
        for k in np.unique(loops[todo]):
            sel = todo & (loops == k)
            depth[sel] = _depth_for(extraction[sel], int(k), p, grid, full_load_hours)
        over = todo & (depth > p.max_depth_m)
        loops[over] += 1
        todo = over
    depth = np.maximum(depth, p.min_depth_m)
    return pd.DataFrame(
        {
            "n_boreholes": loops,
            "borehole_depth_m": depth,
            "drilled_m": loops * depth,
            "ground_extraction_mwh": extraction / 1000,
            "peak_kw": demand * KWH_PER_GJ / full_load_hours,
        }
    )


def rebuild_shipped_tables() -> Path:
    """Rebuild the shipped tables for the default parameters (lines of 1-8 loops).

    Run as ``python -m warmtegis.mini_nets.boreholes`` after a change to the way tables are
    computed (and bump :data:`~warmtegis.mini_nets.gcache.TABLE_VERSION`).
    """
    params, grid = BoreholeParams(), (30.0, 45.0, 65.0, 90.0, 120.0, 160.0, 200.0, 250.0)
    arrays = {}
    for n in range(1, _EXACT_LOOPS + 1):
        key = _unit_table_key(n, params, grid, FULL_LOAD_HOURS)
        lengths, unit = _unit_table_uncached(n, params, grid, FULL_LOAD_HOURS)
        arrays[f"{key}_lengths"], arrays[f"{key}_unit"] = lengths, unit
    out = shipped_path()
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    print(f"wrote {out} ({len(arrays) // 2} tables)")
    return out


if __name__ == "__main__":
    rebuild_shipped_tables()
