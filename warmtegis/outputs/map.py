"""The interactive map: a study result drawn with folium.

:func:`to_folium` draws a study result as a :class:`folium.Map` with toggleable layers (free
corridors, bottlenecks, obstacles, road segments, pipes by class and DN, mini-net groups,
their loops and trenches, buildings by role, the heat source), Dutch popups, a legend and a
metric scale bar, fitted to the area. Leaflet's ``leaflet.js`` and ``leaflet.css`` are
inlined (the copy shipped with warmtegis, or ``assets=`` a folder of them), so the HTML renders
offline; only the background tiles need internet. :func:`write_map` writes it to a temporary
file that replaces the target only when complete.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.storage.atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from warmtegis.pipeline import StudyResult

__all__ = [
    "BOREHOLE_COLOUR",
    "GROUP_COLOUR",
    "PIPE_COLOURS",
    "TRENCH_COLOUR",
    "bundled_leaflet",
    "inline_leaflet",
    "to_folium",
    "write_map",
]


#: Colour per pipe class on maps.
PIPE_COLOURS = {
    "transport": "#67000d",
    "primary": "#d62728",
    "secondary": "#ff7f0e",
    "service": "#1f77b4",
}


_BUILDING_COLOURS = {
    "mini-net candidate": "#2ca02c",
    "connected to the heat network": "#9467bd",
    "other": "#bdbdbd",
}


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        raise ImportError("the map needs folium: pip install folium") from exc
    return folium


def _plain(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """Return a light WGS84 copy for the map.

    Geometries simplified by 0.2 m (invisible at street scale) and rounded to 1e-7°,
    `columns` as JSON-safe Python values (NA -> None, floats rounded to 2 decimals).
    """
    cols = [c for c in columns if c in gdf.columns]
    out = gdf[[*cols, gdf.geometry.name]].copy()
    # for display only: the plain Douglas-Peucker simplification (several times faster than
    # the topology-preserving one on the buffered root zones); a sliver it collapses keeps
    # its own shape. Then WGS84 coordinates rounded to 1e-7° (about 1 cm), which shrinks the
    # page by a third: every digit is serialised into the HTML and parsed by the browser
    plain = np.asarray(out.geometry.values, dtype=object)
    geoms = shapely.simplify(plain, 0.2, preserve_topology=False)
    lost = shapely.is_empty(geoms) & ~shapely.is_empty(plain)
    geoms[lost] = plain[lost]
    geoms = gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(4326).values
    out[out.geometry.name] = shapely.set_precision(geoms, 1e-7, mode="pointwise")
    out = out.set_crs(4326, allow_override=True)
    for c in cols:
        s = out[c]
        if pd.api.types.is_float_dtype(s):
            s = s.round(2)
        out[c] = s.astype(object).where(s.notna(), None)
    return out


def _features_json(gdf: gpd.GeoDataFrame) -> tuple[str, list[dict[str, Any]]]:
    """Return a WGS84 frame's features as GeoJSON text (ids "0".."n-1") and its properties.

    Geometries are serialised by GEOS in one call and joined as text: no geometry passes
    through Python's json module. The text is HTML-safe like jinja's ``tojson``.
    """
    import json

    geoms = shapely.to_geojson(np.asarray(gdf.geometry.values, dtype=object), indent=None)
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    keep = [i for i, g in enumerate(geoms) if g is not None]
    text = ",".join(
        f'{{"type":"Feature","id":"{k}","properties":{json.dumps(props[i])},"geometry":{geoms[i]}}}'
        for k, i in enumerate(keep)
    )
    for char, code in _HTML_SAFE:
        text = text.replace(char, code)
    return f'{{"type":"FeatureCollection","features":[{text}]}}', [props[i] for i in keep]


#: What jinja's ``tojson`` escapes so that JSON is safe inside a <script> element.
_HTML_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"))


@functools.cache
def _layer_class() -> Any:
    """Return the map's GeoJSON layer class (built on first use: folium is imported lazily).

    A :class:`folium.GeoJson` whose features are added to the page as text. folium renders
    a layer's script, data included, and branca then compiles that output again as a jinja
    template (``MacroElement.render``); for a map's megabytes of coordinates that second
    pass, with the json round trips, took most of the map's time. Here folium renders the
    layer from its first feature's properties without geometry (its popup checks the
    fields there; Leaflet skips a feature without geometry), the style mapping is made
    from every feature's properties as ``GeoJson.render`` makes it, and the features follow
    as one text element that is not compiled. Same page, same Leaflet calls.
    """
    folium = _folium()
    from branca.element import Element
    from folium.features import GeoJsonStyleMapper
    from folium.map import Layer
    from folium.utilities import get_obj_in_upper_tree

    class _Text(Element):
        """Script text added to the page as it is (no template)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self._text = text

        def render(self, **kwargs: Any) -> str:
            return self._text

    geojson: Any = folium.GeoJson

    class GeoJsonLayer(geojson):
        def __init__(
            self, features: str, properties: list[dict[str, Any]], bounds: list[Any], **kwargs: Any
        ) -> None:
            data = {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "id": str(i), "properties": p, "geometry": None}
                    for i, p in enumerate(properties)
                ],
            }
            super().__init__(data, **kwargs)
            self._features = features
            self._bounds = bounds

        def _get_self_bounds(self) -> list[Any]:
            return self._bounds

        def render(self, **kwargs: Any) -> None:
            full: dict[str, Any] = getattr(self, "data")  # noqa: B009 (set by GeoJson; mypy sees Any)
            self.parent_map = get_obj_in_upper_tree(self, folium.Map)
            if (self.style or self.highlight) and full["features"]:
                mapper = GeoJsonStyleMapper(full, self.feature_identifier, self)
                if self.style:
                    self.style_map = mapper.get_style_map(self.style_function)
                if self.highlight:
                    self.highlight_map = mapper.get_highlight_map(self.highlight_function)
            self.data = {"type": "FeatureCollection", "features": full["features"][:1]}
            try:
                Layer.render(self, **kwargs)  # what GeoJson.render does after the mapping
            finally:
                self.data = full
            self.get_root().script.add_child(
                _Text(f"{self.get_name()}_add({self._features});"),
                name=self.get_name() + "_features",
            )

    return GeoJsonLayer


