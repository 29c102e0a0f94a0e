"""Cost parameters: every price and figure of the cost model, with its unit and source.

Every figure comes from the parameter file ``warmtegis/data/costs.toml`` (value, unit and
source per figure; defaults from docs/method.md §2-3) and stays overridable: pass a
:class:`CostParams` from :func:`load_cost_params`, or override keys in a study's
``[parameters.costs]`` table.

The pricing that uses them is :mod:`warmtegis.economics.pricing` (heat network capex and pipe
prices excl. VAT, the household's mini-net cost incl. VAT) and
:mod:`warmtegis.economics.business` (the heat company's business case).
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from warmtegis.core.errors import ConfigError

__all__ = [
    "ASSET_CLASSES",
    "CONNECTION_TYPES",
    "DWELLING_TYPES",
    "PHASING_GROUPS",
    "PIPE_CLASSES",
    "AssetParams",
    "BusinessCaseParams",
    "CostParams",
    "HeatSupplyParams",
    "InsulationCostParams",
    "MiniNetCostParams",
    "NetworkCostParams",
    "OperationsParams",
    "PhasingParams",
    "ReferenceCostParams",
    "cost_parameter_table",
    "cost_variants",
    "flatten_overrides",
    "load_cost_params",
    "network_prices",
]

#: Pipe classes priced per metre (the ``pipe_class`` values of the ``pipes`` layer).
PIPE_CLASSES = ("transport", "primary", "secondary", "service")
#: Connection types of the business case: ground-bound dwelling, apartment, non-residential.
CONNECTION_TYPES = ("grondgebonden", "gestapeld", "utiliteit")
#: The connection types that are dwellings (the ORT per dwelling divides by these).
DWELLING_TYPES = ("grondgebonden", "gestapeld")
#: Asset classes of the business case, each with O&M, administration and a lifetime.
ASSET_CLASSES = (
    "transport",
    "primary",
    "secondary",
    "substations",
    "plant",
    "service_pipes",
    "in_house",
    "afleverset",
    "heat_pump",
    "source",
)
#: Construction phasing groups (``[phasing.<group>]``).
PHASING_GROUPS = ("pipes", "plant", "substations", "connections")
_DEFAULT_FILE = "costs.toml"
_VARIANTS_FILE = "cost_variants.toml"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessCaseParams:
    """Term and financial figures of the heat company's business case.

    Years are calendar years; shares are fractions (0.04 = 4 %); amounts in euro excl. VAT;
    ``replacements``, ``residual_value`` and ``subsidy_non_residential`` are switches (1 on,
    0 off).
    """

    start_year: int
    term_years: int
    participation: float
    discount_rate: float
    indexation: float
    demand_reduction_per_year: float
    subsidy_eur_per_dwelling: float
    subsidy_non_residential: int
    vat: float
    replacements: int
    residual_value: int
    demand_gj_per_connection: Mapping[str, float]


@dataclass(frozen=True)
class PhasingParams:
    """When a group of assets is built: from ``first_year``, ``shares[k]`` of it in year k."""

    first_year: int
    shares: tuple[float, ...]

    def years(self) -> np.ndarray:
        """Calendar years of the shares."""
        return self.first_year + np.arange(len(self.shares))


@dataclass(frozen=True)
class AssetParams:
    """Yearly O&M and administration (shares of the investment) and lifetime of an asset class."""

    om_share: float
    admin_share: float
    lifetime_years: int


@dataclass(frozen=True)
class OperationsParams:
    """Operating costs that are not a share of an investment."""

    admin_share_of_fixed_charge: float
    pump_electricity_ratio: float
    insurance_share: float
    electricity_eur_per_kwh: float


@dataclass(frozen=True)
class HeatSupplyParams:
    """Where the heat comes from: bought per GJ (default) or a central heat pump (switch)."""

    central_heat_pump: int
    scop: float
    heat_pump_energy_share: float
    capacity_share_of_peak: float
    heat_pump_eur_per_kw: float
    source_fixed_eur: float
    source_eur_per_kw: float
    source_electricity_ratio: float


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
    loss_gj_per_connection: float
    fixed_charge_eur_per_year: float
    variable_charge_eur_per_gj: float
    dwelling_saving: float
    pipe_eur_per_m: Mapping[str, float]
    connection_eur: Mapping[str, float]
    afleverset_eur: Mapping[str, float]
    in_house_eur: Mapping[str, float]
    household_installation_eur_incl_vat: Mapping[str, float]


@dataclass(frozen=True)
class MiniNetCostParams:
    """Component prices of a mini heat network, euro incl. VAT."""

    drilling_eur_per_m: float
    rig_mobilisation_eur: float
    loop_head_eur: float
    manifold_eur: float
    trench_eur_per_m: float
    trench_paving_eur_per_m: float
    trench_road_eur_per_m: float
    heat_pump_eur: float
    in_home_eur: float
    heat_pump_lifetime_years: int
    borehole_lifetime_years: int


@dataclass(frozen=True)
class InsulationCostParams:
    """Insulation per dwelling for the mini-net design's scenarios, euro incl. VAT."""

    standard_eur: float
    target_eur: float


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
    phasing : Mapping
        ``"pipes"``, ``"plant"``, ``"substations"``, ``"connections"`` -> :class:`PhasingParams`.
    assets : Mapping
        Asset class (:data:`ASSET_CLASSES`) -> :class:`AssetParams`.
    operations : OperationsParams
    heat_supply : HeatSupplyParams
    networks : Mapping
        ``"MT"`` and ``"ZLT"`` -> :class:`NetworkCostParams`.
    mini_net : MiniNetCostParams
    insulation : InsulationCostParams
    reference : ReferenceCostParams
    units, sources : Mapping
        Dotted key (``"networks.MT.pipe_eur_per_m.primary"``) -> unit / source note.
    variant : str
        The named variant of ``cost_variants.toml`` applied, or ``""``.

    Examples
    --------
    >>> from warmtegis.params import load_cost_params
    >>> p = load_cost_params()
    >>> sorted(p.networks)
    ['MT', 'ZLT']
    >>> p.units["reference.air_source_eur"], bool(p.sources["reference.air_source_eur"])
    ('EUR', True)
    """

    business_case: BusinessCaseParams
    phasing: Mapping[str, PhasingParams]
    assets: Mapping[str, AssetParams]
    operations: OperationsParams
    heat_supply: HeatSupplyParams
    networks: Mapping[str, NetworkCostParams]
    mini_net: MiniNetCostParams
    insulation: InsulationCostParams
    reference: ReferenceCostParams
    units: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    variant: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        """Check every figure and cross-figure rule, also for an object built in Python.

        The same rules run for the parameter file (:func:`load_cost_params`, which adds the
        file or table to each message) and for ``dataclasses.replace(params, ...)`` or a
        ``CostParams(...)`` built by hand (messages start with ``CostParams:``).
        """
        problems = _cost_problems(self, self.units or _shipped_units())
        if problems:
            raise ConfigError([f"CostParams: {p}" for p in problems])


_META = ("units", "sources", "variant")


def _is_leaf(node: Any) -> bool:
    return isinstance(node, Mapping) and "value" in node


def _flatten_defaults(
    node: Mapping[str, Any], prefix: str, out: dict[str, Any], where: str
) -> None:
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


def flatten_overrides(node: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    """Flatten nested override tables into dotted keys in `out` (``a.b.c`` -> value)."""
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if _is_leaf(value):
            out[dotted] = value["value"]
        elif isinstance(value, Mapping):
            flatten_overrides(value, f"{dotted}.", out)
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
        if f.name in _META:
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
    if unit == "share per year":
        if not isinstance(value, list | tuple) or not value:
            problems.append(f"{where}: {key} must be a list of shares per year, not {value!r}")
            return value
        found: list[str] = []
        shares = tuple(_check_number(f"{key}[{i}]", v, "share", where, found)
                       for i, v in enumerate(value))  # fmt: skip
        problems += found
        if not found and abs(sum(shares) - 1) > 1e-9:
            problems.append(f"{where}: {key} must add up to 1, not {sum(shares):g}")
        return shares
    if unit == "switch":
        if isinstance(value, bool) or value not in (0, 1):
            problems.append(
                f"{where}: {key} is a switch and must be 0 (off) or 1 (on), not {value!r}"
            )
        return int(value) if value in (0, 1) else value
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
    variant: str | None = None,
) -> CostParams:
    """Load the cost parameters: the documented defaults, a named variant, then `overrides`.

    Parameters
    ----------
    overrides
        Nested mapping of plain numbers mirroring the parameter file, e.g.
        ``{"networks": {"MT": {"pipe_eur_per_m": {"secondary": 1350}}}}``; every key must
        exist in the defaults. A key ``variant`` names a variant (as `variant`).
    variant
        A named variant of ``warmtegis/data/cost_variants.toml`` (:func:`cost_variants`),
        applied before `overrides`; its figures' sources name the variant.
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

    Examples
    --------
    >>> p = load_cost_params({"reference": {"air_source_eur": 12000.0}})
    >>> p.reference.air_source_eur
    12000.0
    >>> load_cost_params({"reference": {"air_source_eur": -1}})
    Traceback (most recent call last):
    ...
    warmtegis.core.errors.ConfigError: ...
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
    leaves: dict[str, dict[str, Any]] = {}
    _flatten_defaults(raw, "", leaves, where)
    problems: list[str] = []
    values = {
        k: _check_number(k, leaf["value"], leaf["unit"], where, problems)
        for k, leaf in leaves.items()
    }
    sources = {k: v["source"] for k, v in leaves.items()}
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ConfigError(f"{location} must be a table")
    overrides = dict(overrides or {})
    named = overrides.pop("variant", variant)
    steps: list[tuple[str, Mapping[str, Any]]] = []
    if named is not None:
        known = cost_variants()
        if named not in known:
            problems.append(
                f"{location}: unknown cost variant {named!r}; known: {', '.join(known)}"
            )
        else:
            steps.append((f"variant {named!r}", known[named]["overrides"]))
    steps.append((location, overrides))
    for origin, given in steps:
        flat: dict[str, Any] = {}
        flatten_overrides(given, "", flat)
        for key, value in flat.items():
            if key not in leaves:
                near = [k for k in leaves if k.rsplit(".", 1)[0] == key.rsplit(".", 1)[0]]
                hint = f"; known keys here: {', '.join(near)}" if near else ""
                problems.append(f"{origin}: unknown cost parameter {key!r}{hint}")
                continue
            values[key] = _check_number(key, value, leaves[key]["unit"], origin, problems)
            if origin != location:
                sources[key] = f"{origin}: {cost_variants()[named]['description']}"
    if problems:
        raise ConfigError(problems)
    units = types.MappingProxyType({k: v["unit"] for k, v in leaves.items()})
    try:
        params = _build(
            CostParams,
            "",
            values,
            problems,
            extra={
                "units": units,
                "sources": types.MappingProxyType(sources),
                "variant": named or "",
            },
        )
    except ConfigError as exc:  # the cross-figure rules of CostParams, with their location
        raise ConfigError(
            [f"{location}: {p.removeprefix('CostParams: ')}" for p in exc.problems]
        ) from None
    if problems or params is None:
        raise ConfigError(problems or ["cost parameters could not be built"])
    return typing.cast(CostParams, params)


