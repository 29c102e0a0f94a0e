"""Hydraulics of a heat network's pipes: simultaneity, pressure drop and the DN of each pipe.

:func:`size_pipes` gives every trunk pipe its downstream dwellings and peak load: the sum of
the buildings' peaks (annual demand / ``full_load_hours``, from the buildings stage) times
the simultaneity factor of Winter et al. (2001) for that many dwellings; classes by
thresholds and DN from the EN 253 steel series by pressure drop per metre and velocity
(Darcy-Weisbach, Swamee-Jain friction factor).
"""

from __future__ import annotations

import types
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.sparse import coo_array, csgraph

from warmtegis.core.log import log
from warmtegis.params.street import RoutingParams

__all__ = [
    "DN_INNER_DIAMETER_MM",
    "darcy_weisbach",
    "pipe_dn",
    "pressure_drop",
    "simultaneity",
    "size_pipes",
]


#: Inner diameters (mm) of pre-insulated steel service pipes by nominal size (EN 253 series 1
#: steel pipe, EN 10217-2; as listed in the Logstor and isoplus product catalogues).
DN_INNER_DIAMETER_MM = types.MappingProxyType(
    {
        "20": 21.7, "25": 28.5, "32": 37.2, "40": 43.1, "50": 54.5, "65": 70.3, "80": 82.5,
        "100": 107.1, "125": 132.5, "150": 160.3, "200": 210.1, "250": 263.0, "300": 312.7,
        "350": 344.4, "400": 393.8, "450": 444.6, "500": 495.4, "600": 595.8,
    }
)  # fmt: skip

#: Winter, Koch, Trimmel (2001), "Gleichzeitigkeit in Fernwärmenetzen", Euroheat & Power 30:
#: fitted on measured Austrian networks, valid for 1-200+ consumers.
_WINTER = (0.449677646267461, 0.551234688, 53.84382392, 1.762743268)


def simultaneity(n: np.ndarray | float) -> np.ndarray:
    """Simultaneity factor for `n` dwellings (Winter et al. 2001), 1 for one dwelling.

    ``f(n) = a + b / (1 + (n / c)^d)`` with ``a = 0.4497``, ``b = 0.5512``, ``c = 53.84``,
    ``d = 1.7627``; f(1) = 1.00, f(10) = 0.97, f(100) = 0.58, f(1000) = 0.45.

    Examples
    --------
    One dwelling counts in full; many dwellings together approach the floor of Winter et al.:

    >>> s = simultaneity(np.array([1, 10, 1000]))
    >>> float(round(s[0], 3)), bool(s[0] > s[1] > s[2] > 0.4)
    (1.0, True)
    """
    a, b, c, d = _WINTER
    n = np.asarray(n, dtype=float)
    return np.where(n <= 1, 1.0, np.minimum(1.0, a + b / (1.0 + (np.maximum(n, 0) / c) ** d)))


def _water(t_mean_c: float) -> tuple[float, float, float]:
    """Density (kg/m³), heat capacity (J/kg K), dynamic viscosity (Pa s) of water."""
    rho = 1000.6 - 0.0128 * t_mean_c**1.76  # ±0.2 % over 10-90 °C
    cp = 4180.0
    mu = 2.414e-5 * 10 ** (247.8 / (t_mean_c + 273.15 - 140.0))  # Vogel equation
    return rho, cp, mu


