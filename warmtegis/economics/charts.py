"""Charts of the business case: the tornado of its levers and the waterfall of its NPV.

Both need matplotlib (``pip install 'warmtegis[plot]'``), imported when a chart is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from warmtegis.economics.business import (
    METRICS,
    SENSITIVITIES,
    WATERFALL_STEPS,
    business_case,
    lever_label,
)
from warmtegis.params.costs import (
    cost_variants,
    flatten_overrides,
    load_cost_params,
)

__all__ = ["tornado_plot", "waterfall"]


# --------------------------------------------------------------------------------------------
# Explaining the result: tornado plot and waterfall from the earlier model
# --------------------------------------------------------------------------------------------
def tornado_plot(
    sensitivities: pd.DataFrame,
    metric: str = "ort_per_dwelling_eur",
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw a tornado plot of :attr:`BusinessCase.sensitivities` (matplotlib).

    One horizontal bar per lever from its low to its high case, relative to the base, the
    widest on top.

    Parameters
    ----------
    sensitivities
        The table of :attr:`BusinessCase.sensitivities`.
    metric
        The column to show (default the ORT per dwelling).
    ax
        A matplotlib Axes to draw into; default a new figure.
    title
        The plot title.

    Returns
    -------
    matplotlib.axes.Axes
        With one bar pair per lever, widest first.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> bc = business_case({"primary": 3000, "secondary": 14800}, {"grondgebonden": 2128}, "MT")
    >>> ax = tornado_plot(bc.sensitivities)
    >>> len(ax.patches) > 0
    True
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # matplotlib is an optional dependency ([plot] extra)
        raise ImportError("tornado_plot needs matplotlib: pip install 'warmtegis[plot]'") from exc
    s = sensitivities.set_index("case")
    base = float(s.loc["base", metric])
    rows = []
    for lever, (low, high, _unit) in SENSITIVITIES.items():
        lo = float(s.loc[lever_label(lever, low), metric]) - base
        hi = float(s.loc[lever_label(lever, high), metric]) - base
        rows.append((lever, lo, hi, lever_label(lever, low), lever_label(lever, high)))
    rows.sort(key=lambda r: abs(r[2] - r[1]))  # widest last = on top
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.55 * len(rows) + 1.4))
    y = np.arange(len(rows))
    ax.barh(y, [r[1] for r in rows], color="#3b7dd8", label="lever down")
    ax.barh(y, [r[2] for r in rows], color="#d8743b", label="lever up")
    ax.set_yticks(y, [r[0] for r in rows])
    ax.axvline(0, color="black", linewidth=0.8)
    what = METRICS.get(metric, metric)
    ax.set_xlabel(f"change of the {what} against the base ({base:,.0f} EUR), EUR")
    ax.legend(loc="lower right", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def waterfall(
    pipe_lengths_m: Mapping[str, float],
    connections: Mapping[str, float],
    network: Literal["MT", "ZLT"] = "MT",
    *,
    overrides: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Walk the ORT from the earlier model to this one, item by item.

    Starts from the variant ``legacy`` (the model before issue 16) and replaces its figures
    by the defaults group by group (:data:`WATERFALL_STEPS`); the last step is the default
    model, and a final row divides the same ORT by dwellings instead of connections.

    Parameters
    ----------
    pipe_lengths_m, connections, network
        As :func:`business_case`.
    overrides
        Cost parameter overrides applied at every step (as ``[parameters.costs]``).
    **kwargs
        Passed to :func:`business_case`.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``ort_eur``, ``ort_per_connection_eur``, ``change_per_connection_eur``,
        ``ort_per_dwelling_eur``.

    Examples
    --------
    >>> steps = waterfall({"primary": 3000, "secondary": 14800}, {"grondgebonden": 2128}, "MT")
    >>> list(steps.columns)[:2], len(steps) > 1
    (['step', 'ort_eur'], True)
    """
    legacy: dict[str, Any] = {}
    flatten_overrides(cost_variants()["legacy"]["overrides"], "", legacy)
    covered = [
        k for k in legacy if not any(k.startswith(p) for _, ps in WATERFALL_STEPS for p in ps)
    ]
    if covered:
        raise ValueError(f"waterfall steps do not cover {covered}")
    user: dict[str, Any] = {}
    flatten_overrides(overrides or {}, "", user)
    rows = []
    remaining = dict(legacy)
    steps = [("earlier model (legacy variant)", ()), *WATERFALL_STEPS]
    for label, prefixes in steps:
        remaining = {k: v for k, v in remaining.items() if not k.startswith(prefixes or ("\0",))}
        params = load_cost_params({**remaining, **user})  # dotted keys are read as they are
        bc = business_case(pipe_lengths_m, connections, network, params=params, **kwargs)
        rows.append((label, bc.ort_eur, bc.ort_per_connection_eur, bc.ort_per_dwelling_eur))
    table = pd.DataFrame(
        rows, columns=["step", "ort_eur", "ort_per_connection_eur", "ort_per_dwelling_eur"]
    )
    table["change_per_connection_eur"] = table["ort_per_connection_eur"].diff().fillna(0.0)
    last = table.iloc[-1]
    table.loc[len(table)] = {
        "step": "the same ORT per dwelling instead of per connection",
        "ort_eur": last["ort_eur"],
        "ort_per_connection_eur": last["ort_per_dwelling_eur"],
        "ort_per_dwelling_eur": last["ort_per_dwelling_eur"],
        "change_per_connection_eur": last["ort_per_dwelling_eur"] - last["ort_per_connection_eur"],
    }
    return table[
        ["step", "ort_eur", "ort_per_connection_eur", "change_per_connection_eur",
         "ort_per_dwelling_eur"]
    ]  # fmt: skip
