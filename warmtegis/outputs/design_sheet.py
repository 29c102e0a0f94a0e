"""The printable design sheet (``design.html``) and the tender request (``offerte-uitvraag.md``).

Both in Dutch, for residents and suppliers; both from the same :class:`GroupDesign`, so every
quantity on the sheet is in the tender request. The sheet is self-contained: an inline SVG
map (no tiles, no scripts, nothing fetched), printable on A4.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import shapely

from warmtegis.mini_nets.design import SCENARIOS
from warmtegis.mini_nets.room import MISSING

__all__ = ["sheet_html", "tender_markdown"]

_NL = {"as built": "Huidige staat", "standaard": "Isolatiestandaard", "streef": "Streefwaarden"}
_SURFACE_NL = {
    "garden": "tuin",
    "open ground": "open terrein",
    "paving": "bestrating",
    "road crossing": "wegkruising",
}
_SURFACE_COLOUR = {
    "garden": "#1a9641",
    "open ground": "#1a9641",
    "paving": "#e66101",
    "road crossing": "#7b3294",
}
_KIND_NL = {"building": "gebouw", "tree": "boom", "sewer": "riool", "water": "water", "road": "weg"}
_TYPE_NL = {
    "mid-terrace": "tussenwoning",
    "end-of-terrace": "hoekwoning",
    "semi-detached": "twee-onder-een-kap",
    "detached": "vrijstaand",
}


def _e(x: object) -> str:
    return html.escape(str(x))


def _eur(x: float) -> str:
    return "–" if not np.isfinite(x) else f"€ {x:,.0f}".replace(",", ".")


def _num(x: float, digits: int = 0) -> str:
    if not np.isfinite(x):
        return "–"
    s = f"{x:,.{digits}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def _year(value: object) -> str:
    return "onbekend" if pd.isna(value) else str(int(value))  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------- map
class _Frame:
    """RD New metres -> SVG pixels (y flipped) for a box around the works."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int = 640):
        x0, y0, x1, y1 = bounds
        self.x0, self.y1 = x0, y1
        self.scale = width / max(x1 - x0, 1e-6)
        self.width = width
        self.height = int(np.ceil((y1 - y0) * self.scale))

    def path(self, geom: Any) -> str:
        """SVG path data of a (multi)polygon or (multi)line."""
        parts = []
        for g in shapely.get_parts(geom):
            rings = [g.exterior, *g.interiors] if g.geom_type == "Polygon" else [g]
            for ring in rings:
                xy = np.asarray(ring.coords)[:, :2]
                px = (xy[:, 0] - self.x0) * self.scale
                py = (self.y1 - xy[:, 1]) * self.scale
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
                parts.append(f"M{pts}" + ("Z" if g.geom_type == "Polygon" else ""))
        return " ".join(parts)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale


def _map_svg(d: Any, scenario: str) -> str:
    s = d.scenarios[scenario]
    x0, y0, x1, y1 = shapely.bounds(d.klic)
    f = _Frame((x0, y0, x1, y1))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {f.width} {f.height}" '
        f'role="img" aria-labelledby="map-title-{scenario.replace(" ", "-")}" class="map">',
        f'<title id="map-title-{scenario.replace(" ", "-")}">Kaart van mininet '
        f"{_e(d.mini_net_id)}, {_e(_NL[scenario].lower())}: woningen, bodemlussen, sleuf, "
        "verdeler, uitsluitingszones en KLIC-gebied</title>",
        f'<g id="layer-klic"><path d="{f.path(d.klic)}" fill="none" stroke="#555" '
        'stroke-dasharray="6 4" stroke-width="1.2"/></g>',
        '<g id="layer-exclusions">',
    ]
    for kind, geom in zip(d.exclusions["kind"], d.exclusions.geometry, strict=True):
        if geom is not None and not geom.is_empty:
            out.append(
                f'<path data-kind="{_e(kind)}" d="{f.path(geom)}" fill="#d7191c" '
                'fill-opacity="0.12" stroke="none"/>'
            )
    out.append('</g><g id="layer-dwellings">')
    for bid, geom in zip(d.dwellings["building_id"], d.dwellings.geometry, strict=True):
        out.append(
            f'<path data-id="{_e(bid)}" d="{f.path(geom)}" fill="#2b83ba" '
            'fill-opacity="0.55" stroke="#054a91" stroke-width="1"/>'
        )
    out.append('</g><g id="layer-trench">')
    if s.trench is not None:
        for surf, od, geom in zip(
            s.trench.lines["surface"],
            s.trench.lines["pipe_od_mm"],
            s.trench.lines.geometry,
            strict=True,
        ):
            out.append(
                f'<path data-surface="{_e(surf)}" data-od="{int(od)}" d="{f.path(geom)}" '
                f'fill="none" stroke="{_SURFACE_COLOUR.get(surf, "#333")}" '
                'stroke-width="3" stroke-linecap="round"/>'
            )
    out.append('</g><g id="layer-boreholes">')
    for x, y in s.loops:
        px, py = f.point(x, y)
        out.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="#fdae61" '
            'stroke="#000" stroke-width="1"/>'
        )
    out.append('</g><g id="layer-manifold">')
    if s.trench is not None and s.trench.manifold is not None:
        px, py = f.point(s.trench.manifold.x, s.trench.manifold.y)
        out.append(f'<rect x="{px - 5:.1f}" y="{py - 5:.1f}" width="10" height="10" fill="#000"/>')
    bar = 10 if (x1 - x0) < 120 else 50
    out.append(
        f'</g><g id="scale-bar"><line x1="10" y1="{f.height - 12}" x2="{10 + bar * f.scale:.1f}" '
        f'y2="{f.height - 12}" stroke="#000" stroke-width="3"/><text x="10" '
        f'y="{f.height - 18}" font-size="12">{bar} m</text></g></svg>'
    )
    return "".join(out)