def pressure_drop(
    peak_kw: np.ndarray, inner_diameter_m: np.ndarray, params: RoutingParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Velocity (m/s) and pressure drop (Pa/m) of one pipe carrying `peak_kw`.

    Mass flow = P / (cp ΔT); Darcy-Weisbach with the Swamee-Jain friction factor
    (laminar 64/Re below Re 2300).
    """
    p = params or RoutingParams()
    rho, cp, mu = _water((p.supply_temp + p.return_temp) / 2)
    q = np.asarray(peak_kw, float) * 1e3 / (cp * (p.supply_temp - p.return_temp)) / rho
    return darcy_weisbach(q, inner_diameter_m, rho, mu, p.roughness_mm)


def darcy_weisbach(
    flow_m3_s: np.ndarray, inner_diameter_m: np.ndarray, rho: float, mu: float, roughness_mm: float
) -> tuple[np.ndarray, np.ndarray]:
    """Velocity (m/s) and pressure drop (Pa/m) of a volume flow in a round pipe.

    Darcy-Weisbach with the Swamee-Jain friction factor, laminar 64/Re below Re 2300; any
    fluid (density `rho` kg/m³, dynamic viscosity `mu` Pa·s).

    Examples
    --------
    1 l/s of water at 10 °C in a 40 mm pipe: Re 24,300; Colebrook's implicit friction factor
    0.02478 gives 196.1 Pa/m, Swamee-Jain's explicit one within 0.5 % of it.

    >>> v, r = darcy_weisbach(np.array(1e-3), np.array(0.04), 999.7, 1.31e-3, 0.0015)
    >>> round(float(v), 3), round(float(r), 1)
    (0.796, 195.5)
    """
    q = np.asarray(flow_m3_s, float)
    d = np.asarray(inner_diameter_m, float)
    v = q / (np.pi * d**2 / 4)
    re = np.maximum(rho * v * d / mu, 1e-9)
    eps = roughness_mm / 1e3
    turbulent = 0.25 / np.log10(eps / (3.7 * d) + 5.74 / re**0.9) ** 2
    f = np.where(re < 2300, 64 / re, turbulent)
    return v, f * rho * v**2 / (2 * d)


def pipe_dn(peak_kw: np.ndarray, params: RoutingParams | None = None) -> np.ndarray:
    """Smallest DN of :data:`DN_INNER_DIAMETER_MM` within the pressure-drop and velocity limits.

    Loads beyond the largest size get the largest (DN 600) and a warning in the log.

    Examples
    --------
    The smallest EN 253 size within 100 Pa/m and 3 m/s for 70/40 °C:

    >>> dn = pipe_dn(np.array([10.0, 500.0, 5000.0]))
    >>> dn.tolist() == sorted(dn.tolist()), int(dn[0]) <= 25
    (True, True)
    """
    p = params or RoutingParams()
    dn = np.array([int(k) for k in DN_INNER_DIAMETER_MM])
    di = np.array(list(DN_INNER_DIAMETER_MM.values())) / 1e3
    kw = np.asarray(peak_kw, float)[:, None]
    v, r = pressure_drop(kw, di[None, :], p)
    ok = (r <= p.max_pressure_drop_pa_per_m) & (v <= p.max_velocity_m_s)
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), len(dn) - 1)
    if (~ok.any(axis=1)).any():
        log(f"routing: {int((~ok.any(axis=1)).sum())} pipes exceed DN {dn[-1]}; sized DN {dn[-1]}")
    return dn[first]


def size_pipes(
    tree_edges: pd.DataFrame,
    node_dwellings: Mapping[int, float],
    node_peak_kw: Mapping[int, float],
    root: int,
    params: RoutingParams | None = None,
) -> pd.DataFrame:
    """Downstream dwellings, peak load, class and DN of every trunk edge.

    Parameters
    ----------
    tree_edges
        The trunk's edges with ``u`` and ``v`` (a tree).
    node_dwellings, node_peak_kw
        Dwellings and undiversified peak (kW) of the buildings connected at each node.
    root
        The source node.

    Returns
    -------
    pandas.DataFrame
        `tree_edges` with ``dwellings_served``, ``peak_kw`` (diversified), ``pipe_class``
        (``transport`` from the source to the first branch or connection, then ``primary``
        above ``primary_min_kw``, else ``secondary``) and ``dn``.

    Examples
    --------
    A source (node 0) feeding two houses (nodes 1 and 2) through node 3:

    >>> edges = pd.DataFrame({"u": [0, 3, 3], "v": [3, 1, 2], "length_m": [100.0, 20.0, 20.0]})
    >>> p = size_pipes(edges, {1: 1, 2: 1}, {1: 6.0, 2: 6.0}, root=0)
    >>> p.sort_values("v")["dwellings_served"].tolist()
    [1, 1, 2]
    """
    p = params or RoutingParams()
    u, v = tree_edges["u"].to_numpy(), tree_edges["v"].to_numpy()
    ids, inv = np.unique(np.r_[u, v, [root]], return_inverse=True)
    iu, iv, ir = inv[: len(u)], inv[len(u) : 2 * len(u)], int(inv[-1])
    k = len(ids)
    m = coo_array((np.ones(len(u)), (iu, iv)), shape=(k, k))
    order, pred = csgraph.breadth_first_order(m, ir, directed=False, return_predecessors=True)
    if len(order) != k or len(u) != k - 1:
        raise ValueError("size_pipes: the trunk edges do not form one tree holding the source")
    dw = np.array([float(node_dwellings.get(int(x), 0.0)) for x in ids])
    kw = np.array([float(node_peak_kw.get(int(x), 0.0)) for x in ids])
    has_load = dw > 0
    sub_dw, sub_kw = dw.copy(), kw.copy()
    children = np.zeros(k, int)
    pl = pred.tolist()
    for x in order[::-1].tolist():  # leaves first
        q = pl[x]
        if q >= 0:
            sub_dw[q] += sub_dw[x]
            sub_kw[q] += sub_kw[x]
            children[q] += 1
    # transport: from the source down the single chain without connections
    transport = np.zeros(k, bool)  # node whose edge to its parent is transport
    x = ir
    while children[x] == 1 and not has_load[x]:
        nxt = np.flatnonzero(pred == x)[0]
        transport[nxt] = True
        x = nxt
    child = np.where(pred[iu] == iv, iu, iv)
    out = tree_edges.copy()
    out["dwellings_served"] = sub_dw[child].round().astype(int)
    out["peak_kw"] = sub_kw[child] * simultaneity(sub_dw[child])
    out["pipe_class"] = np.where(
        transport[child],
        "transport",
        np.where(out["peak_kw"] > p.primary_min_kw, "primary", "secondary"),
    )
    out["dn"] = pipe_dn(out["peak_kw"].to_numpy(), p)
    return out
