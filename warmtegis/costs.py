"""Cost model: network capex, the heat company's business case, mini-net cost per dwelling.

Every figure comes from the parameter file ``warmtegis/data/costs.toml`` (value, unit and
source per figure; defaults from docs/method.md §2-3) and stays overridable: pass a
:class:`CostParams` from :func:`load_cost_params`, or override keys in a study's
``[parameters.costs]`` table.

Heat network (heat company's view, euro excl. VAT)
    :func:`network_capex` prices pipe lengths per class, connections per type, plant and
    substations. :func:`business_case` spreads that investment over the years, adds connections
    phased in, heat sold (with autonomous demand reduction), losses, heat purchase, fixed and
    variable revenues, the one-off subsidy and O&M, indexes and discounts every year, and
    returns the NPV and the *onrendabele top* (ORT, the unprofitable gap).

Mini heat networks (household's view, euro incl. VAT)
    :func:`mini_net_capex` prices a group's boreholes, rig, manifold, trench and heat pumps;
    :func:`annualised_cost` turns an investment with replacements into a yearly cost;
    :func:`price_mini_nets` adds both to a ``mini_nets`` table and compares them with an
    individual air-source and an individual ground-source heat pump.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._errors import ConfigError
from ._log import log

__all__ = [
    "CONNECTION_TYPES",
    "PIPE_CLASSES",
    "BusinessCase",
    "BusinessCaseParams",
    "CostParams",
    "MiniNetCostParams",
    "NetworkCostParams",
    "ReferenceCostParams",
    "annualised_cost",
    "business_case",
    "cost_parameter_table",
    "load_cost_params",
    "mini_net_capex",
    "network_capex",
    "price_mini_nets",
    "price_pipes",
]

#: Pipe classes priced per metre (the ``pipe_class`` values of the ``pipes`` layer).
PIPE_CLASSES = ("transport", "primary", "secondary", "service")
#: Connection types of the business case: ground-bound dwelling, apartment, non-residential.
CONNECTION_TYPES = ("grondgebonden", "gestapeld", "utiliteit")
_DWELLING_TYPES = ("grondgebonden", "gestapeld")
_DEFAULT_FILE = "costs.toml"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessCaseParams:
    """Term, phasing and financial figures of the heat company's business case.

    Years are calendar years; shares are fractions (0.04 = 4 %); amounts in euro excl. VAT.
    """

    start_year: int
    term_years: int
    construction_first_year: int
    construction_last_year: int
    connection_first_year: int
    connection_last_year: int
    participation: float
    discount_rate: float
    indexation: float
    demand_reduction_per_year: float
    subsidy_eur_per_connection: float
    vat: float
    demand_gj_per_connection: Mapping[str, float]


@dataclass(frozen=True)
class NetworkCostParams:
    """Investment, tariffs and heat purchase of one network variant (MT or ZLT), excl. VAT."""

    plant_eur: float
    substations_eur: float
    reference_connections: float
    heat_base_eur_per_gj: float
    heat_peak_eur_per_gj: float
    peak_share: float
    losses: float
    fixed_charge_eur_per_year: float
    variable_charge_eur_per_gj: float
    dwelling_saving: float
    om_pipes_share_per_year: float
    om_plant_share_per_year: float
    pipe_eur_per_m: Mapping[str, float]
    connection_eur: Mapping[str, float]
    household_installation_eur_incl_vat: Mapping[str, float]


@dataclass(frozen=True)
class MiniNetCostParams:
    """Component prices of a mini heat network, euro incl. VAT."""

    drilling_eur_per_m: float
    rig_mobilisation_eur: float
    loop_head_eur: float
    manifold_eur: float
    trench_eur_per_m: float
    heat_pump_eur: float
    in_home_eur: float
    heat_pump_lifetime_years: int
    borehole_lifetime_years: int


@dataclass(frozen=True)
class ReferenceCostParams:
    """Individual heat pumps the mini nets are compared with, euro incl. VAT."""

    air_source_eur: float
    ground_source_eur: float
    ground_source_heat_pump_part_eur: float
    replacement_years: int
    horizon_years: int
    discount_rate: float
    indexation: float
    electricity_eur_per_kwh: float
    spf_air_source: float
    spf_ground_source: float


@dataclass(frozen=True)
class CostParams:
    """All cost-model parameters; build with :func:`load_cost_params`.

    Attributes
    ----------
    business_case : BusinessCaseParams
    networks : Mapping
        ``"MT"`` and ``"ZLT"`` -> :class:`NetworkCostParams`.
    mini_net : MiniNetCostParams
    reference : ReferenceCostParams
    units, sources : Mapping
        Dotted key (``"networks.MT.pipe_eur_per_m.primary"``) -> unit / source note.
    """

    business_case: BusinessCaseParams
    networks: Mapping[str, NetworkCostParams]
    mini_net: MiniNetCostParams
    reference: ReferenceCostParams
    units: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check every figure and cross-figure rule, also for an object built in Python.

        The same rules run for the parameter file (:func:`load_cost_params`, which adds the
        file or table to each message) and for ``dataclasses.replace(params, ...)`` or a
        ``CostParams(...)`` built by hand (messages start with ``CostParams:``).
        """
        problems = _cost_problems(self, self.units or _shipped_units())
        if problems:
            raise ConfigError([f"CostParams: {p}" for p in problems])