_LEGEND = (
    '<ul class="legend"><li><span style="background:#2b83ba"></span>woning</li>'
    '<li><span class="dot"></span>bodemlus</li>'
    '<li><span style="background:#000"></span>verdeler</li>'
    '<li><span style="background:#1a9641"></span>sleuf in tuin</li>'
    '<li><span style="background:#e66101"></span>sleuf in bestrating</li>'
    '<li><span style="background:#7b3294"></span>wegkruising</li>'
    '<li><span style="background:#f4c7c7"></span>uitsluitingszone</li>'
    '<li><span class="dash"></span>KLIC-gebied</li></ul>'
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
max-width:60rem;margin:0 auto;padding:1rem;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:2px solid #054a91}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left}
td.n,th.n{text-align:right}caption{text-align:left;font-weight:600;padding:.3rem 0}
.map{width:100%;height:auto;border:1px solid #999;background:#fafafa}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.8rem;font-size:.85rem}
.legend span{display:inline-block;width:14px;height:14px;margin-right:4px;vertical-align:middle}
.legend .dot{border-radius:50%;background:#fdae61;border:1px solid #000}
.legend .dash{border-top:2px dashed #555;height:0}
.note{font-size:.85rem;color:#444}.warn{color:#8a1c1c;font-weight:600}
@media print{body{max-width:none;padding:0;font-size:10pt}h2{break-after:avoid}
section{break-inside:avoid}}
"""


def _row(cells: list[str], numeric: set[int] | None = None, head: bool = False) -> str:
    tag = "th" if head else "td"
    numeric = numeric or set()
    return (
        "<tr>"
        + "".join(
            f"<{tag}{' class=n' if i in numeric else ''}>{c}</{tag}>" for i, c in enumerate(cells)
        )
        + "</tr>"
    )


def sheet_html(d: Any) -> str:
    """Return the printable Dutch design sheet of one group (a complete HTML page)."""
    # Long function: the design sheet's HTML from top to bottom, one section after another
    n = len(d.dwellings)
    out = [
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Ontwerp mininet {_e(d.mini_net_id)}</title><style>{_CSS}</style></head><body>",
        f"<main><h1>Ontwerp mini-warmtenet {_e(d.mini_net_id)}</h1>",
        f'<p class="note">{n} woningen met een gedeelde bodemlus, elk met een eigen '
        "water-waterwarmtepomp. Studie "
        f"{_e(d.meta.get('study', ''))}, berekend met warmtegis {_e(d.meta.get('version', ''))} "
        f"op {_e(d.meta.get('date', ''))}. Een ontwerp voor de offerte-uitvraag, geen "
        "uitvoeringstekening: de leverancier controleert het op de plek.</p>",
    ]
    # dwellings
    out.append(
        "<section><h2>Woningen</h2><table><caption>Warmtevraag (GJ per jaar), "
        "ontwerpvermogen (kW) en warmtepomp per woning en per isolatieniveau"
        "</caption>"
    )
    head = ["Woning (BAG)", "Bouwjaar", "Type", "m²"]
    head += [f"{_NL[s]}: GJ/jaar · kW · warmtepomp" for s in SCENARIOS]
    out.append(_row(head, head=True))
    for i, (_, r) in enumerate(d.dwellings.iterrows()):
        cells = [
            _e(r["building_id"]),
            _year(r["year_built"]),
            _e(_TYPE_NL.get(str(r["dwelling_type"]), r["dwelling_type"])),
            _num(float(r["floor_area_m2"])),
        ]
        for s in SCENARIOS:
            sd = d.scenarios[s]
            cells.append(
                f"{_num(sd.demand_gj[i], 1)} · {_num(sd.peak_kw[i], 1)} · "
                f"{int(sd.heat_pump_kw[i])} kW"
            )
        out.append(_row(cells, numeric=set(range(3, len(cells)))))
    out.append("</table></section>")
    # per scenario
    out.append(
        "<section><h2>Bodemlussen en sleuf per isolatieniveau</h2><table>"
        "<caption>Wat er geboord en gegraven wordt</caption>"
    )
    out.append(_row(["", *(_NL[s] for s in SCENARIOS)], head=True))
    rows = {
        "Bodemlussen × lengte": [
            f"{len(d.scenarios[s].loops)} × {_num(d.scenarios[s].depth_m)} m" for s in SCENARIOS
        ],
        "Woningen per lus": [
            _num(n / len(d.scenarios[s].loops), 1) if len(d.scenarios[s].loops) else "–"
            for s in SCENARIOS
        ],
        "Geboorde meters": [
            _num(len(d.scenarios[s].loops) * d.scenarios[s].depth_m) for s in SCENARIOS
        ],
    }
    for surf, label in _SURFACE_NL.items():
        vals = [d.scenarios[s].trench_by_surface.get(surf, 0.0) for s in SCENARIOS]
        if any(v > 0 for v in vals):
            rows[f"Sleuf in {label} (m)"] = [_num(v) for v in vals]
    short = [
        d.scenarios[s].trench.walls_not_reached if d.scenarios[s].trench is not None else 0
        for s in SCENARIOS
    ]
    if any(short):
        rows["Sleuf eindigt naast de gevel"] = [
            f'<span class="warn">{k} woning(en): gebouw, boom of water ertussen</span>'
            if k
            else "–"
            for k in short
        ]
    rows["Past het?"] = [
        "ja" if d.scenarios[s].fits else f'<span class="warn">{_e(d.scenarios[s].reason)}</span>'
        for s in SCENARIOS
    ]
    for label, vals in rows.items():
        out.append(_row([label, *vals], numeric={1, 2, 3}))
    out.append("</table></section>")
    # costs
    out.append(
        "<section><h2>Kosten per woning</h2><table><caption>Investering en jaarlijkse "
        "kosten per woning, incl. btw, naast een eigen warmtepomp</caption>"
    )
    out.append(_row(["", *(_NL[s] for s in SCENARIOS)], head=True))
    c = {s: d.scenarios[s].costs for s in SCENARIOS}
    for label, key in (
        ("Mininet: investering", "capex_per_dwelling_eur"),
        ("Isolatie: investering", "insulation_per_dwelling_eur"),
        ("Mininet: kosten per jaar (afschrijving, vervanging, stroom)", "annual_per_dwelling_eur"),
        ("Eigen lucht-waterwarmtepomp: investering", "air_source_eur"),
        ("Eigen lucht-waterwarmtepomp: kosten per jaar", "air_source_annual_eur"),
        ("Eigen bodemwarmtepomp: investering", "ground_source_eur"),
        ("Eigen bodemwarmtepomp: kosten per jaar", "ground_source_annual_eur"),
    ):
        out.append(_row([label, *(_eur(c[s][key]) for s in SCENARIOS)], numeric={1, 2, 3}))
    out.append("</table>")
    if d.dropouts:
        dr = d.dropouts
        out.append(
            "<p>Als een buur niet meedoet: kosten per jaar per woning "
            f"{_eur(float(dr.get('annual_1_out_eur', np.nan)))} (één minder), "
            f"{_eur(float(dr.get('annual_2_out_eur', np.nan)))} (twee minder). "
            + (
                "<strong>Bij één afhaker valt deze groep uiteen.</strong>"
                if dr.get("falls_apart_with_one_dropout")
                else "Kleinste groep die nog werkt: "
                f"{int(dr.get('smallest_working_group', 0))} woningen."
            )
            + "</p>"
        )
    out.append("</section>")
    # maps
    for s in SCENARIOS:
        out.append(
            f"<section><h2>Kaart: {_e(_NL[s].lower())}</h2>{_map_svg(d, s)}{_LEGEND}</section>"
        )
    # bill
    for s in SCENARIOS:
        sd = d.scenarios[s]
        out.append(
            f"<section><h2>Hoeveelheden en prijzen: {_e(_NL[s].lower())}</h2><table>"
            "<caption>Staat van hoeveelheden (richtprijzen incl. btw)</caption>"
        )
        out.append(
            _row(
                ["Post", "Hoeveelheid", "Eenheid", "Eenheidsprijs", "Bedrag"],
                head=True,
                numeric={1, 3, 4},
            )
        )
        for r in sd.bill.itertuples(index=False):
            out.append(
                _row(
                    [
                        _e(r.description),
                        _num(r.quantity),
                        _e(r.unit),
                        _eur(r.unit_price_eur),
                        _eur(r.amount_eur),
                    ],
                    numeric={1, 3, 4},
                )
            )
        out.append(
            _row(
                [
                    "<strong>Totaal</strong>",
                    "",
                    "",
                    "",
                    f"<strong>{_eur(sd.bill['amount_eur'].sum())}</strong>",
                ],
                numeric={4},
            )
        )
        out.append("</table></section>")
    out.append(_layers_html(d))
    out.append(
        '<p class="note">Richtprijzen en aannames: docs/method.md §3c-3f van warmtegis; de '
        "lussen staan minstens de minimale onderlinge afstand uit elkaar en buiten de "
        f"uitsluitingszones ({_zone_kinds(d)}); de lengte per lus volgt uit "
        "g-functies van deze posities, met de lussen van buurgroepen erbij.</p>"
        "</main></body></html>"
    )
    return "\n".join(out)


def _zone_kinds(d: Any) -> str:
    """Name, in Dutch, the kinds of exclusion zone this design kept its loops out of."""
    kinds = [k for k in _KIND_NL if k in set(d.exclusions["kind"])] if len(d.exclusions) else []
    return ", ".join(_KIND_NL[k] for k in kinds) or "geen"


def _missing_layers(d: Any) -> list[str]:
    """Name the layers the design's loops were placed without."""
    return [k for k, v in d.layers.items() if v.startswith(MISSING)]


def _layers_html(d: Any) -> str:
    """Render the sheet's section on the layers that placed the loops and those missing."""
    if not d.layers:
        return ""
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in d.layers.items())
    missing = _missing_layers(d)
    warn = (
        f'<p class="note"><strong>Let op:</strong> niet gecontroleerd: {_e(", ".join(missing))}. '
        "Controleer de posities van de lussen daarop ter plaatse voordat er geboord wordt.</p>"
        if missing
        else ""
    )
    return (
        "<section><h2>Gebruikte kaartlagen</h2><table><tr><th>laag</th><th>gebruikt</th></tr>"
        f"{rows}</table>{warn}</section>"
    )


def _layers_markdown(d: Any) -> list[str]:
    """List, for the tender, the layers that placed the loops and those that were missing."""
    if not d.layers:
        return []
    out = ["", "## Gebruikte kaartlagen", ""]
    out += [f"- {k}: {v}." for k, v in d.layers.items()]
    missing = _missing_layers(d)
    if missing:
        out += [
            "",
            f"Niet gecontroleerd in het ontwerp: {', '.join(missing)}. De aanbieder controleert "
            "de posities van de lussen daarop ter plaatse en meldt afwijkingen in de offerte.",
        ]
    return out


def tender_markdown(d: Any) -> str:
    """Return the tender request (offerte-uitvraag) of one group, in Markdown."""
    # Long function: the tender request's text from top to bottom, one section after another
    n = len(d.dwellings)
    c = shapely.centroid(d.klic)
    lines = [
        f"# Offerte-uitvraag mini-warmtenet {d.mini_net_id}",
        "",
        f"Studie {d.meta.get('study', '')}, ontwerp door warmtegis {d.meta.get('version', '')} "
        f"op {d.meta.get('date', '')}. Bijlagen: `design.gpkg` (woningen, bodemlussen, sleuf, "
        "verdeler, uitsluitingszones, KLIC-gebied; EPSG:28992) en `design.html` (ontwerpblad).",
        "",
        "## 1. Opdracht",
        "",
        f"Levering en aanleg van een gesloten bodemenergiesysteem voor {n} woningen: gedeelde "
        "verticale bodemlussen, een verdeler, een collectieve sleuf met PE-leidingen naar elke "
        "woning, en per woning een water-waterwarmtepomp met bronpompgroep, muurdoorvoer en "
        "elektragroep. De bewoners worden samen eigenaar van het gedeelde deel (mandeligheid, "
        "notariële akte).",
        "",
        f"Locatie: rond RD {c.x:.0f}, {c.y:.0f} (EPSG:28992); werkgebied = laag `klic_request` "
        f"({shapely.area(d.klic):.0f} m²).",
        "",
        "## 2. Woningen",
        "",
        "| woning (BAG pand) | bouwjaar | m² | "
        + " | ".join(f"{_NL[s].lower()}: GJ/jaar, kW, warmtepomp kW" for s in SCENARIOS)
        + " |",
        "|---|---:|---:|" + "---:|" * len(SCENARIOS),
    ]
    for i, (_, r) in enumerate(d.dwellings.iterrows()):
        cells = [str(r["building_id"]), _year(r["year_built"]), f"{float(r['floor_area_m2']):.0f}"]
        for s in SCENARIOS:
            sd = d.scenarios[s]
            cells.append(f"{sd.demand_gj[i]:.1f}, {sd.peak_kw[i]:.1f}, {int(sd.heat_pump_kw[i])}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## 3. Hoeveelheden per isolatieniveau", ""]
    lines.append("Prijs per isolatieniveau dat de bewoners kiezen. Richtprijzen incl. btw.")
    for s in SCENARIOS:
        sd = d.scenarios[s]
        lines += ["", f"### {_NL[s]}", ""]
        if not sd.fits:
            lines += [f"Past niet: {sd.reason}.", ""]
        lines += [
            f"{len(sd.loops)} bodemlus(sen) van {sd.depth_m:.0f} m."
            if len(sd.loops)
            else "Geen bodemlussen geplaatst.",
            "",
            "| post | hoeveelheid | eenheid | richtprijs per eenheid | bedrag |",
            "|---|---:|---|---:|---:|",
        ]
        for r in sd.bill.itertuples(index=False):
            lines.append(
                f"| {r.description} | {r.quantity:.1f} | {r.unit} | "
                f"{r.unit_price_eur:.0f} | {r.amount_eur:.0f} |"
            )
        lines.append(f"| **totaal** | | | | **{sd.bill['amount_eur'].sum():.0f}** |")
    lines += [
        "",
        "## 4. Eisen",
        "",
        "- Ontwerp, boren en aanleg door een bedrijf erkend voor BRL SIKB 11000 (ontwerp, "
        "aanleg en beheer van bodemenergiesystemen) en protocol 11001 (mechanisch boren).",
        "- Melding van het gesloten bodemenergiesysteem bij de gemeente (Omgevingswet, Besluit "
        "activiteiten leefomgeving) en KLIC-melding voor het werkgebied vóór het graven.",
        "- Lussen niet dichter dan de minimale afstand van het ontwerp bij elkaar en buiten de "
        f"uitsluitingszones van `design.gpkg` (afstand tot: {_zone_kinds(d)}).",
        "- Controle van de lengte per lus met een g-functieberekening op de definitieve "
        "posities (de grondparameters van het ontwerp staan in `design.gpkg`); "
        "vloeistoftemperatuur nooit onder het ontwerpminimum.",
        "- PE100 SDR 11-leidingen, drukvast getest; glycolmengsel volgens het ontwerp.",
        "- Herstel van tuin, bestrating en weg in de oude staat.",
        "",
        "## 5. Wat de aanbieder teruggeeft",
        "",
        "- Prijs per post van de staat van hoeveelheden hierboven, per isolatieniveau, incl. btw.",
        "- Eigen controle van het ontwerp: lussen (aantal, lengte, posities), leidingdiameters, "
        "warmtepompen per woning, met de g-functieberekening.",
        "- Planning: boordagen, graafdagen, wanneer elke woning zonder verwarming is.",
        "- Garanties en onderhoud: looptijd, wat is inbegrepen, kosten per jaar.",
        "- Vergunningen en meldingen die de aanbieder verzorgt.",
        "- Referenties van vergelijkbare gedeelde bodemlussen.",
        *_layers_markdown(d),
        "",
    ]
    return "\n".join(lines)
