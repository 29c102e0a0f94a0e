"""Roads: NWB wegvakken, BGT wegdeel, OpenStreetMap streets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import in_range, unique_ids
from warmtegis.core.types import PathLike
from warmtegis.core.validate import Problems, find_column, where
from warmtegis.inputs._common import LINES, POLYGONS, id_column, read_layer, to_float, to_str_ids
from warmtegis.inputs.osm import is_osm, read_osm_roads_file

__all__ = ["read_roads"]

_WIDTH_CANDIDATES = ("width_m", "wegbreedte", "breedte", "verhardingsbreedte", "width")


def read_roads(
    path: PathLike,
    *,
    layer: str | None = None,
    width_column: str | None = None,
    function_column: str | None = "function",
    columns: Mapping[str, str] | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read roads: NWB wegvakken (centrelines), BGT wegdeel (surfaces) or OSM (XML or PBF).

    Parameters
    ----------
    path
        GeoPackage/GML/shapefile of lines or polygons, or an OSM XML file (``.osm``,
        ``.osm.bz2``, ``.osm.gz``; read with ``osmnx.graph_from_xml`` after trimming ways
        that reference nodes outside a clipped extract).
    layer
        Layer name; optional for single-layer files or layers called ``wegvakken``/``wegdeel``.
    width_column
        Column with the road width in metres (e.g. from the WKD). Default: the first of
        ``width_m, wegbreedte, breedte, verhardingsbreedte, width`` that exists.
    function_column
        For road surfaces, the column with the BGT function (``"function"``; the Dutch
        ``"functie"`` is found too). ``None`` treats every polygon as usable street space.
    columns
        ``{name warmtegis looks for: column in the file}``, e.g. ``{"wvk_id": "id"}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Road lines or polygons in EPSG:28992 with the normalised road columns;
        ``attrs["road_kind"]`` is ``"centrelines"`` or ``"surfaces"``.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> roads = read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    >>> len(roads), roads.attrs["road_kind"]
    (247, 'centrelines')
    """
    # Long function: one reader for centrelines and surfaces (NWB, BGT, OSM), each column
    # checked in turn
    path = Path(path)
    if is_osm(path):
        return read_osm_roads_file(path)
    gdf = read_layer(
        path,
        layer,
        geometry_types=POLYGONS + LINES,
        required_columns=[width_column] if width_column else [],
        preferred_layers=("wegvakken", "wegdeel", "roads"),
        what="roads",
        columns=columns,
        crs=crs,
    )
    location = where(path, gdf.attrs.get("source_layer"))
    types = set(gdf.geom_type.unique())
    if types & set(POLYGONS) and types & set(LINES):
        raise InputError(
            f"{location} mixes lines and polygons; roads must be either "
            "centrelines (LineString) or surfaces (Polygon)"
        )
    kind: Literal["centrelines", "surfaces"] = (
        "surfaces" if types <= set(POLYGONS) else "centrelines"
    )
    problems = Problems()
    out = gdf.copy()
    cols = set(gdf.columns)
    wcol = find_column(gdf, width_column, _WIDTH_CANDIDATES)
    if kind == "surfaces":
        fcol = None
        if function_column is not None:
            fcol = find_column(gdf, None, (function_column, "functie", "function"))
            if fcol is None:
                problems.add(
                    f"{location} has no column {function_column!r} (the BGT road "
                    "function, e.g. 'rijbaan lokale weg'); pass function_column=None "
                    "to use every polygon; columns present: "
                    f"{', '.join(map(str, gdf.columns))}"
                )
        problems.raise_if_any()
        out["segment_id"] = id_column(gdf, ("lokaalID", "gml_id", "identificatie", "id"), location)
        out["road_type"] = gdf[fcol].astype("string") if fcol else pd.NA
        out["street_name"] = pd.NA
        out["node_from"] = pd.NA
        out["node_to"] = pd.NA
        source = "bgt" if fcol else "polygons"
    else:
        problems.raise_if_any()
        if "wvk_id" in cols:
            source = "nwb"
            out["segment_id"] = unique_ids(to_str_ids(gdf["wvk_id"]), location, "wvk_id")
            out["node_from"] = to_str_ids(gdf["jte_id_beg"]) if "jte_id_beg" in cols else pd.NA
            out["node_to"] = to_str_ids(gdf["jte_id_end"]) if "jte_id_end" in cols else pd.NA
        else:
            source = "lines"
            out["segment_id"] = id_column(gdf, ("segment_id", "id", "fid", "gml_id"), location)
            out["node_from"] = pd.NA
            out["node_to"] = pd.NA
        ncol = find_column(gdf, None, ("stt_naam", "straatnaam", "name", "naam"))
        out["street_name"] = gdf[ncol].astype("string") if ncol else pd.NA
        tcol = find_column(gdf, None, ("wegbehsrt", "road_type", "highway", "type"))
        out["road_type"] = gdf[tcol].astype("string") if tcol else pd.NA
    out["width_m"] = (
        in_range(to_float(gdf[wcol], location, wcol), "width_m", location, wcol) if wcol else np.nan
    )
    for col in ("street_name", "road_type", "node_from", "node_to"):
        out[col] = out[col].astype("string")
    out["source"] = source
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    out.attrs["road_kind"] = kind
    if kind == "surfaces":
        log(f"roads: {len(out)} {source} road surfaces, {out.area.sum() / 1e4:.1f} ha")
    else:
        log(f"roads: {len(out)} {source} centrelines, {out.length.sum() / 1000:.1f} km")
    return out
