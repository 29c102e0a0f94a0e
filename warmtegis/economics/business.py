"""The heat company's business case by the Dutch method (NPLW template, Vesta MAIS cost method).

:func:`business_case` spreads the investment of a heat network over the years of the term by
its construction phasing, connects the buildings by the connection phasing, and adds, year by
year and asset class by asset class (:data:`~warmtegis.params.costs.ASSET_CLASSES`):

- investment, replacements at the end of each asset's lifetime (indexed) and the residual
  value of what outlives the term (credited pro rata in the last year);
- O&M and administration as Vesta's shares of the investment built so far;
- administration and customer costs per connection (a share of the fixed charge);
- heat supply: heat bought per GJ (default) or a central heat pump on a surface-water source
  with its electricity (``[heat_supply] central_heat_pump = 1``); network losses as GJ per
  connection (and optionally a share of the heat fed in); distribution pump electricity;
- revenues: fixed charge, variable charge per GJ, the one-off subsidy per dwelling (WIS + SDE).

Every amount is indexed and discounted; the NPV's shortfall is the *onrendabele top* (ORT),
reported per connection and per dwelling, gross (excl. VAT) and net (incl. VAT, minus the
household's own installation). :attr:`BusinessCase.items` lists every line with its source;
:attr:`BusinessCase.sensitivities`, :func:`tornado_plot` and :func:`waterfall` explain it.
The method and its figures are in docs/method.md §2b; the worked example in docs/costs.md.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from warmtegis.core.errors import ConfigError
from warmtegis.core.log import log
from warmtegis.economics.cash_flows import (
    PHASING_OF,
    CashFlowLines,
    Levers,
    asset_amounts,
    asset_lines,
    phase_shares,
)
from warmtegis.economics.pricing import check_counts, network_capex
from warmtegis.params.costs import (
    CONNECTION_TYPES,
    DWELLING_TYPES,
    CostParams,
    load_cost_params,
    network_prices,
)
from warmtegis.units import FULL_LOAD_HOURS, KWH_PER_GJ

__all__ = [
    "METRICS",
    "SENSITIVITIES",
    "WATERFALL_STEPS",
    "BusinessCase",
    "business_case",
    "lever_label",
]


#: The sensitivities of :attr:`BusinessCase.sensitivities`: lever -> (low, high) and its unit.
SENSITIVITIES: Mapping[str, tuple[float, float, str]] = types.MappingProxyType(
    {
        "participation": (-0.20, 0.20, "points"),
        "heat purchase price": (-0.25, 0.25, "share"),
        "heat demand": (-0.10, 0.10, "share"),
        "investment": (-0.20, 0.20, "share"),
        "O&M": (-0.25, 0.25, "share"),
        "discount rate": (-0.01, 0.01, "points"),
    }
)


@dataclass(frozen=True)
class _Case:
    """The validated inputs of one business case."""

    lengths: Mapping[str, float]
    counts: Mapping[str, float]
    demand: Mapping[str, float]
    network: Literal["MT", "ZLT"]
    params: CostParams
    extra_pipes_eur: float
    full_load_hours: float


@dataclass(frozen=True)
class BusinessCase:
    """Result of :func:`business_case`; amounts in euro excl. VAT unless a name says otherwise.

    Attributes
    ----------
    network : str
        ``"MT"`` or ``"ZLT"``.
    capex : pandas.DataFrame
        The investment per item (:func:`~warmtegis.economics.pricing.network_capex`, plus the
        central heat pump and its source when chosen), in prices of the start year.
    items : pandas.DataFrame
        One row per cash-flow line and year: ``item``, ``category`` (investment, replacement,
        residual value, O&M, administration, heat supply, electricity, revenue, subsidy),
        ``asset_class`` ('' where none), ``source`` (the figure's source), ``year``, ``t``,
        ``eur`` (nominal, indexed; costs negative), ``discounted_eur``.
    cash_flows : pandas.DataFrame
        One row per year: connections, heat sold and fed in, every category's total, the net
        flow, the discount factor and the discounted flow.
    investment_eur : float
        Total initial investment in prices of the start year (not indexed).
    npv_eur : float
        Net present value at the required return (start year = year 0).
    ort_eur : float
        Onrendabele top ``max(0, -npv_eur)``, excl. VAT.
    connections, dwellings : float
        Connections (all types) and dwellings (ground-bound + apartments) connected.
    ort_per_connection_eur, ort_per_dwelling_eur : float
        The ORT divided by connections / by dwellings (NaN when there are none: never
        "0 per connection").
    household_contribution_eur_incl_vat : float
        What the households pay themselves for an in-home installation the network needs
        (ZLT), incl. VAT.
    ort_net_eur : float
        ``max(0, ort_eur × (1 + VAT) − household contribution)``: the gap incl. VAT that is
        left after the households' own installation.
    ort_net_per_connection_eur, ort_net_per_dwelling_eur : float
        `ort_net_eur` per connection / per dwelling.

    Examples
    --------
    >>> bc = business_case({"primary": 3000, "secondary": 14800}, {"grondgebonden": 2128}, "MT")
    >>> bool(bc.ort_eur == max(0.0, -bc.npv_eur)), bc.network
    (True, 'MT')
    """

    network: Literal["MT", "ZLT"]
    capex: pd.DataFrame
    cash_flows: pd.DataFrame
    investment_eur: float
    npv_eur: float
    ort_eur: float
    connections: float
    dwellings: float
    ort_per_connection_eur: float
    ort_per_dwelling_eur: float
    household_contribution_eur_incl_vat: float
    ort_net_eur: float
    ort_net_per_connection_eur: float
    ort_net_per_dwelling_eur: float
    inputs: Mapping[str, Any] = dataclasses.field(repr=False)
    _lines: Any = dataclasses.field(default=None, repr=False, compare=False)

    @cached_property
    def items(self) -> pd.DataFrame:
        """Every cash-flow line per year (see the class's Attributes); built when asked for."""
        return self._lines.frame(self.cash_flows["discount_factor"].to_numpy())

    @property
    def by_asset_class(self) -> pd.DataFrame:
        """Yearly cost per asset class: investment + replacements − residual + O&M + admin.

        One row per year, one column per asset class that has any amount (EUR, nominal,
        costs negative), as the cash-flow table's costs by asset class.
        """
        own = self.items[self.items["asset_class"] != ""]
        table = own.pivot_table(
            index="year", columns="asset_class", values="eur", aggfunc="sum", fill_value=0.0
        )
        table = table.loc[:, (table != 0).any()]
        return table.reindex(self.cash_flows["year"], fill_value=0.0)

    @property
    def lines(self) -> pd.DataFrame:
        """Every cash-flow line once: item, category, asset class, source, nominal and NPV sum."""
        return (
            self.items.groupby(["item", "category", "asset_class", "source"], sort=False)
            .agg(nominal_eur=("eur", "sum"), npv_eur=("discounted_eur", "sum"))
            .reset_index()
        )

    @cached_property
    def sensitivities(self) -> pd.DataFrame:
        """NPV and ORT with each lever of :data:`SENSITIVITIES` moved down and up.

        - participation ±20 points scales the connection counts (``p' / p``) and with them
          plant, substations, connection assets and revenues; the pipe lengths stay;
        - heat purchase price ±25 % multiplies every price of heat bought and electricity;
        - heat demand ±10 % multiplies the demand per connection (not the fixed losses);
        - investment ±20 % multiplies every investment, replacement and residual value;
        - O&M ±25 % multiplies O&M and administration;
        - discount rate ±1 point.
        """
        case: _Case = self.inputs["case"]
        base: Levers = self.inputs["levers"]
        rows = [("base", "", 0.0, self)]
        for lever, (low, high, _unit) in SENSITIVITIES.items():
            for step in (low, high):
                levers = _moved(base, lever, step)
                rows.append((lever_label(lever, step), lever, step, _compute(case, levers)))
        return pd.DataFrame(
            [
                (
                    name,
                    lever,
                    step,
                    bc.connections,
                    bc.dwellings,
                    bc.investment_eur,
                    bc.npv_eur,
                    bc.ort_eur,
                    bc.ort_per_connection_eur,
                    bc.ort_per_dwelling_eur,
                )
                for name, lever, step, bc in rows
            ],
            columns=[
                "case",
                "lever",
                "step",
                "connections",
                "dwellings",
                "investment_eur",
                "npv_eur",
                "ort_eur",
                "ort_per_connection_eur",
                "ort_per_dwelling_eur",
            ],
        )

    def summary(self) -> list[tuple[str, float, str]]:
        """Key figures as ``(key, value, unit)`` rows for a study's summary table."""
        n = self.network
        rows = [
            (f"{n}_investment", self.investment_eur, "EUR excl. VAT"),
            (f"{n}_npv", self.npv_eur, "EUR excl. VAT"),
            (f"{n}_ort", self.ort_eur, "EUR excl. VAT"),
            (f"{n}_connections", self.connections, "count"),
            (f"{n}_dwellings_connected", self.dwellings, "count"),
        ]
        if self.connections > 0:  # no "EUR 0 per connection" without connections
            rows += [
                (f"{n}_ort_per_connection", self.ort_per_connection_eur, "EUR excl. VAT"),
                (f"{n}_ort_net_per_connection", self.ort_net_per_connection_eur, "EUR incl. VAT"),
            ]
        if self.dwellings > 0:
            rows += [
                (f"{n}_ort_per_dwelling", self.ort_per_dwelling_eur, "EUR excl. VAT"),
                (f"{n}_ort_net_per_dwelling", self.ort_net_per_dwelling_eur, "EUR incl. VAT"),
            ]
        return rows


def lever_label(lever: str, step: float) -> str:
    """Return a sensitivity's label on charts and tables, e.g. ``heat price +10 %``."""
    unit = SENSITIVITIES[lever][2]
    sign = "+" if step > 0 else "-"
    if unit == "points":
        amount = abs(step) * 100
        return f"{lever} {sign}{amount:g} point{'s' if amount != 1 else ''}"
    return f"{lever} {sign}{abs(step) * 100:g} %"


def _moved(base: Levers, lever: str, step: float) -> Levers:
    if lever == "participation":
        return dataclasses.replace(base, participation=base.participation + step)
    if lever == "heat purchase price":
        return dataclasses.replace(base, price=base.price * (1 + step))
    if lever == "heat demand":
        return dataclasses.replace(base, demand=base.demand * (1 + step))
    if lever == "investment":
        return dataclasses.replace(base, investment=base.investment * (1 + step))
    if lever == "O&M":
        return dataclasses.replace(base, om=base.om * (1 + step))
    return dataclasses.replace(base, discount=base.discount + step)


def business_case(
    pipe_lengths_m: Mapping[str, float],
    connections: Mapping[str, float],
    network: Literal["MT", "ZLT"] = "MT",
    *,
    demand_gj_per_connection: float | Mapping[str, float] | None = None,
    params: CostParams | None = None,
    heat_price_factor: float = 1.0,
    extra_pipes_eur: float = 0.0,
    full_load_hours: float = FULL_LOAD_HOURS,
) -> BusinessCase:
    """Compute the heat company's business case over the term (docs/method.md §2b).

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
        Cost parameters; default :func:`~warmtegis.params.costs.load_cost_params`.
    heat_price_factor
        Multiplies every price of heat and electricity bought (for sensitivities).
    extra_pipes_eur
        Pipe costs on top of the prices per metre (the routing's surcharges), one lump sum
        treated as a secondary pipe asset.
    full_load_hours
        Annual demand / peak load, for the central heat pump's capacity only
        (``[parameters.demand] full_load_hours``).

    Returns
    -------
    BusinessCase

    Raises
    ------
    ConfigError
        On an unknown network, connection type or pipe class, or a negative count.

    Examples
    --------
    The reference study's MT network (docs/method.md §2):

    >>> bc = business_case({"transport": 1000, "primary": 3000, "secondary": 14800},
    ...                    {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}, "MT")
    >>> bc.connections, bc.dwellings
    (3080.0, 3031.0)
    >>> round(bc.investment_eur / 1e6, 1)
    67.0
    """
    params = params or load_cost_params()
    network_prices(params, network)
    counts = check_counts(connections, CONNECTION_TYPES, "connections")
    lengths = dict(pipe_lengths_m)
    demand = dict(params.business_case.demand_gj_per_connection)
    if isinstance(demand_gj_per_connection, Mapping):
        demand.update(
            check_counts(demand_gj_per_connection, CONNECTION_TYPES, "demand_gj_per_connection")
        )
    elif demand_gj_per_connection is not None:
        one = check_counts(
            {"grondgebonden": demand_gj_per_connection},
            CONNECTION_TYPES,
            "demand_gj_per_connection",
        )
        demand = dict.fromkeys(CONNECTION_TYPES, one["grondgebonden"])
    if not (np.isfinite(heat_price_factor) and heat_price_factor >= 0):
        raise ConfigError(f"heat_price_factor must be >= 0, not {heat_price_factor}")
    if not (np.isfinite(full_load_hours) and full_load_hours > 0):
        raise ConfigError(f"full_load_hours must be above 0, not {full_load_hours}")
    case = _Case(
        lengths=types.MappingProxyType(lengths),
        counts=types.MappingProxyType(counts),
        demand=types.MappingProxyType(demand),
        network=network,
        params=params,
        extra_pipes_eur=float(extra_pipes_eur),
        full_load_hours=float(full_load_hours),
    )
    result = _compute(case, Levers(price=heat_price_factor))
    log(
        f"business case {network}: {result.connections:,.0f} connections, investment "
        f"{result.investment_eur / 1e6:,.1f} M EUR, NPV {result.npv_eur / 1e6:,.1f} M EUR, "
        f"ORT {result.ort_per_dwelling_eur:,.0f} EUR per dwelling"
    )
    return result


def _compute(case: _Case, lv: Levers) -> BusinessCase:
    """Evaluate one business case with the levers `lv` (see :func:`business_case`)."""
    # Long function: one pass of the NPLW template over the term; every cash-flow line reads the
    # same yearly arrays (index, discount, connections), read top to bottom against docs/method.md
    params = case.params
    bc = params.business_case
    net = network_prices(params, case.network)
    hs = params.heat_supply
    ops = params.operations
    src = params.sources

    p0 = bc.participation
    p = min(max(p0 + lv.participation, 0.0), 1.0)
    scale = p / p0 if p0 else 0.0
    counts = {k: v * scale for k, v in case.counts.items()}
    capex = network_capex(
        case.lengths, counts, case.network, params=params, extra_pipes_eur=case.extra_pipes_eur
    )

    years = np.arange(bc.start_year, bc.start_year + bc.term_years)
    T = len(years)
    t = np.arange(T)
    index = (1 + bc.indexation) ** t
    discount = 1 / (1 + bc.discount_rate + lv.discount) ** t
    lines = CashFlowLines(years)

    # --- connections and heat -------------------------------------------------------------
    connect = phase_shares(params, "connections", years)
    new = {k: counts.get(k, 0.0) * connect for k in CONNECTION_TYPES}
    cum = {k: np.cumsum(v) for k, v in new.items()}
    n_new = sum(new.values())
    n_cum = sum(cum.values())
    reduction = (1 - bc.demand_reduction_per_year) ** t
    saving = {k: net.dwelling_saving if k in DWELLING_TYPES else 0.0 for k in CONNECTION_TYPES}
    sold = (
        sum(cum[k] * case.demand[k] * (1 - saving[k]) for k in CONNECTION_TYPES)
        * lv.demand
        * reduction
    )
    fed = sold / (1 - net.losses) + n_cum * net.loss_gj_per_connection
    n_all = sum(counts.values())
    fed_full = (
        sum(counts.get(k, 0.0) * case.demand[k] * (1 - saving[k]) for k in CONNECTION_TYPES)
        * lv.demand
        / (1 - net.losses)
        + n_all * net.loss_gj_per_connection
    )  # a year with every connection made, before the autonomous reduction

    # --- assets ------------------------------------------------------------------------------
    amounts = asset_amounts(counts, net, capex)
    if hs.central_heat_pump:
        peak_kw = fed_full * KWH_PER_GJ / case.full_load_hours
        capacity = hs.capacity_share_of_peak * peak_kw
        amounts["heat_pump"] = capacity * hs.heat_pump_eur_per_kw
        amounts["source"] = (hs.source_fixed_eur + capacity * hs.source_eur_per_kw) * (capacity > 0)
        extra = pd.DataFrame(
            [
                ("plant", "central heat pump", capacity, "kW", hs.heat_pump_eur_per_kw),
                ("plant", "heat source (TEO)", 1.0, "lump sum", amounts["source"]),
            ],
            columns=["group", "item", "quantity", "unit", "unit_cost_eur"],
        )
        extra["cost_eur"] = extra["quantity"] * extra["unit_cost_eur"]
        capex = pd.concat([capex, extra], ignore_index=True)
    for asset, amount in amounts.items():
        asset_lines(lines, params, asset, amount, years, index, lv, src)
    if ops.insurance_share:
        # the assets in place (bought so far, at the year's prices), insured yearly
        in_place = sum(
            amount * np.cumsum(phase_shares(params, PHASING_OF[asset], years))
            for asset, amount in amounts.items()
        )
        lines.add(
            "insurance (share of the assets in place)",
            "O&M",
            "",
            src.get("operations.insurance_share", ""),
            -ops.insurance_share * in_place * index * lv.om,
        )

    # --- heat supply, electricity ---------------------------------------------------------
    kwh_price = ops.electricity_eur_per_kwh * lv.price
    net_key = f"networks.{case.network}"
    if hs.central_heat_pump:
        produced = fed * hs.heat_pump_energy_share
        bought = fed - produced
        lines.add(
            "heat bought for the peak",
            "heat supply",
            "",
            src.get(f"{net_key}.heat_peak_eur_per_gj", ""),
            -bought * net.heat_peak_eur_per_gj * lv.price * index,
        )
        hp_kwh = produced / hs.scop * KWH_PER_GJ
        lines.add(
            "central heat pump electricity",
            "electricity",
            "",
            f"{src.get('heat_supply.scop', '')}; "
            f"{src.get('operations.electricity_eur_per_kwh', '')}",
            -hp_kwh * kwh_price * index,
        )
        source_kwh = produced * (1 - 1 / hs.scop) * hs.source_electricity_ratio * KWH_PER_GJ
        lines.add(
            "heat source electricity",
            "electricity",
            "",
            src.get("heat_supply.source_electricity_ratio", ""),
            -source_kwh * kwh_price * index,
        )
    else:
        price = (
            (1 - net.peak_share) * net.heat_base_eur_per_gj
            + net.peak_share * net.heat_peak_eur_per_gj
        ) * lv.price
        lines.add(
            "heat bought (base + peak)",
            "heat supply",
            "",
            f"{src.get(f'{net_key}.heat_base_eur_per_gj', '')}; "
            f"{src.get(f'{net_key}.peak_share', '')}",
            -fed * price * index,
        )
    lines.add(
        "distribution pump electricity",
        "electricity",
        "",
        src.get("operations.pump_electricity_ratio", ""),
        -sold * ops.pump_electricity_ratio * KWH_PER_GJ * kwh_price * index,
    )
    lines.add(
        "administration and customers (share of the fixed charge)",
        "administration",
        "",
        src.get("operations.admin_share_of_fixed_charge", ""),
        -n_cum * net.fixed_charge_eur_per_year * ops.admin_share_of_fixed_charge * lv.om * index,
    )

    # --- revenues ---------------------------------------------------------------------------
    lines.add(
        "fixed charges",
        "revenue",
        "",
        src.get(f"{net_key}.fixed_charge_eur_per_year", ""),
        n_cum * net.fixed_charge_eur_per_year * index,
    )
    lines.add(
        "variable charges",
        "revenue",
        "",
        src.get(f"{net_key}.variable_charge_eur_per_gj", ""),
        sold * net.variable_charge_eur_per_gj * index,
    )
    subsidised = (*DWELLING_TYPES, "utiliteit") if bc.subsidy_non_residential else DWELLING_TYPES
    lines.add(
        "subsidy per dwelling (WIS + SDE)"
        + (" and non-residential connection" if bc.subsidy_non_residential else ""),
        "subsidy",
        "",
        src.get("business_case.subsidy_eur_per_dwelling", ""),
        sum(new[k] for k in subsidised) * bc.subsidy_eur_per_dwelling,
    )

    columns: dict[str, Any] = {
        "year": years,
        "t": t,
        "connections_new": n_new,
        "connections": n_cum,
        "heat_sold_gj": sold,
        "heat_fed_gj": fed,
    }
    totals = lines.totals()
    for category, column in _CATEGORIES.items():
        columns[column] = totals.get(category, np.zeros(T))
    columns["net_eur"] = sum(totals.values(), np.zeros(T))
    columns["discount_factor"] = discount
    columns["discounted_eur"] = columns["net_eur"] * discount
    flows = pd.DataFrame(columns)

    n = float(sum(counts.values()))
    dwellings = float(sum(counts.get(k, 0.0) for k in DWELLING_TYPES))
    npv = float(flows["discounted_eur"].sum())
    ort = max(0.0, -npv)
    household = float(
        sum(
            counts.get(k, 0.0) * net.household_installation_eur_incl_vat.get(k, 0.0)
            for k in CONNECTION_TYPES
        )
    )
    ort_net = max(0.0, ort * (1 + bc.vat) - household)
    initial = float(capex["cost_eur"].sum())
    return BusinessCase(
        network=case.network,
        capex=capex,
        cash_flows=flows,
        investment_eur=initial * lv.investment,
        npv_eur=npv,
        ort_eur=ort,
        connections=n,
        dwellings=dwellings,
        ort_per_connection_eur=ort / n if n else float("nan"),
        ort_per_dwelling_eur=ort / dwellings if dwellings else float("nan"),
        household_contribution_eur_incl_vat=household,
        ort_net_eur=ort_net,
        ort_net_per_connection_eur=ort_net / n if n else float("nan"),
        ort_net_per_dwelling_eur=ort_net / dwellings if dwellings else float("nan"),
        inputs=types.MappingProxyType(
            {
                "case": case,
                "levers": lv,
                "pipe_lengths_m": dict(case.lengths),
                "connections": dict(counts),
                "demand_gj_per_connection": dict(case.demand),
                "params": params,
                "heat_price_factor": lv.price,
                "extra_pipes_eur": case.extra_pipes_eur,
            }
        ),
        _lines=lines,
    )


#: Cash-flow categories of :attr:`BusinessCase.items` -> their column in ``cash_flows``.
_CATEGORIES = {
    "investment": "investment_eur",
    "replacement": "replacements_eur",
    "residual value": "residual_value_eur",
    "O&M": "om_eur",
    "administration": "administration_eur",
    "heat supply": "heat_supply_eur",
    "electricity": "electricity_eur",
    "revenue": "revenues_eur",
    "subsidy": "subsidy_eur",
}


METRICS = {
    "ort_per_dwelling_eur": "ORT per dwelling",
    "ort_per_connection_eur": "ORT per connection",
    "ort_eur": "ORT",
    "npv_eur": "NPV",
}


#: The waterfall's steps: label -> the keys of the "legacy" variant they replace by the defaults.
WATERFALL_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("O&M of substations and plant at Vesta's 3 %", ("assets.substations.", "assets.plant.",
                                                      "assets.transport.", "assets.primary.",
                                                      "assets.secondary.")),
    ("upkeep of connection assets (service pipe 1 %, in-house 2.5 %, delivery set 3 % + 3 %)",
     ("assets.service_pipes.", "assets.in_house.", "assets.afleverset.")),
    ("administration per connection (1 % of the fixed charge)",
     ("operations.admin_share_of_fixed_charge",)),
    ("replacements inside the term", ("business_case.replacements",)),
    ("subsidy per dwelling (the study's D.2), not per connection",
     ("business_case.subsidy_non_residential",)),
    ("distribution pump electricity", ("operations.pump_electricity_ratio",)),
    ("losses as GJ per connection instead of 15 % of the heat fed in", ("networks.",)),
)  # fmt: skip
