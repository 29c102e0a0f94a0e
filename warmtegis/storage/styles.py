"""QGIS styles (QML) for the output layers, written into the GeoPackage's ``layer_styles`` table.

QGIS reads a table named ``layer_styles`` in a GeoPackage (columns ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``useAsDefault``, ...) and applies the
default style of a layer when it is opened, so the pipes, streets, bottlenecks, mini nets
and buildings open coloured as on the folium map. Each style is a categorised renderer
(``renderer-v2 type="categorizedSymbol"``) whose attribute may be an expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

import pandas as pd

__all__ = ["LAYER_STYLES", "layer_styles", "qml"]

_FILL = "SimpleFill"
_LINE = "SimpleLine"


def _symbol(i: int, kind: str, colour: str, width: float, dn_width: bool = False) -> str:
    r, g, b = (int(colour[k : k + 2], 16) for k in (1, 3, 5))
    if kind == "line":
        options = {
            "line_color": f"{r},{g},{b},255",
            "line_width": f"{width}",
            "line_width_unit": "MM",
            "capstyle": "round",
        }
        cls = _LINE
    else:
        options = {
            "color": f"{r},{g},{b},110",
            "outline_color": f"{r},{g},{b},255",
            "outline_width": f"{width}",
            "outline_width_unit": "MM",
            "style": "solid",
        }
        cls = _FILL
    opts = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in options.items())
    ddp = ""
    if dn_width:  # pipes drawn wider with their nominal size
        ddp = (
            '<data_defined_properties><Option type="Map"><Option name="name" type="QString" '
            'value=""/><Option name="properties" type="Map"><Option name="outlineWidth" '
            'type="Map"><Option name="active" type="bool" value="true"/><Option '
            'name="expression" type="QString" value="0.3 + coalesce(&quot;dn&quot;, 0) / 150"/>'
            '<Option name="type" type="int" value="3"/></Option></Option><Option name="type" '
            'type="QString" value="collection"/></Option></data_defined_properties>'
        )
    return (
        f'<symbol type="{kind}" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{opts}'
        f"</Option>{ddp}</layer></symbol>"
    )


def qml(
    attribute: str,
    categories: Mapping[str, str],
    *,
    kind: str,
    width: float = 0.5,
    dn_width: bool = False,
) -> str:
    """Return a QGIS style: features categorised by `attribute` (a field or an expression).

    Parameters
    ----------
    attribute
        Field name or QGIS expression whose values are the category keys.
    categories
        Value -> colour (``#rrggbb``).
    kind
        ``"line"`` or ``"fill"``.
    width
        Line or outline width (mm).
    dn_width
        Draw lines wider with their ``dn`` column.
    """
    cats = "".join(
        f'<category value={quoteattr(v)} symbol="{i}" label={quoteattr(v)} render="true"/>'
        for i, v in enumerate(categories)
    )
    syms = "".join(_symbol(i, kind, c, width, dn_width) for i, c in enumerate(categories.values()))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attribute)} symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2></qgis>"
    )


#: Layer -> (attribute or expression, value -> colour, symbol kind, width, draw DN width).
#: Colours as on the folium map (:mod:`warmtegis.outputs`).
LAYER_STYLES: Mapping[str, tuple[str, dict[str, str], str, float, bool]] = {
    "pipes": (
        "pipe_class",
        {"transport": "#7a0177", "primary": "#c51b8a", "secondary": "#f768a1",
         "service": "#fbb4b9"},
        "line", 0.6, True,
    ),
    "road_segments": (
        "if(\"passable\", 'passable', 'blocked')",
        {"passable": "#1a9641", "blocked": "#d7191c"},
        "line", 0.8, False,
    ),
    "bottlenecks": (
        "reason",
        {"tree": "#d7191c", "sewer": "#7b3294", "tree+sewer": "#e66101", "narrow": "#404040"},
        "line", 1.6, False,
    ),
    "mini_nets": (
        "if(\"n_dwellings\" <= 3, '2-3 dwellings', '4-10 dwellings')",
        {"2-3 dwellings": "#2b83ba", "4-10 dwellings": "#054a91"},
        "fill", 0.6, False,
    ),
    "buildings": (
        "CASE WHEN \"mini_net_id\" IS NOT NULL THEN 'mini net' "
        "WHEN \"connected\" THEN 'connected' ELSE 'other' END",
        {"mini net": "#2b83ba", "connected": "#f768a1", "other": "#bdbdbd"},
        "fill", 0.2, False,
    ),
}  # fmt: skip


def layer_styles(layers: Mapping[str, object], geometry_column: str = "geom") -> pd.DataFrame:
    """Return the ``layer_styles`` table for the styled layers among `layers`."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for name, (attr, cats, kind, width, dn) in LAYER_STYLES.items():
        if name not in layers:
            continue
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": name,
                "f_geometry_column": geometry_column,
                "styleName": f"warmtegis {name}",
                "styleQML": qml(attr, cats, kind=kind, width=width, dn_width=dn),
                "styleSLD": "",
                "useAsDefault": True,
                "description": f"warmtegis default style of {name}",
                "owner": "warmtegis",
                "ui": "",
                "update_time": now,
            }
        )
    return pd.DataFrame(rows)