def _geojson(
    gdf: gpd.GeoDataFrame,
    name: str,
    fields: dict[str, str],
    style: Any,
    *,
    show: bool = True,
    extra: list[str] | None = None,
    marker: Any = None,
) -> Any:
    """Build a toggleable GeoJson layer with a popup of `fields` (column -> label).

    `extra` columns are kept in the features for the style only; points are drawn with
    `marker` (a :class:`folium.CircleMarker`; Leaflet's default pin needs image files).
    """
    folium = _folium()
    data = _plain(gdf, [*fields, *(extra or [])])
    features, properties = _features_json(data)
    x0, y0, x1, y1 = data.total_bounds
    layer = _layer_class()(
        features,
        properties,
        [[y0, x0], [y1, x1]],
        name=name,
        show=show,
        style_function=style,
        **({"marker": marker} if marker is not None else {}),
        popup=folium.GeoJsonPopup(
            fields=[f for f in fields if f in data.columns],
            aliases=[a for f, a in fields.items() if f in data.columns],
            localize=True,
        )
        if len(data)
        else None,
    )
    return layer


def _legend(items: dict[str, str], title: str, note: str = "") -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:8px;margin-right:6px;'
        f'background:{c}"></span>{html.escape(k)}</div>'
        for k, c in items.items()
    )
    foot = f'<div style="margin-top:4px;color:#555">{html.escape(note)}</div>' if note else ""
    # bottom right, above the attribution: Leaflet's metric scale bar keeps the bottom left
    return (
        '<div id="warmtegis-legend" style="position:fixed;bottom:28px;right:10px;z-index:9999;'
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f'font:12px sans-serif"><b>{html.escape(title)}</b>{rows}{foot}</div>'
    )


def bundled_leaflet() -> Path:
    """Return the folder of the Leaflet 1.9.4 files shipped with warmtegis (inlined by default).

    Examples
    --------
    >>> sorted(p.name for p in bundled_leaflet().glob("leaflet.*"))
    ['leaflet.css', 'leaflet.js']
    """
    from importlib import resources

    return Path(str(resources.files("warmtegis").joinpath("data", "leaflet")))


