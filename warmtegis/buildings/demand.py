"""Annual heat demand per building from construction year, dwelling type and floor area.

Demand (GJ/yr, space heating + hot water, at the building) = floor area (m²) × specific
demand of the construction period (GJ/m²) × factor of the dwelling type. The specific demands
are anchored on docs/method.md: a mid-terrace dwelling of the 1974-1994 stock with the typical
115 m² of floor area uses 0.365 × 115 = 42 GJ. The other periods and types follow the shape of
RVO's *Voorbeeldwoningen 2022* gas use by age and type (older stock uses about half as much
again, post-2015 dwellings less than half; corner and semi-detached houses have more outside
wall); they are assumptions, overridable in ``[parameters.demand]`` and per building with a
``heat_demand_gj`` column in the buildings layer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from warmtegis.params.dwellings import DemandParams, period_bounds

__all__ = ["heat_demand"]


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

    Examples
    --------
    The anchor of the table (docs/method.md §2): a 1974-1994 mid-terrace house of 115 m² uses
    42 GJ a year.

    >>> g = heat_demand(pd.Series([1980]), pd.Series([115.0]), pd.Series(["mid-terrace"]))
    >>> round(float(g.iloc[0]), 1)
    42.0
    """
    p = params or DemandParams()
    first, _, values = (np.asarray(x) for x in period_bounds(p.specific_gj_per_m2))
    y = pd.to_numeric(year_built, errors="coerce").fillna(p.default_year).to_numpy()
    specific = values[np.searchsorted(first, y, side="right") - 1]
    factor = dwelling_type.map(p.type_factor).astype(float).fillna(1.0).to_numpy()
    area = pd.to_numeric(floor_area_m2, errors="coerce").to_numpy(dtype=float)
    return pd.Series(area * specific * factor, index=year_built.index, name="heat_demand_gj")