@functools.cache
def cost_variants() -> Mapping[str, Mapping[str, Any]]:
    """Return the named variants of ``warmtegis/data/cost_variants.toml``.

    Returns
    -------
    Mapping
        Variant name -> ``{"description": str, "overrides": nested mapping}``.

    Examples
    --------
    >>> sorted(cost_variants())  # doctest: +NORMALIZE_WHITESPACE
    ['central_heat_pump', 'legacy', 'residual_value', 'study_losses', 'study_zlt_volume',
     'vesta4_etm']
    """
    text = resources.files("warmtegis").joinpath("data", _VARIANTS_FILE).read_text("utf-8")
    out = {}
    for name, table in tomllib.loads(text).items():
        table = dict(table)
        description = str(table.pop("description"))
        out[name] = types.MappingProxyType({"description": description, "overrides": table})
    return types.MappingProxyType(out)


def _leaves(params: CostParams) -> list[tuple[str, Any]]:
    """Every figure of `params` as ``(dotted key, value)``."""
    out: list[tuple[str, Any]] = []

    def walk(obj: Any, prefix: str) -> None:
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                if f.name not in _META:
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
    leaves: dict[str, dict[str, Any]] = {}
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
    end = bc.start_year + bc.term_years - 1
    missing_groups = [g for g in PHASING_GROUPS if g not in params.phasing]
    if missing_groups:
        problems.append(f"phasing lacks the groups {', '.join(missing_groups)}")
    for group, phase in params.phasing.items():
        years = phase.years()
        if len(years) and not (bc.start_year <= years[0] and years[-1] <= end):
            problems.append(
                f"phasing.{group} runs {years[0]}-{years[-1]}, outside the term "
                f"{bc.start_year}-{end}"
            )
    missing_assets = [a for a in ASSET_CLASSES if a not in params.assets]
    if missing_assets:
        problems.append(f"assets lacks the classes {', '.join(missing_assets)}")
    for name, asset in params.assets.items():
        if asset.lifetime_years < 1:
            problems.append(f"assets.{name}.lifetime_years must be at least 1 year")
    for name, net in params.networks.items():
        missing = [c for c in PIPE_CLASSES if c not in net.pipe_eur_per_m]
        missing += [c for c in CONNECTION_TYPES if c not in net.connection_eur]
        missing += [f"afleverset {c}" for c in CONNECTION_TYPES if c not in net.afleverset_eur]
        missing += [f"in-house {c}" for c in CONNECTION_TYPES if c not in net.in_house_eur]
        if missing:
            problems.append(f"networks.{name} lacks prices for {', '.join(missing)}")
        for c in CONNECTION_TYPES:
            part = net.afleverset_eur.get(c, 0.0) + net.in_house_eur.get(c, 0.0)
            whole = net.connection_eur.get(c, 0.0)
            if part > whole:
                problems.append(
                    f"networks.{name}: afleverset_eur.{c} + in_house_eur.{c} ({part:g} EUR) is "
                    f"more than the whole investment per connection connection_eur.{c} "
                    f"({whole:g} EUR)"
                )
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


def network_prices(params: CostParams, network: str) -> NetworkCostParams:
    """Return the prices of `network` (``"MT"``, ``"ZLT"``), or a ConfigError naming the choices."""
    if network not in params.networks:
        raise ConfigError(
            f"unknown network {network!r}; choose one of {', '.join(sorted(params.networks))}"
        )
    return params.networks[network]