def _is_leaf(node: Any) -> bool:
    return isinstance(node, Mapping) and "value" in node


def _flatten_defaults(node: Mapping, prefix: str, out: dict, where: str) -> None:
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if _is_leaf(value):
            unknown = set(value) - {"value", "unit", "source"}
            if unknown or "unit" not in value or "source" not in value:
                raise ConfigError(
                    f"{where}: {dotted} must be a table with value, unit and source"
                    + (f" (unknown: {sorted(unknown)})" if unknown else "")
                )
            out[dotted] = dict(value)
        elif isinstance(value, Mapping):
            _flatten_defaults(value, f"{dotted}.", out, where)
        else:
            raise ConfigError(f"{where}: {dotted} must be a table with value, unit and source")


def _flatten_overrides(node: Mapping, prefix: str, out: dict) -> None:
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if _is_leaf(value):
            out[dotted] = value["value"]
        elif isinstance(value, Mapping):
            _flatten_overrides(value, f"{dotted}.", out)
        else:
            out[dotted] = value


def _build(
    cls: type,
    prefix: str,
    values: dict[str, Any],
    problems: list[str],
    extra: Mapping[str, Any] | None = None,
) -> Any:
    """Build dataclass `cls` from flat dotted `values` (and `extra` keywords); report gaps."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = dict(extra or {})
    for f in dataclasses.fields(cls):
        if f.name in ("units", "sources"):
            continue
        hint = hints[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hint):
            kwargs[f.name] = _build(typing.cast(type, hint), f"{key}.", values, problems)
        elif typing.get_origin(hint) is Mapping:
            item_type = typing.get_args(hint)[1]
            names = sorted(
                {k[len(key) + 1 :].split(".")[0] for k in values if k.startswith(f"{key}.")}
            )
            if not names:
                problems.append(f"missing value: {key}")
            if dataclasses.is_dataclass(item_type):
                items = {
                    n: _build(typing.cast(type, item_type), f"{key}.{n}.", values, problems)
                    for n in names
                }
            else:
                items = {n: values[f"{key}.{n}"] for n in names}
            kwargs[f.name] = types.MappingProxyType(items)
        elif key in values:
            kwargs[f.name] = values[key]
        else:
            problems.append(f"missing value: {key}")
    return None if problems else cls(**kwargs)


def _check_number(key: str, value: Any, unit: str, where: str, problems: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        problems.append(f"{where}: {key} must be a number ({unit}), not {value!r}")
        return value
    if value < 0:
        problems.append(f"{where}: {key} must not be negative ({unit}), not {value!r}")
    if unit == "ratio" and value <= 0:
        problems.append(f"{where}: {key} is a ratio and must be above 0, not {value!r}")
    if unit == "share" and value > 1:
        problems.append(f"{where}: {key} is a share and must lie in 0..1, not {value!r}")
    if unit == "year":
        if float(value) != int(value):
            problems.append(f"{where}: {key} must be a whole number of years, not {value!r}")
        return int(value)
    return float(value)


def load_cost_params(
    overrides: Mapping[str, Any] | None = None,
    *,
    path: str | Path | None = None,
    location: str = "[parameters.costs]",
) -> CostParams:
    """Load the cost parameters: the documented defaults, then `overrides`.

    Parameters
    ----------
    overrides
        Nested mapping of plain numbers mirroring the parameter file, e.g.
        ``{"networks": {"MT": {"pipe_eur_per_m": {"secondary": 1350}}}}``; every key must
        exist in the defaults.
    path
        A complete parameter file replacing the shipped ``warmtegis/data/costs.toml``; every
        figure needs ``value``, ``unit`` and ``source``.
    location
        Where `overrides` come from, for messages.

    Returns
    -------
    CostParams

    Raises
    ------
    ConfigError
        Listing every unknown key, missing value, negative value, share outside 0..1 and
        non-integer year.
    """
    if path is None:
        where = f"warmtegis/data/{_DEFAULT_FILE}"
        text = resources.files("warmtegis").joinpath("data", _DEFAULT_FILE).read_text("utf-8")
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cost parameter file {path} cannot be read: {exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from exc
    leaves: dict[str, dict] = {}
    _flatten_defaults(raw, "", leaves, where)
    problems: list[str] = []
    values = {
        k: _check_number(k, leaf["value"], leaf["unit"], where, problems)
        for k, leaf in leaves.items()
    }
    if overrides:
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{location} must be a table")
        flat: dict[str, Any] = {}
        _flatten_overrides(overrides, "", flat)
        for key, value in flat.items():
            if key not in leaves:
                near = [k for k in leaves if k.rsplit(".", 1)[0] == key.rsplit(".", 1)[0]]
                hint = f"; known keys here: {', '.join(near)}" if near else ""
                problems.append(f"{location}: unknown cost parameter {key!r}{hint}")
                continue
            values[key] = _check_number(key, value, leaves[key]["unit"], location, problems)
    if problems:
        raise ConfigError(problems)
    units = types.MappingProxyType({k: v["unit"] for k, v in leaves.items()})
    sources = types.MappingProxyType({k: v["source"] for k, v in leaves.items()})
    try:
        params = _build(
            CostParams, "", values, problems, extra={"units": units, "sources": sources}
        )
    except ConfigError as exc:  # the cross-figure rules of CostParams, with their location
        raise ConfigError(
            [f"{location}: {p.removeprefix('CostParams: ')}" for p in exc.problems]
        ) from None
    if problems or params is None:
        raise ConfigError(problems or ["cost parameters could not be built"])
    return typing.cast(CostParams, params)


def _leaves(params: CostParams) -> list[tuple[str, Any]]:
    """Every figure of `params` as ``(dotted key, value)``."""
    out: list[tuple[str, Any]] = []

    def walk(obj: Any, prefix: str) -> None:
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                if f.name not in ("units", "sources"):
                    walk(getattr(obj, f.name), f"{prefix}{f.name}.")
        elif isinstance(obj, Mapping):
            for k, v in obj.items():
                walk(v, f"{prefix}{k}.")
        else:
            out.append((prefix[:-1], obj))

    walk(params, "")
    return out


@functools.cache
def _shipped_units() -> Mapping[str, str]:
    """Return the unit of every figure in the shipped parameter file (for Python-built ones)."""
    text = resources.files("warmtegis").joinpath("data", _DEFAULT_FILE).read_text("utf-8")
    leaves: dict[str, dict] = {}
    _flatten_defaults(tomllib.loads(text), "", leaves, _DEFAULT_FILE)
    return types.MappingProxyType({k: v["unit"] for k, v in leaves.items()})


def _cost_problems(params: CostParams, units: Mapping[str, str]) -> list[str]:
    """Every problem of `params`: each figure by its unit, then the cross-figure rules."""
    problems: list[str] = []
    for key, value in _leaves(params):
        unit = units.get(key)
        if unit is None:
            problems.append(f"{key} is not a known cost figure (no unit)")
            continue
        found: list[str] = []
        _check_number(key, value, unit, "", found)
        problems += [f.removeprefix(": ") for f in found]
    bc = params.business_case
    order = [
        ("construction_first_year", bc.construction_first_year, bc.construction_last_year),
        ("connection_first_year", bc.connection_first_year, bc.connection_last_year),
    ]
    for name, first, last in order:
        if first > last:
            problems.append(f"business_case.{name} {first} is after the last {last}")
    end = bc.start_year + bc.term_years - 1
    for name in ("construction_first_year", "connection_first_year", "connection_last_year"):
        year = getattr(bc, name)
        if not bc.start_year <= year <= end:
            problems.append(
                f"business_case.{name} {year} lies outside the term {bc.start_year}-{end}"
            )
    for name, net in params.networks.items():
        missing = [c for c in PIPE_CLASSES if c not in net.pipe_eur_per_m]
        missing += [c for c in CONNECTION_TYPES if c not in net.connection_eur]
        if missing:
            problems.append(f"networks.{name} lacks prices for {', '.join(missing)}")
        if net.losses >= 1:
            problems.append(f"networks.{name}.losses must be below 1")
    return problems


def cost_parameter_table(params: CostParams | None = None) -> pd.DataFrame:
    """Every cost parameter as a table: ``key``, ``value``, ``unit``, ``source``."""
    params = params or load_cost_params()
    units = params.units or _shipped_units()
    rows = [
        (key, value, units[key], params.sources.get(key, "set in Python"))
        for key, value in _leaves(params)
    ]
    return pd.DataFrame(rows, columns=["key", "value", "unit", "source"])


def _network(params: CostParams, network: str) -> NetworkCostParams:
    if network not in params.networks:
        raise ConfigError(
            f"unknown network {network!r}; choose one of {', '.join(sorted(params.networks))}"
        )
    return params.networks[network]


def _check_counts(values: Mapping[str, float], allowed: tuple[str, ...], what: str) -> dict:
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
    """
    params = params or load_cost_params()
    net = _network(params, network)
    lengths = _check_counts(pipe_lengths_m, PIPE_CLASSES, "pipe_lengths_m")
    counts = _check_counts(connections, CONNECTION_TYPES, "connections")
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


