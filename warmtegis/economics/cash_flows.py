"""The cash-flow lines of a business case: investments per asset class, phased over the term.

:class:`CashFlowLines` collects every line (item, category, asset class, source and nominal
euro per year); :func:`asset_amounts` splits the network's capex into the asset classes whose
lifetimes and replacements differ, and :func:`asset_lines` books them with their
replacements and residual value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from warmtegis.params.costs import (
    CONNECTION_TYPES,
    CostParams,
    NetworkCostParams,
)

__all__ = [
    "PHASING_OF",
    "CashFlowLines",
    "Levers",
    "asset_amounts",
    "asset_lines",
    "investment_source",
    "phase_shares",
]


# asset class -> the phasing group it is built by
PHASING_OF = {
    "transport": "pipes",
    "primary": "pipes",
    "secondary": "pipes",
    "substations": "substations",
    "plant": "plant",
    "heat_pump": "plant",
    "source": "plant",
    "service_pipes": "connections",
    "in_house": "connections",
    "afleverset": "connections",
}


@dataclass(frozen=True)
class Levers:
    """Multipliers and shifts of the sensitivities (1 / 0: the base case)."""

    participation: float = 0.0  # points added to the participation
    price: float = 1.0
    demand: float = 1.0
    investment: float = 1.0
    om: float = 1.0
    discount: float = 0.0  # points added to the discount rate


def phase_shares(params: CostParams, group: str, years: np.ndarray) -> np.ndarray:
    """Share of a group's investment bought in each year of the term."""
    phase = params.phasing[group]
    out = np.zeros(len(years))
    pos = phase.years() - years[0]
    out[pos] = phase.shares
    return out


class CashFlowLines:
    """Collects the cash-flow lines of one business case (nominal EUR per year)."""

    def __init__(self, years: np.ndarray) -> None:
        self.years = years
        self.rows: list[tuple[str, str, str, str, np.ndarray]] = []

    def add(self, item: str, category: str, asset: str, source: str, eur: Any) -> None:
        """Add a line: euro per year of the term (a scalar is every year the same)."""
        self.rows.append((item, category, asset, source, np.asarray(eur, dtype=float)))

    def totals(self) -> dict[str, np.ndarray]:
        """Category -> its yearly sum."""
        out: dict[str, np.ndarray] = {}
        for _, category, _, _, eur in self.rows:
            out[category] = out[category] + eur if category in out else eur.copy()
        return out

    def frame(self, discount: np.ndarray) -> pd.DataFrame:
        """Return one row per line and year, nominal and discounted by `discount`."""
        n = len(self.years)
        k = len(self.rows)
        eur = np.concatenate([r[4] for r in self.rows]) if k else np.zeros(0)
        frame = pd.DataFrame(
            {
                "item": np.repeat([r[0] for r in self.rows], n),
                "category": np.repeat([r[1] for r in self.rows], n),
                "asset_class": np.repeat([r[2] for r in self.rows], n),
                "source": np.repeat([r[3] for r in self.rows], n),
                "year": np.tile(self.years, k),
                "t": np.tile(np.arange(n), k),
                "eur": eur,
            }
        )
        frame["discounted_eur"] = frame["eur"] * np.tile(discount, k)
        return frame


def asset_amounts(
    counts: Mapping[str, float], net: NetworkCostParams, capex: pd.DataFrame
) -> dict[str, float]:
    """Investment per asset class in start-year prices (before the central heat pump)."""
    by_item: dict[str, float] = {}
    for item, cost in zip(capex["item"], capex["cost_eur"], strict=True):
        by_item[item] = by_item.get(item, 0.0) + float(cost)
    aflever = sum(counts.get(k, 0.0) * net.afleverset_eur[k] for k in CONNECTION_TYPES)
    in_house = sum(counts.get(k, 0.0) * net.in_house_eur[k] for k in CONNECTION_TYPES)
    connections = sum(by_item.get(k, 0.0) for k in CONNECTION_TYPES)
    return {
        "transport": float(by_item.get("transport", 0.0)),
        "primary": float(by_item.get("primary", 0.0)),
        "secondary": float(by_item.get("secondary", 0.0) + by_item.get("surcharges", 0.0)),
        "substations": float(by_item.get("substations", 0.0)),
        "plant": float(by_item.get("heat plant", 0.0)),
        "service_pipes": float(connections - aflever - in_house + by_item.get("service", 0.0)),
        "in_house": float(in_house),
        "afleverset": float(aflever),
    }


def asset_lines(
    lines: CashFlowLines,
    params: CostParams,
    asset: str,
    amount: float,
    years: np.ndarray,
    index: np.ndarray,
    lv: Levers,
    src: Mapping[str, str],
) -> None:
    """Investment, replacements, residual value, O&M and administration of one asset class.

    A tranche bought in year y (start-year prices ``b``) is bought again in y + L, y + 2L, ...
    inside the term (at that year's index) when replacements are on. The last purchase p
    is worth ``cost at p × (p + L − T) / L`` at the end of the term (straight-line book
    value), credited in the last year when residual values are on. O&M and administration
    are shares of the investment built so far, indexed.
    """
    if amount <= 0:
        return
    a = params.assets[asset]
    bcp = params.business_case
    T = len(years)
    buy = amount * phase_shares(params, PHASING_OF[asset], years)
    life = a.lifetime_years
    replace = np.zeros(T)
    residual = 0.0
    for y in np.flatnonzero(buy).tolist():
        last = y
        if bcp.replacements:
            for r in range(y + life, T, life):
                replace[r] += buy[y]
                last = r
        remaining = (last + life - T) / life
        if bcp.residual_value and remaining > 0:
            residual += buy[y] * index[last] * remaining
    name = asset.replace("_", " ")
    key = f"assets.{asset}"
    inv = lv.investment
    lines.add(f"{name}: investment", "investment", asset, investment_source(asset, params),
              -buy * index * inv)  # fmt: skip
    if replace.any():
        lines.add(f"{name}: replacement", "replacement", asset,
                  src.get(f"{key}.lifetime_years", ""), -replace * index * inv)  # fmt: skip
    if residual:
        credit = np.zeros(T)
        credit[-1] = residual * inv
        lines.add(f"{name}: residual value", "residual value", asset,
                  src.get(f"{key}.lifetime_years", ""), credit)  # fmt: skip
    built = np.cumsum(buy)
    if a.om_share:
        lines.add(f"{name}: O&M", "O&M", asset, src.get(f"{key}.om_share", ""),
                  -a.om_share * built * index * lv.om)  # fmt: skip
    if a.admin_share:
        admin = -a.admin_share * built * index * lv.om
        lines.add(f"{name}: administration", "administration", asset,
                  src.get(f"{key}.admin_share", ""), admin)  # fmt: skip


def investment_source(asset: str, params: CostParams) -> str:
    """Return the source of an asset class's phasing, as the cash-flow lines cite it."""
    phase = PHASING_OF[asset]
    return f"phasing.{phase}: {params.sources.get(f'phasing.{phase}.shares', '')}"
