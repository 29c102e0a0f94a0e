"""The mini-net potential report: how many dwellings could share a ground loop, per buurt.

:func:`potential_table` turns a batch's ``areas`` layer into the potential per area in three
steps, each a subset of the one before:

1. *candidates*: ground-bound row and semi-detached dwellings in a group of 2-10 sharing
   walls (the mini-net stage);
2. *with room*: in a group whose loops fit in its own open ground (the room-to-drill stage;
   only when the batch ran with ``drill=True``);
3. *cheapest*: of those, in a group where the mini net costs a dwelling less per year than
   an individual air-source or ground-source heat pump (the cost model's comparison).

Shares are of the row and semi-detached dwellings (mid-terrace, end-of-terrace and
semi-detached), the base of the national programme's estimate: 1-20 % of row and
semi-detached houses, i.e. 30,000-600,000 dwellings (docs/method.md §3). The programme puts
the stock at about 4 million, 77 % of them still on a gas boiler; its dwelling counts are 1 and
20 % of those about 3 million, so a share is scaled to dwellings on that base and both the share
and the count are compared with the band.
:func:`write_potential` writes ``potential.md``, ``potential.csv`` and a choropleth map
``potential.html`` per buurt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis.core.errors import InputError
from warmtegis.outputs.map import inline_leaflet
from warmtegis.storage.atomic import OutputSet

__all__ = [
    "BAND",
    "BAND_DWELLINGS",
    "NATIONAL_ROW_AND_SEMI",
    "ON_GAS_SHARE",
    "band_verdict",
    "potential_table",
    "write_potential",
]

#: The national programme's estimate: 1-20 % of row and semi-detached houses (docs/method.md §3).
BAND = (1.0, 20.0)
#: The programme's band in dwellings (docs/method.md §3).
BAND_DWELLINGS = (30_000, 600_000)
#: Row and semi-detached houses in the Netherlands (about 4 million) and the share still on a
#: gas boiler (77 %), both from the programme (docs/method.md §3): the base its dwelling band
#: is 1-20 % of (4,000,000 x 0.77 = 3,080,000; 1 % is 30,800, 20 % is 616,000).
NATIONAL_ROW_AND_SEMI = 4_000_000
ON_GAS_SHARE = 0.77


def potential_table(areas: pd.DataFrame) -> pd.DataFrame:
    """Return the potential per area: counts and shares of the row and semi-detached stock.

    Columns ``area_id``, ``row_and_semi_dwellings``, ``candidates``, ``with_room`` (NaN
    without the room-to-drill stage), ``cheapest`` (of those with room when known, else of
    the candidates), ``mini_nets`` and the shares ``candidates_pct``, ``with_room_pct``,
    ``cheapest_pct``.
    """
    need = {"area_id", "row_and_semi_dwellings", "eligible_dwellings"}
    if not need <= set(areas.columns):
        raise InputError(
            f"the potential report needs a batch's areas layer with {sorted(need)}; "
            f"columns found: {list(areas.columns)}"
        )

    def num(column: str) -> pd.Series:
        return pd.Series(pd.to_numeric(areas.get(column), errors="coerce"))

    base = num("row_and_semi_dwellings").fillna(0)
    room = num("dwellings_with_room") if "dwellings_with_room" in areas else base * np.nan
    drilled = "dwellings_with_room" in areas and num("dwellings_with_room").notna().any()
    cheapest = (
        num("dwellings_with_room_cheapest") if drilled else num("mini_net_cheapest_dwellings")
    )
    out = pd.DataFrame(
        {
            "area_id": areas["area_id"].to_numpy(),
            "row_and_semi_dwellings": base.to_numpy(),
            "candidates": num("eligible_dwellings").fillna(0).to_numpy(),
            "with_room": (
                room.fillna(0) if drilled else pd.Series(np.nan, index=areas.index)
            ).to_numpy(),
            "cheapest": cheapest.fillna(0).to_numpy(),
            "mini_nets": num("mini_nets").fillna(0).to_numpy(),
        }
    )
    if "group" in areas:
        out.insert(1, "group", areas["group"].to_numpy())
    share = out["row_and_semi_dwellings"].replace(0, np.nan)
    for col in ("candidates", "with_room", "cheapest"):
        out[f"{col}_pct"] = 100 * out[col] / share
    return out


def _summary(t: pd.DataFrame) -> dict[str, float]:
    base = float(t["row_and_semi_dwellings"].sum())
    out = {"base": base}
    for col in ("candidates", "with_room", "cheapest"):
        total = float(t[col].sum()) if t[col].notna().any() else np.nan
        out[col] = total
        out[f"{col}_pct"] = 100 * total / base if base else np.nan
    out["mini_nets"] = float(t["mini_nets"].sum())
    return out


def _fmt(v: float, pct: bool = False) -> str:
    if not np.isfinite(v):
        return "–"
    return f"{v:.1f} %" if pct else f"{v:,.0f}"


def band_verdict(share_pct: float) -> list[str]:
    """Say plainly where a share falls against the programme's band, as a share and in dwellings.

    Examples
    --------
    19.3 % of the row and semi-detached houses is within the 1-20 % band; scaled to the 3.08
    million still on gas it is 594,440 dwellings, within 30,000-600,000 (scaled to all 4 million
    it would have been 772,000, above):

    >>> text = band_verdict(19.3)[0]
    >>> "19.3 %: **within** the band's share" in text, "594,440 dwellings: **within**" in text
    (True, True)
    >>> band_verdict(25.0)[-1].endswith("**above** the band's 30,000-600,000 dwellings.")
    True
    """
    lo, hi = BAND
    dlo, dhi = BAND_DWELLINGS
    head = (
        f"The national programme estimates the potential at {lo:g}-{hi:g} % of row and "
        f"semi-detached houses, {dlo:,}-{dhi:,} dwellings: an assumption, not a count."
    )
    if not np.isfinite(share_pct):
        return [head + " Here no share is computed (no row or semi-detached dwellings)."]

    def where(value: float, low: float, high: float) -> str:
        return "below" if value < low else "above" if value > high else "within"

    base = NATIONAL_ROW_AND_SEMI * ON_GAS_SHARE
    dwellings = share_pct / 100 * base
    return [
        f"{head} Here the last step computed gives {share_pct:.1f} %: "
        f"**{where(share_pct, lo, hi)}** the band's share. Scaled to the about {base:,.0f} "
        f"row and semi-detached houses still on a gas boiler ({NATIONAL_ROW_AND_SEMI / 1e6:g} "
        f"million x {ON_GAS_SHARE:.0%}, the base of the band's dwelling count), that is "
        f"{dwellings:,.0f} dwellings: **{where(dwellings, dlo, dhi)}** the band's "
        f"{dlo:,}-{dhi:,} dwellings."
    ]


def write_potential(
    areas: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    groups: pd.DataFrame | None = None,
    title: str = "Mini-net potential",
    assets: str | Path | None = None,
) -> dict[str, Path]:
    """Write ``potential.md``, ``potential.csv`` and ``potential.html`` into `out_dir`.

    Parameters
    ----------
    areas
        A batch's ``areas`` layer (:func:`~warmtegis.national.batch.run_batch`).
    groups
        The batch's ``groups`` table (totals per gemeente), shown when given.
    assets
        Leaflet 1.9's ``leaflet.js``/``leaflet.css`` to inline (an offline map, no tiles).

    Returns
    -------
    dict
        ``"md"``, ``"csv"``, ``"html"`` -> the written paths (one all-or-nothing set).
    """
    # Long function: the report's files (table, Markdown, map) written as one output set

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = potential_table(areas)
    s = _summary(table)
    paths = {k: out_dir / f"potential.{k}" for k in ("md", "csv", "html")}
    step = "cheapest_pct" if np.isfinite(s["cheapest_pct"]) else "candidates_pct"
    lines = [
        f"# {title}",
        "",
        f"Computed for {len(table):,} areas with {_fmt(s['base'])} row and semi-detached "
        "dwellings (mid-terrace, end-of-terrace, semi-detached).",
        "",
        "| step | dwellings | share of row and semi-detached |",
        "|---|---:|---:|",
        f"| candidates: in a group of 2-10 sharing walls | {_fmt(s['candidates'])} | "
        f"{_fmt(s['candidates_pct'], True)} |",
        f"| with room to drill their loops | {_fmt(s['with_room'])} | "
        f"{_fmt(s['with_room_pct'], True)} |",
        f"| and cheapest per year (vs own air-source and ground-source heat pump) | "
        f"{_fmt(s['cheapest'])} | {_fmt(s['cheapest_pct'], True)} |",
        "",
        f"Mini nets: {_fmt(s['mini_nets'])} candidate groups.",
        "",
        "## Against the programme's estimate",
        "",
        *band_verdict(float(s[step])),
        "",
        "The steps count where a mini net fits and pays; the programme's band is about how "
        "many neighbours will actually join, which no register records.",
        "",
    ]
    if groups is not None and len(groups):
        key = groups.columns[0]
        lines += [
            f"## Per {key}",
            "",
            "| " + key + " | row and semi | candidates | share |",
            "|---|---:|---:|---:|",
        ]
        for r in groups.itertuples(index=False):
            base = float(getattr(r, "row_and_semi_dwellings", np.nan))
            cand = float(getattr(r, "eligible_dwellings", np.nan))
            lines.append(
                f"| {getattr(r, key)} | {_fmt(base)} | {_fmt(cand)} | "
                f"{_fmt(100 * cand / base if base else np.nan, True)} |"
            )
        lines.append("")
    lines += [
        "Per area: `potential.csv`; map of the share per area: `potential.html`.",
        "",
    ]
    outputs = OutputSet(list(paths.values()))
    with outputs:
        with outputs.writing(paths["csv"]) as tmp:
            table.to_csv(tmp, index=False)
        with outputs.writing(paths["md"]) as tmp:
            tmp.write_text("\n".join(lines), encoding="utf-8")
        with outputs.writing(paths["html"]) as tmp:
            _choropleth(areas, table, step.replace("_pct", ""), tmp, assets)
    return paths


def _choropleth(
    areas: gpd.GeoDataFrame, table: pd.DataFrame, step: str, path: Path, assets: Any
) -> None:
    """Write a folium map of the share per area (grey where there is no such stock)."""
    import folium

    frame = gpd.GeoDataFrame(
        {
            "area_id": table["area_id"].astype(str),
            "share": table[f"{step}_pct"].round(1),
            "dwellings": table[step],
        },
        geometry=areas.geometry.values,
        crs=areas.crs,
    ).to_crs(4326)
    colours = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
    edges = [0, 5, 10, 20, 40, 1000]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        v = feature["properties"]["share"]
        if v is None or not np.isfinite(v):
            return {"fillColor": "#bdbdbd", "color": "#636363", "weight": 0.5, "fillOpacity": 0.6}
        k = int(np.searchsorted(edges, v, side="right") - 1)
        return {
            "fillColor": colours[min(k, 4)],
            "color": "#636363",
            "weight": 0.5,
            "fillOpacity": 0.75,
        }

    x0, y0, x1, y1 = frame.total_bounds
    m = folium.Map(tiles=None if assets else "OpenStreetMap", control_scale=True)
    if assets is not None:
        inline_leaflet(m, Path(assets))
    folium.GeoJson(
        frame.to_json(na="null"),
        name=f"{step} share",
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            ["area_id", "share", "dwellings"], aliases=["area", f"{step} %", "dwellings"]
        ),
    ).add_to(m)
    legend = "".join(
        f'<div><span style="background:{c};display:inline-block;width:14px;height:14px;'
        f'margin-right:4px;border:1px solid #636363"></span>{a}-{b if b < 1000 else ""} %</div>'
        for c, a, b in zip(colours, edges[:-1], edges[1:], strict=True)
    )
    root: Any = m.get_root()
    root.html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:#fff;'
            f'padding:6px;font:12px sans-serif;border:1px solid #999"><b>{step} / row and '
            f"semi-detached</b>{legend}</div>"
        )
    )
    m.fit_bounds([[y0, x0], [y1, x1]])
    m.save(str(path))
