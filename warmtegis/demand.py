"""Annual heat demand per building from construction year, dwelling type and floor area.

Demand (GJ/yr, space heating + hot water, at the building) = floor area (m²) × specific
demand of the construction period (GJ/m²) × factor of the dwelling type. The specific demands
are anchored on DOMAIN.md: a mid-terrace dwelling of the 1974-1994 stock with the typical
115 m² of floor area uses 0.365 × 115 = 42 GJ. The other periods and types follow the shape of
RVO's *Voorbeeldwoningen 2022* gas use by age and type (older stock uses about half as much
again, post-2015 dwellings less than half; corner and semi-detached houses have more outside
wall); they are assumptions, overridable in ``[parameters.demand]`` and per building with a
``heat_demand_gj`` column in the buildings layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._errors import ConfigError
from .params import register

__all__ = ["DemandParams", "heat_demand"]


@register("demand")
@dataclass(frozen=True)
class DemandParams:
    """Reference table of heat demand (``[parameters.demand]``).

    Attributes
    ----------
    specific_gj_per_m2 : Mapping
        Construction period (``"first-last"``, open ends allowed) -> GJ per m² floor area.
    type_factor : Mapping
        Dwelling type -> factor on the specific demand.
    default_year : int
        Construction year assumed when it is unknown (BGT, OSM). Default 1980.
    storeys : float
        Floor area = footprint × storeys where the register gives none. Default 2.0.
    apartment_gj : float
        Demand per apartment in a multi-dwelling building (DOMAIN §2: 22 GJ).
    """

    specific_gj_per_m2: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "-1945": 0.56,
                "1946-1964": 0.53,
                "1965-1973": 0.47,
                "1974-1994": 0.365,
                "1995-2005": 0.29,
                "2006-2014": 0.24,
                "2015-": 0.15,
            }
        )
    )
    type_factor: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "mid-terrace": 1.0,
                "end-of-terrace": 1.12,
                "semi-detached": 1.2,
                "detached": 1.45,
            }
        )
    )
    default_year: int = field(default=1980, metadata={"min": 1000})
    storeys: float = field(default=2.0, metadata={"min": 0.5})
    apartment_gj: float = 22.0

    def __post_init__(self) -> None:
        problems = []
        try:
            _period_bounds(self.specific_gj_per_m2)
        except ValueError as exc:
            problems.append(f"[parameters.demand] specific_gj_per_m2: {exc}")
        missing = {"mid-terrace", "end-of-terrace", "semi-detached", "detached"} - set(
            self.type_factor
        )
        if missing:
            problems.append(f"[parameters.demand] type_factor lacks {', '.join(sorted(missing))}")
        if problems:
            raise ConfigError(problems)


def _period_bounds(table: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    firsts, lasts, values = [], [], []
    for key, value in table.items():
        first, sep, last = str(key).partition("-")
        if not sep:
            raise ValueError(f"period {key!r} must look like '1974-1994', '-1945' or '2015-'")
        try:
            firsts.append(int(first) if first else -10_000)
            lasts.append(int(last) if last else 10_000)
        except ValueError:
            raise ValueError(f"period {key!r} must hold years") from None
        values.append(float(value))
    order = np.argsort(firsts)
    f, la, v = (np.asarray(x)[order] for x in (firsts, lasts, values))
    if np.any(f[1:] != la[:-1] + 1):
        raise ValueError("periods must follow each other without gaps or overlaps")
    return f, la, v


def heat_demand(
    year_built: pd.Series,
    floor_area_m2: pd.Series,
    dwelling_type: pd.Series,
    *,
    params: DemandParams | None = None,
) -> pd.Series:
    """Annual heat demand (GJ) of ground-bound dwellings.

    Parameters
    ----------
    year_built
        Construction year (missing: ``default_year``).
    floor_area_m2
        Usable floor area per dwelling (m²).
    dwelling_type
        ``detached``, ``semi-detached``, ``end-of-terrace`` or ``mid-terrace``.
    params
        :class:`DemandParams`.

    Returns
    -------
    pandas.Series
        GJ per year, aligned with the inputs.
    """
    p = params or DemandParams()
    first, _, values = _period_bounds(p.specific_gj_per_m2)
    y = pd.to_numeric(year_built, errors="coerce").fillna(p.default_year).to_numpy()
    specific = values[np.searchsorted(first, y, side="right") - 1]
    factor = dwelling_type.map(p.type_factor).astype(float).fillna(1.0).to_numpy()
    area = pd.to_numeric(floor_area_m2, errors="coerce").to_numpy(dtype=float)
    return pd.Series(area * specific * factor, index=year_built.index, name="heat_demand_gj")
