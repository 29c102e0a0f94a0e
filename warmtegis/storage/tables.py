"""The attribute tables every output GeoPackage holds besides its layers.

``summary``, ``parameters`` (every effective parameter and the warmtegis version),
``warnings``, ``layer_styles`` (QGIS styles) and, with a business case, ``cash_flows`` and
``cash_flow_lines``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from warmtegis.core.version import __version__
from warmtegis.params.parameters import parameter_table
from warmtegis.storage.styles import layer_styles

if TYPE_CHECKING:  # pragma: no cover
    from warmtegis.params.parameters import Parameters

__all__ = ["business_tables", "geopackage_tables"]


def geopackage_tables(
    summary: pd.DataFrame,
    parameters: Parameters,
    layers: Mapping[str, Any],
    warnings: Sequence[str] = (),
    business: Any = None,
) -> dict[str, pd.DataFrame]:
    """Return the attribute tables every output GeoPackage holds besides its layers.

    ``summary`` (key, value, unit); ``parameters`` (section, key, value, unit, source,
    origin: every effective parameter, and ``warmtegis.version``) so a GeoPackage tells how
    it was made; ``warnings`` (one row per warning of the run, column ``message``);
    ``layer_styles`` (a QGIS QML style per styled layer in `layers`). With a
    :class:`~warmtegis.economics.business.BusinessCase` (`business`) also ``cash_flows`` (one row
    per year: every category, the costs per asset class as ``cost_<class>_eur``, net and
    discounted) and ``cash_flow_lines`` (every line once with its category, asset class,
    source, nominal sum and NPV contribution).
    """
    table = parameter_table(parameters)
    version = pd.DataFrame(
        [("warmtegis", "version", __version__, "", "package metadata", "run")],
        columns=table.columns,
    )
    tables = {
        "summary": summary,
        "parameters": pd.concat([version, table], ignore_index=True),
        "warnings": pd.DataFrame({"message": pd.Series(list(warnings), dtype=str)}),
        "layer_styles": layer_styles(layers),
    }
    if business is not None:
        tables.update(business_tables(business))
    return tables


def business_tables(business: Any) -> dict[str, pd.DataFrame]:
    """Return the business case's ``cash_flows`` and ``cash_flow_lines`` tables (see above)."""
    flows = business.cash_flows.copy()
    by_class = business.by_asset_class
    for asset in by_class.columns:
        flows[f"cost_{asset}_eur"] = by_class[asset].to_numpy()
    flows.insert(0, "network", business.network)
    lines = business.lines.copy()
    lines.insert(0, "network", business.network)
    return {"cash_flows": flows, "cash_flow_lines": lines}