# --------------------------------------------------------------------------------------------
# Business case
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessCase:
    """Result of :func:`business_case`; amounts in euro excl. VAT.

    Attributes
    ----------
    network : str
        ``"MT"`` or ``"ZLT"``.
    capex : pandas.DataFrame
        The investment per item (:func:`network_capex`), in prices of the start year.
    cash_flows : pandas.DataFrame
        One row per year of the term: connections, heat sold and purchased, every revenue and
        cost (nominal, indexed), the net cash flow, the discount factor and the discounted flow.
    investment_eur : float
        Total investment in prices of the start year (not indexed).
    npv_eur : float
        Net present value at the required return (start year = year 0).
    ort_eur, ort_per_connection_eur : float
        Onrendabele top: ``max(0, -npv_eur)``, in total and per connection (NaN without
        connections: never "0 per connection").
    household_contribution_eur : float
        What the households pay themselves for the ZLT in-home installation, excl. VAT.
    ort_net_eur, ort_net_per_connection_eur : float
        ORT net of `household_contribution_eur` (not below 0).
    connections : float
        Number of connections.
    """

    network: Literal["MT", "ZLT"]
    capex: pd.DataFrame
    cash_flows: pd.DataFrame
    investment_eur: float
    npv_eur: float
    ort_eur: float
    ort_per_connection_eur: float
    household_contribution_eur: float
    ort_net_eur: float
    ort_net_per_connection_eur: float
    connections: float
    inputs: Mapping[str, Any] = dataclasses.field(repr=False)

    @cached_property
    def sensitivities(self) -> pd.DataFrame:
        """NPV and ORT with participation ±20 points and heat purchase price ±25 %.

        Participation scales the connection counts (``p' / p``) and with them plant,
        substations, connections and revenues; the pipe lengths stay. The heat price factor
        multiplies every heat purchase price.
        """
        params: CostParams = self.inputs["params"]
        p0 = params.business_case.participation
        cases = [
            ("base", p0, 1.0),
            ("participation -20 points", max(p0 - 0.2, 0.0), 1.0),
            ("participation +20 points", min(p0 + 0.2, 1.0), 1.0),
            ("heat price -25 %", p0, 0.75),
            ("heat price +25 %", p0, 1.25),
        ]
        rows = []
        for name, p, price in cases:
            scale = p / p0 if p0 else 0.0
            counts = {k: v * scale for k, v in self.inputs["connections"].items()}
            bc = business_case(
                self.inputs["pipe_lengths_m"],
                counts,
                self.network,
                demand_gj_per_connection=self.inputs["demand_gj_per_connection"],
                params=params,
                heat_price_factor=price * self.inputs["heat_price_factor"],
                extra_pipes_eur=self.inputs["extra_pipes_eur"],
            )
            rows.append(
                (
                    name,
                    p,
                    price,
                    bc.connections,
                    bc.investment_eur,
                    bc.npv_eur,
                    bc.ort_eur,
                    bc.ort_per_connection_eur,
                )
            )
        return pd.DataFrame(
            rows,
            columns=[
                "case",
                "participation",
                "heat_price_factor",
                "connections",
                "investment_eur",
                "npv_eur",
                "ort_eur",
                "ort_per_connection_eur",
            ],
        )

    def summary(self) -> list[tuple[str, float, str]]:
        """Key figures as ``(key, value, unit)`` rows for a study's summary table."""
        n = self.network
        rows = [
            (f"{n}_investment", self.investment_eur, "EUR excl. VAT"),
            (f"{n}_npv", self.npv_eur, "EUR excl. VAT"),
            (f"{n}_ort", self.ort_eur, "EUR excl. VAT"),
        ]
        if self.connections > 0:  # no "EUR 0 per connection" without connections
            rows += [
                (f"{n}_ort_per_connection", self.ort_per_connection_eur, "EUR excl. VAT"),
                (f"{n}_ort_net_per_connection", self.ort_net_per_connection_eur, "EUR excl. VAT"),
            ]
        return rows