_CATEGORY_NL = {
    "ground_bound": "grondgebonden woning",
    "apartments": "appartementengebouw",
    "non_residential": "utiliteit",
    "outbuilding": "bijgebouw",
    "not_in_use": "niet in gebruik",
    "unknown": "onbekend",
}
_ROLE_NL = {
    "mini-net candidate": "mini-warmtenet (kandidaat)",
    "connected to the heat network": "aangesloten op het warmtenet",
    "other": "overig",
}
_CHEAPEST_NL = {
    "mini_net": "mini-warmtenet",
    "air_source": "eigen luchtwarmtepomp",
    "ground_source": "eigen bodemwarmtepomp",
}
_PIPE_NL = {"transport": "transport", "primary": "primair", "secondary": "secundair",
            "service": "aansluitleiding"}  # fmt: skip
_SURFACE_NL = {"garden": "tuin", "open ground": "open grond", "paving": "verharding",
               "road crossing": "wegkruising"}  # fmt: skip
_OBSTACLE_NL = {"tree": "boom (wortelzone)", "sewer": "riool (vrije ruimte)"}
BOREHOLE_COLOUR, TRENCH_COLOUR, GROUP_COLOUR = "#08519c", "#8c510a", "#006d2c"


def _euro(values: pd.Series) -> pd.Series:
    """Whole euros as Dutch text (``€ 12.345``); unknown stays unknown."""
    v = pd.to_numeric(values, errors="coerce")
    text = v.map(lambda x: f"€ {x:,.0f}".replace(",", ".") if pd.notna(x) else None)
    return text.astype(object)


def _dutch(values: pd.Series, names: dict[str, str]) -> pd.Series:
    return values.map(lambda x: names.get(x, x) if isinstance(x, str) else x).astype(object)


def _yes(values: pd.Series) -> pd.Series:
    return values.map(lambda x: None if pd.isna(x) else ("ja" if bool(x) else "nee")).astype(object)


