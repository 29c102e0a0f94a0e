"""Pricing: network capex and pipe prices, mini-net cost per dwelling.

Every figure comes from :class:`~warmtegis.params.costs.CostParams` (the parameter file
``warmtegis/data/costs.toml``: value, unit and source per figure).

Heat network (heat company's view, euro excl. VAT)
    :func:`network_capex` prices pipe lengths per class, connections per type, plant and
    substations; :func:`price_pipes` prices a ``pipes`` table. The business case over the
    term (O&M, replacements, heat supply, ORT) is
    :func:`warmtegis.economics.business.business_case`.

Mini heat networks (household's view, euro incl. VAT)
    :func:`mini_net_capex` prices a group's boreholes, rig, manifold, trench and heat pumps;
    :func:`annualised_cost` turns an investment with replacements into a yearly cost;
    :func:`price_mini_nets` adds both to a ``mini_nets`` table and compares them with an
    individual air-source and an individual ground-source heat pump.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis.core.errors import ConfigError
from warmtegis.params.costs import (
    CONNECTION_TYPES,
    PIPE_CLASSES,
    CostParams,
    load_cost_params,
    network_prices,
)

__all__ = [
    "annualised_cost",
    "check_counts",
    "heat_network_bill",
    "individual_heat_pump_costs",
    "mini_net_capex",
    "mini_net_prices",
    "network_capex",
    "price_mini_nets",
    "price_pipes",
]


def check_counts(
    values: Mapping[str, float], allowed: tuple[str, ...], what: str
) -> dict[str, Any]:
    """Return `values` as floats, or one ConfigError naming every unknown key or bad number."""
    problems = []
    out = {}
    for key, value in values.items():
        if key not in allowed:
            problems.append(f"{what}: unknown key {key!r}; allowed: {', '.join(allowed)}")
        elif isinstance(value, bool) or not isinstance(value, int | float | np.number):
            problems.append(f"{what}[{key!r}] must be a number, not {value!r}")
        elif not np.isfinite(value) or value < 0:
            problems.append(f"{what}[{key!r}] must be a non-negative number, not {value!r}")
        else:
            out[key] = float(value)
    if problems:
        raise ConfigError(problems)
    return out


# --------------------------------------------------------------------------------------------
# Network capex
# --------------------------------------------------------------------------------------------
def network_capex(
    pipe_lengths_m: Mapping[str, float],
    connections: Mapping[str, float],
    network: Literal["MT", "ZLT"] = "MT",
    *,
    params: CostParams | None = None,
    extra_pipes_eur: float = 0.0,
) -> pd.DataFrame:
    """Price a heat network: pipes per class, connections per type, plant and substations.

    Plant and substations are the study's totals scaled by the number of connections
    (``plant_eur * connections / reference_connections``).

    Parameters
    ----------
    pipe_lengths_m
        Pipe class (``transport``, ``primary``, ``secondary``, ``service``) -> length (m).
    connections
        Connection type (``grondgebonden``, ``gestapeld``, ``utiliteit``) -> count.
    network
        ``"MT"`` or ``"ZLT"``.
    params
        Cost parameters; default :func:`load_cost_params`.
    extra_pipes_eur
        Pipe costs on top of the prices per metre (e.g. the routing's surcharges for
        stretches without trench room and drilled crossings), one lump sum.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``group`` (pipes / connections / plant), ``item``, ``quantity``,
        ``unit``, ``unit_cost_eur``, ``cost_eur`` (excl. VAT).

    Examples
    --------
    One kilometre of MT secondary pipe at its metre price:

    >>> from warmtegis.params import load_cost_params
    >>> price = load_cost_params().networks["MT"].pipe_eur_per_m["secondary"]
    >>> c = network_capex({"secondary": 1000.0}, {})
    >>> bool(c.loc[c["item"] == "secondary", "cost_eur"].iloc[0] == 1000.0 * price)
    True
    """
    params = params or load_cost_params()
    net = network_prices(params, network)
    lengths = check_counts(pipe_lengths_m, PIPE_CLASSES, "pipe_lengths_m")
    counts = check_counts(connections, CONNECTION_TYPES, "connections")
    n = sum(counts.values())
    share = n / net.reference_connections if net.reference_connections else 0.0
    rows = [("pipes", c, lengths.get(c, 0.0), "m", net.pipe_eur_per_m[c]) for c in PIPE_CLASSES]
    if extra_pipes_eur:
        if not (np.isfinite(extra_pipes_eur) and extra_pipes_eur >= 0):
            raise ConfigError(f"extra_pipes_eur must be >= 0, not {extra_pipes_eur}")
        rows.append(("pipes", "surcharges", 1.0, "lump sum", float(extra_pipes_eur)))
    rows += [
        ("connections", t, counts.get(t, 0.0), "connection", net.connection_eur[t])
        for t in CONNECTION_TYPES
    ]
    rows += [
        ("plant", "heat plant", share, "x study plant", net.plant_eur),
        ("plant", "substations", share, "x study substations", net.substations_eur),
    ]
    table = pd.DataFrame(rows, columns=["group", "item", "quantity", "unit", "unit_cost_eur"])
    table["cost_eur"] = table["quantity"] * table["unit_cost_eur"]
    return table


def price_pipes(
    pipes: pd.DataFrame,
    network: Literal["MT", "ZLT"] = "MT",
    *,
    params: CostParams | None = None,
    impassable_penalty: float = 1.0,
    crossing_eur: float = 0.0,
) -> pd.DataFrame:
    """Return a copy of a ``pipes`` table with its cost: the one place pipes are priced.

    ``cost_eur`` = ``length_m`` × the €/m of its ``pipe_class`` × `impassable_penalty` where
    ``passable`` is False + ``crossings`` × `crossing_eur` (the street graph's edge weights,
    the ``pipes`` layer and the business case's surcharges all come from here).

    Raises
    ------
    ConfigError
        When `pipes` lacks ``pipe_class``/``length_m`` or holds an unknown class.

    Examples
    --------
    >>> t = pd.DataFrame({"pipe_class": ["secondary", "secondary"], "length_m": [10.0, 10.0],
    ...                   "passable": [True, False], "crossings": [0, 1]})
    >>> price_pipes(t, "MT", impassable_penalty=2.0, crossing_eur=30000)["cost_eur"].tolist()
    [12800.0, 55600.0]
    """
    params = params or load_cost_params()
    net = network_prices(params, network)
    missing = [c for c in ("pipe_class", "length_m") if c not in pipes.columns]
    if missing:
        raise ConfigError(f"pipes table has no column {', '.join(missing)}")
    unknown = sorted(set(pipes["pipe_class"]) - set(PIPE_CLASSES))
    if unknown:
        raise ConfigError(
            f"pipes table: unknown pipe_class {unknown}; expected one of {', '.join(PIPE_CLASSES)}"
        )
    out = pipes.copy()
    base = out["length_m"].to_numpy(float) * out["pipe_class"].map(net.pipe_eur_per_m).to_numpy(
        float
    )
    if "passable" in out:
        base = base * np.where(out["passable"].to_numpy(bool), 1.0, impassable_penalty)
    if "crossings" in out:
        base = base + out["crossings"].to_numpy(float) * crossing_eur
    out["cost_eur"] = base
    return out


# --------------------------------------------------------------------------------------------
# Mini heat networks
# --------------------------------------------------------------------------------------------
def mini_net_capex(
    n_dwellings: Any,
    n_boreholes: Any,
    borehole_depth_m: Any,
    trench_length_m: Any = 0.0,
    *,
    params: CostParams | None = None,
) -> dict[str, np.ndarray]:
    """Investment of mini heat networks (euro incl. VAT), vectorised over groups.

    One group is one drilling site: the rig is brought in once, whatever the number of
    boreholes. A group of one dwelling is an individual ground-source heat pump (no manifold,
    no trench).

    Parameters
    ----------
    n_dwellings, n_boreholes
        Dwellings and borehole loops per group (scalars or arrays).
    borehole_depth_m
        Depth of each loop (m).
    trench_length_m
        Collective trench inside the group (m).
    params
        Cost parameters; default :func:`load_cost_params`.

    Returns
    -------
    dict of numpy.ndarray
        ``drilling``, ``rig``, ``loop_heads``, ``manifold``, ``trench``, ``heat_pumps``,
        ``in_home``, ``capex`` and ``capex_per_dwelling`` (EUR).

    Examples
    --------
    >>> c = mini_net_capex(4, 2, 150.0, 40.0)
    >>> bool(np.isclose(c["capex_per_dwelling"], c["capex"] / 4).all())
    True
    """
    mn = (params or load_cost_params()).mini_net
    n = np.asarray(n_dwellings, dtype=float)
    loops = np.asarray(n_boreholes, dtype=float)
    depth = np.asarray(borehole_depth_m, dtype=float)
    trench = np.asarray(trench_length_m, dtype=float)
    for name, arr in (("n_dwellings", n), ("n_boreholes", loops), ("depth", depth)):
        if np.any(~np.isfinite(arr)) or np.any(arr < 0):
            raise ConfigError(f"mini-net {name} must be non-negative numbers")
    if np.any(n < 1):
        raise ConfigError("a mini net has at least one dwelling")
    parts = {
        "drilling": loops * depth * mn.drilling_eur_per_m,
        "rig": np.where(loops > 0, mn.rig_mobilisation_eur, 0.0),
        "loop_heads": loops * mn.loop_head_eur,
        "manifold": np.where(n >= 2, mn.manifold_eur, 0.0),
        "trench": trench * mn.trench_eur_per_m,
        "heat_pumps": n * mn.heat_pump_eur,
        "in_home": n * mn.in_home_eur,
    }
    arrays = np.broadcast_arrays(*parts.values())
    parts = {k: a.astype(float) for k, a in zip(parts, arrays, strict=True)}
    parts["capex"] = sum(parts.values())
    parts["capex_per_dwelling"] = parts["capex"] / n
    return parts


def annualised_cost(
    components: Mapping[str, tuple[Any, float]],
    *,
    yearly: Any = 0.0,
    horizon_years: int,
    discount_rate: float,
    indexation: float,
) -> np.ndarray:
    """Equivalent yearly cost of investments replaced at the end of their life, plus running cost.

    Each component costing ``C`` (today's prices) with lifetime ``L`` is bought in years
    0, L, 2L, ... < H at ``C (1 + i)^y``; the straight-line residual value of the last one
    at year H is credited. A running cost ``E`` per year is paid in years 0..H-1 at
    ``E (1 + i)^y``. The present value at rate d is turned into an annuity over H years:
    ``PV · d / (1 − (1 + d)^−H)``.

    Parameters
    ----------
    components
        Name -> (cost in EUR, scalar or array; lifetime in years).
    yearly
        Running cost in EUR per year (today's prices), scalar or array.
    horizon_years, discount_rate, indexation
        H, d and i.

    Returns
    -------
    numpy.ndarray
        Yearly cost (EUR/yr).
    """
    H, d, i = horizon_years, discount_rate, indexation
    growth = ((1 + i) / (1 + d)) ** np.arange(H)
    pv: Any = np.asarray(yearly, dtype=float) * growth.sum()
    for cost, life in components.values():
        cost = np.asarray(cost, dtype=float)
        buy_years = np.arange(0, H, life)
        pv = pv + cost * growth[buy_years].sum()
        last = buy_years[-1]
        residual = 1 - (H - last) / life
        pv = pv - cost * residual * (1 + i) ** last / (1 + d) ** H
    annuity = d / (1 - (1 + d) ** -H) if d > 0 else 1 / H
    return np.asarray(pv * annuity, dtype=float)


def mini_net_prices(
    n_dwellings: Any,
    n_boreholes: Any,
    borehole_depth_m: Any,
    trench_length_m: Any,
    heat_demand_gj: Any,
    *,
    params: CostParams | None = None,
) -> dict[str, np.ndarray]:
    """Investment and yearly costs of mini nets and the individual options, as arrays.

    The arithmetic of :func:`price_mini_nets` on plain arrays (one entry per group), for
    callers that price many variants of the same groups (insulation scenarios, drop-outs).

    Returns
    -------
    dict of numpy.ndarray
        ``capex_eur``, ``capex_per_dwelling_eur``, ``annual_cost_per_dwelling_eur``,
        ``air_source_annual_eur`` and ``ground_source_annual_eur``.
    """
    params = params or load_cost_params()
    parts = mini_net_capex(
        n_dwellings, n_boreholes, borehole_depth_m, trench_length_m, params=params
    )
    mn, ref = params.mini_net, params.reference
    n = np.asarray(n_dwellings, dtype=float)
    heat_kwh = np.asarray(heat_demand_gj, dtype=float) / n / 0.0036
    finance: dict[str, Any] = {
        "horizon_years": ref.horizon_years,
        "discount_rate": ref.discount_rate,
        "indexation": ref.indexation,
    }
    ground_power = heat_kwh / ref.spf_ground_source * ref.electricity_eur_per_kwh
    air_power = heat_kwh / ref.spf_air_source * ref.electricity_eur_per_kwh
    source = parts["capex"] - parts["heat_pumps"] - parts["in_home"]
    return {
        "capex_eur": parts["capex"],
        "capex_per_dwelling_eur": parts["capex_per_dwelling"],
        "annual_cost_per_dwelling_eur": annualised_cost(
            {
                "heat pump": (mn.heat_pump_eur + mn.in_home_eur, mn.heat_pump_lifetime_years),
                "shared source": (source / n, mn.borehole_lifetime_years),
            },
            yearly=ground_power,
            **finance,
        ),
        "air_source_annual_eur": annualised_cost(
            {"air": (ref.air_source_eur, ref.replacement_years)}, yearly=air_power, **finance
        ),
        "ground_source_annual_eur": annualised_cost(
            {
                "heat pump": (ref.ground_source_heat_pump_part_eur, ref.replacement_years),
                "borehole": (
                    ref.ground_source_eur - ref.ground_source_heat_pump_part_eur,
                    mn.borehole_lifetime_years,
                ),
            },
            yearly=ground_power,
            **finance,
        ),
    }


def price_mini_nets(mini_nets: pd.DataFrame, *, params: CostParams | None = None) -> pd.DataFrame:
    """Add investment and yearly cost per dwelling to a ``mini_nets`` table.

    Needs columns ``n_dwellings``, ``n_boreholes``, ``borehole_depth_m``,
    ``trench_length_m`` and ``heat_demand_gj`` (the group's annual demand). Adds

    - ``capex_eur``, ``capex_per_dwelling_eur``: investment incl. VAT (:func:`mini_net_capex`);
    - ``annual_cost_per_dwelling_eur``: yearly cost per dwelling over the horizon
      (:func:`annualised_cost`): heat pumps replaced after their lifetime, the shared source
      after the boreholes' lifetime, electricity at the ground-source SPF;
    - ``air_source_annual_eur`` and ``ground_source_annual_eur``: the same for an individual
      air-source or ground-source heat pump in each of the group's dwellings;
    - ``cheapest``: ``"mini_net"``, ``"air_source"`` or ``"ground_source"``.

    Returns a new table; the input is not changed.

    Examples
    --------
    >>> nets = pd.DataFrame({"n_dwellings": [4], "n_boreholes": [2], "borehole_depth_m": [150.0],
    ...                      "trench_length_m": [40.0], "heat_demand_gj": [4 * 42.0]})
    >>> priced = price_mini_nets(nets)
    >>> bool(priced["capex_per_dwelling_eur"].iloc[0] * 4 == priced["capex_eur"].iloc[0])
    True
    """
    need = ["n_dwellings", "n_boreholes", "borehole_depth_m", "trench_length_m", "heat_demand_gj"]
    missing = [c for c in need if c not in mini_nets.columns]
    if missing:
        raise ConfigError(f"mini_nets table has no column {', '.join(missing)}")
    prices: dict[str, Any] = mini_net_prices(
        *(mini_nets[c].to_numpy() for c in need), params=params
    )
    options = ["annual_cost_per_dwelling_eur", "air_source_annual_eur", "ground_source_annual_eur"]
    labels = np.array(["mini_net", "air_source", "ground_source"])
    stacked = np.column_stack([prices[k] for k in options]) if len(mini_nets) else None
    prices["cheapest"] = labels[stacked.argmin(axis=1)] if stacked is not None else []
    added = pd.DataFrame(prices, index=mini_nets.index)
    keep = mini_nets.drop(columns=[c for c in added.columns if c in mini_nets.columns])
    out = pd.concat([keep, added], axis=1)
    if isinstance(mini_nets, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=mini_nets.geometry.name, crs=mini_nets.crs)
    return out


def individual_heat_pump_costs(
    heat_demand_gj: np.ndarray | pd.Series, *, params: CostParams | None = None
) -> pd.DataFrame:
    """Yearly cost of an individual air-source and ground-source heat pump per dwelling.

    Priced as :func:`price_mini_nets` prices the individual options beside a group (EUR
    incl. VAT: the investment annualised with its replacements, plus electricity).

    Returns
    -------
    pandas.DataFrame
        ``air_source_annual_eur`` and ``ground_source_annual_eur``, one row per dwelling.

    Examples
    --------
    >>> costs = individual_heat_pump_costs(np.array([30.0, 60.0]))
    >>> bool((costs["air_source_annual_eur"].diff().iloc[1] > 0))  # more heat, more power
    True
    """
    frame = pd.DataFrame(
        {
            "n_dwellings": 1,
            "n_boreholes": 1,
            "borehole_depth_m": 100.0,
            "trench_length_m": 0.0,
            "heat_demand_gj": np.maximum(np.asarray(heat_demand_gj, float), 0.0),
        }
    )
    if not len(frame):
        return pd.DataFrame(columns=["air_source_annual_eur", "ground_source_annual_eur"])
    priced = price_mini_nets(frame, params=params)
    return priced[["air_source_annual_eur", "ground_source_annual_eur"]]


def heat_network_bill(
    heat_demand_gj: np.ndarray | float,
    network: Literal["MT", "ZLT"] = "MT",
    *,
    params: CostParams | None = None,
) -> np.ndarray:
    """Yearly bill of a heat-network connection: fixed + variable charge, incl. VAT.

    Examples
    --------
    >>> p = load_cost_params()
    >>> net, vat = p.networks["MT"], 1 + p.business_case.vat
    >>> by_hand = (net.fixed_charge_eur_per_year + 40 * net.variable_charge_eur_per_gj) * vat
    >>> bool(np.isclose(heat_network_bill(40.0, params=p), by_hand))
    True
    """
    p = params or load_cost_params()
    net = network_prices(p, network)
    vat = 1 + p.business_case.vat
    gj = np.asarray(heat_demand_gj, dtype=float)
    return np.asarray((net.fixed_charge_eur_per_year + net.variable_charge_eur_per_gj * gj) * vat)