def _spread(years: np.ndarray, first: int, last: int) -> np.ndarray:
    """Share of a total falling in each year when spread evenly over ``first..last``."""
    inside = (years >= first) & (years <= last)
    return inside / (last - first + 1)


def business_case(
    pipe_lengths_m: Mapping[str, float],
    connections: Mapping[str, float],
    network: Literal["MT", "ZLT"] = "MT",
    *,
    demand_gj_per_connection: float | Mapping[str, float] | None = None,
    params: CostParams | None = None,
    heat_price_factor: float = 1.0,
    extra_pipes_eur: float = 0.0,
) -> BusinessCase:
    """Compute the heat company's business case over the term (NPLW template method).

    Year ``t`` runs from 0 (``start_year``) to ``term_years - 1``. Per year, nominal:

    - investment: pipes, plant and substations spread evenly over the construction years,
      each connection's investment in its connection year; indexed by ``(1 + i)^t``;
    - connections made evenly over the connection years; a connection pays and takes heat
      from its connection year on;
    - heat sold = Σ connections × demand × (1 − ZLT dwelling saving) × (1 − r)^t, with
      autonomous reduction r; heat fed in = sold / (1 − losses), bought at
      ``(1 − peak_share) × base + peak_share × peak`` €/GJ;
    - revenues: fixed charge per connection, variable charge per GJ sold; the one-off subsidy
      per connection in its connection year (not indexed);
    - O&M as a share per year of the pipe / plant investment built so far;
    - net flow discounted by ``(1 + d)^t``; NPV = Σ; ORT = max(0, −NPV).

    Parameters
    ----------
    pipe_lengths_m
        Pipe class -> length (m), e.g. ``{"transport": 1000, "primary": 3000,
        "secondary": 14800}``.
    connections
        Connection type (``grondgebonden``, ``gestapeld``, ``utiliteit``) -> count.
    network
        ``"MT"`` (about 70 °C) or ``"ZLT"`` (below 40 °C).
    demand_gj_per_connection
        Annual heat demand (GJ) per connection before any ZLT saving: one number for all
        types or a mapping per type; default the parameter file's (42 / 22 / 70 GJ).
    params
        Cost parameters; default :func:`load_cost_params`.
    heat_price_factor
        Multiplies every heat purchase price (for sensitivities).
    extra_pipes_eur
        Pipe costs on top of the prices per metre (see :func:`network_capex`).

    Returns
    -------
    BusinessCase
    """
    params = params or load_cost_params()
    net = _network(params, network)
    bc = params.business_case
    capex = network_capex(
        pipe_lengths_m, connections, network, params=params, extra_pipes_eur=extra_pipes_eur
    )
    counts = _check_counts(connections, CONNECTION_TYPES, "connections")
    demand = dict(bc.demand_gj_per_connection)
    if isinstance(demand_gj_per_connection, Mapping):
        demand.update(
            _check_counts(demand_gj_per_connection, CONNECTION_TYPES, "demand_gj_per_connection")
        )
    elif demand_gj_per_connection is not None:
        one = _check_counts(
            {"grondgebonden": demand_gj_per_connection},
            CONNECTION_TYPES,
            "demand_gj_per_connection",
        )
        demand = dict.fromkeys(CONNECTION_TYPES, one["grondgebonden"])
    if not (np.isfinite(heat_price_factor) and heat_price_factor >= 0):
        raise ConfigError(f"heat_price_factor must be >= 0, not {heat_price_factor}")

    years = np.arange(bc.start_year, bc.start_year + bc.term_years)
    t = years - bc.start_year
    index = (1 + bc.indexation) ** t
    build = _spread(years, bc.construction_first_year, bc.construction_last_year)
    connect = _spread(years, bc.connection_first_year, bc.connection_last_year)
    built = np.cumsum(build)

    by_group = capex.groupby("group")["cost_eur"].sum()
    pipes_eur = by_group.get("pipes", 0.0)
    plant_eur = by_group.get("plant", 0.0)
    conn_eur = capex.loc[capex["group"] == "connections"].set_index("item")["cost_eur"]

    new = {k: counts.get(k, 0.0) * connect for k in CONNECTION_TYPES}
    cum = {k: np.cumsum(v) for k, v in new.items()}
    n_new = sum(new.values())
    n_cum = sum(cum.values())
    reduction = (1 - bc.demand_reduction_per_year) ** t
    sold = (
        sum(
            cum[k] * demand[k] * (1 - (net.dwelling_saving if k in _DWELLING_TYPES else 0.0))
            for k in CONNECTION_TYPES
        )
        * reduction
    )
    fed = sold / (1 - net.losses)
    price = (
        (1 - net.peak_share) * net.heat_base_eur_per_gj + net.peak_share * net.heat_peak_eur_per_gj
    ) * heat_price_factor

    flows = pd.DataFrame({"year": years, "t": t})
    flows["connections_new"] = n_new
    flows["connections"] = n_cum
    flows["heat_sold_gj"] = sold
    flows["heat_purchased_gj"] = fed
    flows["capex_network_eur"] = -(pipes_eur + plant_eur) * build * index
    flows["capex_connections_eur"] = -sum(conn_eur.get(k, 0.0) * connect for k in new) * index
    flows["subsidy_eur"] = n_new * bc.subsidy_eur_per_connection
    flows["fixed_charges_eur"] = n_cum * net.fixed_charge_eur_per_year * index
    flows["variable_charges_eur"] = sold * net.variable_charge_eur_per_gj * index
    flows["heat_purchase_eur"] = -fed * price * index
    flows["om_eur"] = (
        -(net.om_pipes_share_per_year * pipes_eur + net.om_plant_share_per_year * plant_eur)
        * built
        * index
    )
    money = [c for c in flows.columns if c.endswith("_eur")]
    flows["net_eur"] = flows[money].sum(axis=1)
    flows["discount_factor"] = 1 / (1 + bc.discount_rate) ** t
    flows["discounted_eur"] = flows["net_eur"] * flows["discount_factor"]

    n = sum(counts.values())
    npv = float(flows["discounted_eur"].sum())
    ort = max(0.0, -npv)
    household = sum(
        counts.get(k, 0.0) * net.household_installation_eur_incl_vat.get(k, 0.0)
        for k in CONNECTION_TYPES
    ) / (1 + bc.vat)
    ort_net = max(0.0, ort - household)
    result = BusinessCase(
        network=network,
        capex=capex,
        cash_flows=flows,
        investment_eur=float(capex["cost_eur"].sum()),
        npv_eur=npv,
        ort_eur=ort,
        ort_per_connection_eur=ort / n if n else float("nan"),
        household_contribution_eur=float(household),
        ort_net_eur=ort_net,
        ort_net_per_connection_eur=ort_net / n if n else float("nan"),
        connections=n,
        inputs=types.MappingProxyType(
            {
                "pipe_lengths_m": dict(pipe_lengths_m),
                "connections": counts,
                "demand_gj_per_connection": demand,
                "params": params,
                "heat_price_factor": heat_price_factor,
                "extra_pipes_eur": extra_pipes_eur,
            }
        ),
    )
    log(
        f"business case {network}: {n:,.0f} connections, investment "
        f"{result.investment_eur / 1e6:,.1f} M EUR, NPV {npv / 1e6:,.1f} M EUR, "
        f"ORT {result.ort_per_connection_eur:,.0f} EUR per connection"
    )
    return result


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
    net = _network(params, network)
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
    """
    params = params or load_cost_params()
    need = ["n_dwellings", "n_boreholes", "borehole_depth_m", "trench_length_m", "heat_demand_gj"]
    missing = [c for c in need if c not in mini_nets.columns]
    if missing:
        raise ConfigError(f"mini_nets table has no column {', '.join(missing)}")
    out = mini_nets.copy()
    parts = mini_net_capex(*(out[c].to_numpy() for c in need[:4]), params=params)
    mn, ref = params.mini_net, params.reference
    n = out["n_dwellings"].to_numpy(dtype=float)
    heat_kwh = out["heat_demand_gj"].to_numpy(dtype=float) / n / 0.0036
    finance: dict[str, Any] = {
        "horizon_years": ref.horizon_years,
        "discount_rate": ref.discount_rate,
        "indexation": ref.indexation,
    }
    ground_power = heat_kwh / ref.spf_ground_source * ref.electricity_eur_per_kwh
    air_power = heat_kwh / ref.spf_air_source * ref.electricity_eur_per_kwh
    source = parts["capex"] - parts["heat_pumps"] - parts["in_home"]
    out["capex_eur"] = parts["capex"]
    out["capex_per_dwelling_eur"] = parts["capex_per_dwelling"]
    out["annual_cost_per_dwelling_eur"] = annualised_cost(
        {
            "heat pump": (mn.heat_pump_eur + mn.in_home_eur, mn.heat_pump_lifetime_years),
            "shared source": (source / n, mn.borehole_lifetime_years),
        },
        yearly=ground_power,
        **finance,
    )
    out["air_source_annual_eur"] = annualised_cost(
        {"air": (ref.air_source_eur, ref.replacement_years)}, yearly=air_power, **finance
    )
    out["ground_source_annual_eur"] = annualised_cost(
        {
            "heat pump": (ref.ground_source_heat_pump_part_eur, ref.replacement_years),
            "borehole": (
                ref.ground_source_eur - ref.ground_source_heat_pump_part_eur,
                mn.borehole_lifetime_years,
            ),
        },
        yearly=ground_power,
        **finance,
    )
    options = ["annual_cost_per_dwelling_eur", "air_source_annual_eur", "ground_source_annual_eur"]
    labels = np.array(["mini_net", "air_source", "ground_source"])
    out["cheapest"] = labels[out[options].to_numpy().argmin(axis=1)] if len(out) else []
    return out