def to_folium(
    result: StudyResult,
    *,
    tiles: str | None = "OpenStreetMap",
    assets: str | Path | None = None,
) -> folium.Map:
    """Draw a study result on an interactive Leaflet map, in Dutch.

    Parameters
    ----------
    result
        From :func:`~warmtegis.run_study`.
    tiles
        Background tiles (any folium tile name); None for none. The tiles are the only part
        of the page that needs internet.
    assets
        Folder with ``leaflet.js`` and ``leaflet.css`` (Leaflet 1.9's ``dist``) to inline;
        default the copy shipped with warmtegis (:func:`bundled_leaflet`), so the page renders
        without internet. ``"cdn"`` keeps folium's links to its six CDNs instead.

    Returns
    -------
    folium.Map
        With one toggleable layer per output, a layer control, a legend, a metric scale bar
        and Dutch popups (euros rounded).

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> m = to_folium(demo_result(), tiles=None)
    >>> html = m.get_root().render()
    >>> type(m).__name__, "Vrije sleufruimte" in html, "cdn.jsdelivr" in html
    ('Map', True, False)
    """
    # Long function: the map's layers one after another, a few lines each
    folium = _folium()
    layers = result.layers
    m = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=True)
    if assets != "cdn":
        inline_leaflet(m, bundled_leaflet() if assets is None else Path(assets))
    legend: dict[str, str] = {}

    if "free_corridors" in layers and len(layers["free_corridors"]):
        _geojson(
            layers["free_corridors"],
            "Vrije sleufruimte",
            {"area_m2": "vrije ruimte (m²)"},
            lambda f: {"color": "#31a354", "weight": 0, "fillOpacity": 0.35},
        ).add_to(m)
        legend["vrije sleufruimte"] = "#31a354"
    if "obstacles" in layers and len(layers["obstacles"]):
        colours = {"tree": "#74c476", "sewer": "#6baed6"}
        o = layers["obstacles"].assign(soort=lambda d: _dutch(d["kind"], _OBSTACLE_NL))
        _geojson(
            o,
            "Obstakels (wortelzones, rioolafstand)",
            {"soort": "soort", "source_id": "bron", "buffer_m": "afstand (m)"},
            lambda f: {
                "color": colours.get(f["properties"]["kind"], "#969696"),
                "weight": 0.5,
                "fillOpacity": 0.25,
            },
            show=False,
            extra=["kind"],
        ).add_to(m)
    if "road_segments" in layers and len(layers["road_segments"]):
        r = layers["road_segments"].assign(past=lambda d: _yes(d["passable"]))
        _geojson(
            r,
            "Straten: past de sleuf?",
            {
                "segment_id": "wegvak",
                "road_width_m": "wegbreedte (m)",
                "free_width_m": "vrije breedte (m)",
                "past": "sleuf past",
                "blocked_length_m": "geblokkeerd (m)",
                "blocked_by": "geblokkeerd door",
            },
            lambda f: {
                "color": "#636363" if f["properties"]["passable"] else "#e377c2",
                "weight": 2,
                "dashArray": None if f["properties"]["passable"] else "5 4",
            },
            extra=["passable"],
        ).add_to(m)
        legend.update({"straat: sleuf past": "#636363", "straat: geen ruimte": "#e377c2"})
    if "bottlenecks" in layers and len(layers["bottlenecks"]):
        _geojson(
            layers["bottlenecks"],
            "Knelpunten",
            {"segment_id": "wegvak", "reason": "reden", "length_m": "lengte (m)"},
            lambda f: {"color": "#bd0026", "weight": 4, "fillOpacity": 0.6},
        ).add_to(m)
        legend["knelpunt"] = "#bd0026"
    if "pipes" in layers and len(layers["pipes"]):
        p = layers["pipes"].assign(
            klasse=lambda d: _dutch(d["pipe_class"], _PIPE_NL),
            kosten=lambda d: _euro(d["cost_eur"]),
        )
        _geojson(
            p,
            "Warmtenet: leidingen (klasse, DN)",
            {
                "klasse": "klasse",
                "dn": "DN",
                "peak_kw": "piekvermogen (kW)",
                "dwellings_served": "woningen erachter",
                "length_m": "lengte (m)",
                "kosten": "kosten (excl. btw)",
            },
            lambda f: {
                "color": PIPE_COLOURS.get(f["properties"]["pipe_class"], "#000"),
                "weight": 1.5 + (f["properties"]["dn"] or 20) / 40,
                "opacity": 0.9,
            },
            extra=["pipe_class"],
        ).add_to(m)
        legend.update({f"leiding: {_PIPE_NL[k]}": c for k, c in PIPE_COLOURS.items()})
    if "mini_nets" in layers and len(layers["mini_nets"]):
        n = layers["mini_nets"].assign(
            per_woning=lambda d: _euro(d["capex_per_dwelling_eur"]),
            goedkoopst=lambda d: _dutch(d["cheapest"], _CHEAPEST_NL) if "cheapest" in d else None,
        )
        _geojson(
            n,
            "Mini-warmtenetten: groepen",
            {
                "mini_net_id": "groep",
                "n_dwellings": "woningen",
                "n_boreholes": "bodemlussen",
                "borehole_depth_m": "diepte per lus (m)",
                "per_woning": "investering per woning (incl. btw)",
                "goedkoopst": "goedkoopste keuze",
            },
            lambda f: {"color": GROUP_COLOUR, "weight": 2, "fillOpacity": 0.1},
        ).add_to(m)
        legend["mini-warmtenet: groep"] = GROUP_COLOUR
    if "mini_net_trenches" in layers and len(layers["mini_net_trenches"]):
        t = layers["mini_net_trenches"].assign(
            ondergrond=lambda d: _dutch(d["surface"], _SURFACE_NL)
        )
        _geojson(
            t,
            "Mini-warmtenetten: sleuf",
            {
                "mini_net_id": "groep",
                "ondergrond": "ondergrond",
                "pipe_od_mm": "PE-leiding (mm)",
                "length_m": "lengte (m)",
            },
            lambda f: {"color": TRENCH_COLOUR, "weight": 2, "dashArray": "4 3"},
        ).add_to(m)
        legend["mini-warmtenet: sleuf"] = TRENCH_COLOUR
    if "boreholes" in layers and len(layers["boreholes"]):
        bh = layers["boreholes"]
        if "scenario" in bh:
            bh = bh[bh["scenario"] == "as built"]
        _geojson(
            bh,
            "Mini-warmtenetten: bodemlussen",
            {"mini_net_id": "groep", "depth_m": "diepte (m)"},
            lambda f: {
                "color": BOREHOLE_COLOUR,
                "fillColor": BOREHOLE_COLOUR,
                "weight": 1,
                "fillOpacity": 0.9,
            },
            marker=folium.CircleMarker(radius=3),
        ).add_to(m)
        legend["mini-warmtenet: bodemlus"] = BOREHOLE_COLOUR
    if "buildings" in layers and len(layers["buildings"]):
        b = layers["buildings"].copy()
        role = np.where(
            b["mini_net_id"].notna(),
            "mini-net candidate",
            np.where(b["connected"].astype(bool), "connected to the heat network", "other"),
        )
        b["role"] = role
        b["rol"] = _dutch(b["role"], _ROLE_NL)
        b["soort"] = _dutch(b["category"], _CATEGORY_NL)
        _geojson(
            b,
            "Gebouwen (mini-warmtenet, warmtenet)",
            {
                "building_id": "pand",
                "soort": "soort",
                "dwellings": "woningen",
                "heat_demand_gj": "warmtevraag (GJ/jaar)",
                "rol": "rol",
            },
            lambda f: {
                "color": _BUILDING_COLOURS[f["properties"]["role"]],
                "weight": 0.5,
                "fillOpacity": 0.6,
            },
            extra=["role"],
        ).add_to(m)
        legend.update({f"gebouw: {_ROLE_NL[k]}": c for k, c in _BUILDING_COLOURS.items()})
    if result.network is not None:
        src = result.network.nodes.geometry.iloc[result.network.source_node]
        lon, lat = shapely.get_coordinates(
            gpd.GeoSeries([src], crs=settings.crs).to_crs(4326).values
        )[0]
        folium.CircleMarker(
            (lat, lon), radius=8, color="black", fill=True, fill_opacity=1, tooltip="warmtebron"
        ).add_to(m)
        legend["warmtebron"] = "#000000"
    folium.LayerControl(collapsed=False).add_to(m)
    name = result.study.name if result.study is not None else "studie"
    note = "Achtergrond: OpenStreetMap (alleen met internet)" if tiles else ""
    m.get_root().html.add_child(folium.Element(_legend(legend, name, note)))
    extent = layers["input_roads"] if "input_roads" in layers else layers["input_buildings"]
    xmin, ymin, xmax, ymax = (
        gpd.GeoSeries(shapely.box(*extent.total_bounds), crs=settings.crs).to_crs(4326).total_bounds
    )
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return m


def inline_leaflet(m: Any, folder: Path) -> None:
    """Replace the map's CDN scripts and styles by Leaflet's own files, inlined."""
    folium = _folium()
    js, css = folder / "leaflet.js", folder / "leaflet.css"
    missing = [str(p) for p in (js, css) if not p.is_file()]
    if missing:
        raise InputError(f"map assets: {', '.join(missing)} not found (Leaflet 1.9 dist files)")
    m.default_js = []
    m.default_css = []
    head = m.get_root().header
    head.add_child(folium.Element(f"<style>{css.read_text(encoding='utf-8')}</style>"))
    head.add_child(folium.Element(f"<script>{js.read_text(encoding='utf-8')}</script>"))


def write_map(result: StudyResult, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`to_folium` of `result` to an HTML file atomically (options as there).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from warmtegis.datasets import demo_result
    >>> out = write_map(demo_result(), Path(tempfile.mkdtemp()) / "otterlo.html", tiles=None)
    >>> out.suffix, out.stat().st_size > 100_000
    ('.html', True)
    """
    path = Path(path)
    m = to_folium(result, **kwargs)
    with atomic_path(path) as tmp:
        m.save(str(tmp))
    log(f"wrote the map to {path}")
    return path
