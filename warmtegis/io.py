"""Read Dutch base-registry layers into validated GeoDataFrames in EPSG:28992, write GeoPackages.

Every reader returns a **new** GeoDataFrame in ``settings.crs`` (EPSG:28992) that keeps all
original attributes and adds a normalised schema (below). Any other CRS is reprojected and
logged; a layer without CRS, with the wrong geometry type, without features or without a
required column raises one :class:`~warmtegis.InputError` that lists every problem and names
the file, layer and column. Null and empty geometries are dropped with a count in the log.

Normalised columns
------------------
buildings (:func:`read_buildings`)
    ``building_id`` (str; BAG ids as 16 digits), ``year_built`` (Int64), ``status`` (str),
    ``use`` (str, BAG ``gebruiksdoel``), ``n_units`` (Int64, BAG ``aantal_verblijfsobjecten``),
    ``floor_area_min_m2``/``floor_area_max_m2`` (float), ``footprint_m2`` (float),
    ``source`` (``"bag"``, ``"lvbag"``, ``"bgt"``, ``"osm"`` or ``"polygons"``).
roads (:func:`read_roads`)
    ``segment_id`` (str), ``street_name`` (str), ``road_type`` (NWB ``wegbehsrt``, BGT
    ``function`` or OSM ``highway``), ``width_m`` (float, NaN when unknown), ``node_from``,
    ``node_to`` (str junction ids; NWB ``jte_id_beg/end``, OSM node ids; missing for surfaces),
    ``source``. ``gdf.attrs["road_kind"]`` is ``"centrelines"`` or ``"surfaces"``.
sewers (:func:`read_sewers`)
    ``sewer_id`` (str), ``diameter_m`` (float, NaN when unknown).
trees (:func:`read_trees`)
    ``tree_id`` (str), ``height_class`` (str as given), ``height_min_m``, ``height_max_m``,
    ``height_m`` (float; middle of the class, or the measured height), ``crown_diameter_m``,
    ``stem_diameter_m`` (float, NaN when unknown).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from . import settings
from ._errors import InputError
from ._log import log
from ._validate import Problems, check_columns, check_geometry, find_column, where

__all__ = [
    "BAG_DROP_STATUS",
    "atomic_path",
    "list_layers",
    "parse_height_class",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_roads",
    "read_sewers",
    "read_trees",
    "write_geopackage",
]

PathLike = str | os.PathLike[str]

#: Status values of buildings that do not (or no longer) exist and are dropped on reading:
#: BAG ``status`` values and the BGT ``bgt-status`` value ``historie``.
BAG_DROP_STATUS: tuple[str, ...] = (
    "Niet gerealiseerd pand",
    "Pand gesloopt",
    "Pand ten onrechte opgevoerd",
    "historie",
)

_POLYGONS = ("Polygon", "MultiPolygon")
_LINES = ("LineString", "MultiLineString")
_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")


# --------------------------------------------------------------------------- generic reading
def list_layers(path: PathLike) -> list[str]:
    """Return the names of the layers in a vector file.

    Raises
    ------
    InputError
        If the file does not exist or GDAL cannot read it.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}")
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"cannot read {path} as a vector data set: {exc}") from exc


def _choose_layer(path: Path, layer: str | None, preferred: Sequence[str], what: str) -> str:
    layers = list_layers(path)
    if layer is not None:
        if layer not in layers:
            raise InputError(
                f"{path} has no layer {layer!r} ({what}); layers in the file: {', '.join(layers)}"
            )
        return layer
    if len(layers) == 1:
        return layers[0]
    for name in preferred:
        if name in layers:
            return name
    raise InputError(
        f"{path} holds {len(layers)} layers; say which one holds the {what} "
        f"(layer=...); layers in the file: {', '.join(layers)}"
    )


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in _OSM_SUFFIXES)


def _single_parts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn one-part multi-geometries into their single part (vectorised)."""
    geoms = gdf.geometry.values
    multi = shapely.get_type_id(geoms) >= 4
    one = multi & (shapely.get_num_geometries(geoms) == 1)
    if one.any():
        gdf = gdf.copy()
        new = np.asarray(geoms).copy()
        new[one] = shapely.get_geometry(new[one], 0)
        gdf[gdf.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    return gdf


def _finish(
    gdf: gpd.GeoDataFrame,
    location: str,
    allowed: Iterable[str],
    what: str,
    problems: Problems,
) -> gpd.GeoDataFrame:
    """Drop null/empty geometries, check types and CRS, reproject. Raises on problems."""
    if len(gdf) == 0:
        problems.add(f"{location} is empty: it holds no features ({what} expected)")
        problems.raise_if_any()
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.all():
        problems.add(f"{location} has no geometries: all {len(gdf)} features are null or empty")
        problems.raise_if_any()
    if bad.any():
        log(
            f"{location}: dropped {int(bad.sum())} features with null or empty geometry",
            logging.WARNING,
        )
        gdf = gdf.loc[~bad]
    check_geometry(gdf, allowed, problems, location, what=what)
    problems.raise_if_any()
    if not gdf.crs.equals(settings.crs):
        log(
            f"{location}: reprojected {len(gdf)} features from {gdf.crs.to_string()} "
            f"to {settings.crs}"
        )
        gdf = gdf.to_crs(settings.crs)
    return gdf


def read_layer(
    path: PathLike,
    layer: str | None = None,
    *,
    geometry_types: Iterable[str] = _POLYGONS + _LINES + ("Point", "MultiPoint"),
    required_columns: Iterable[str] = (),
    preferred_layers: Sequence[str] = (),
    what: str = "features",
) -> gpd.GeoDataFrame:
    """Read one vector layer, validate it and reproject it to EPSG:28992.

    Parameters
    ----------
    path
        A GeoPackage, GML, shapefile or any other file GDAL reads.
    layer
        Layer name. Optional when the file has one layer or one of `preferred_layers`.
    geometry_types
        Allowed geometry types, e.g. ``("Polygon", "MultiPolygon")``.
    required_columns
        Columns that must be present.
    preferred_layers
        Layer names tried in order when `layer` is not given and the file has several.
    what
        What the layer should hold, for messages ("buildings", "sewer lines").

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:28992 without null or empty geometries; one-part
        multi-geometries are turned into single ones.

    Raises
    ------
    InputError
        Listing every problem: unreadable file, unknown layer (with the layers that exist),
        empty layer, no CRS, wrong geometry type, missing column.
    """
    path = Path(path)
    name = _choose_layer(path, layer, preferred_layers, what)
    location = where(path, name)
    try:
        gdf = gpd.read_file(path, layer=name, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read {location}: {exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(f"{location} has no geometry column ({what} expected)")
    problems = Problems()
    check_columns(gdf, required_columns, problems, location)
    gdf = _finish(gdf, location, geometry_types, what, problems)
    gdf = _single_parts(gdf)
    gdf.attrs["source_path"] = str(path)
    gdf.attrs["source_layer"] = name
    log(f"read {len(gdf)} {what} from {location}")
    return gdf


def _to_str_ids(values: pd.Series) -> pd.Series:
    """Return ids as strings; floats that are whole numbers lose their '.0'."""
    if pd.api.types.is_float_dtype(values):
        out = values.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    else:
        out = values.astype("string").fillna("")
    return out.astype(str)


def _ids(frame: pd.DataFrame, candidates: Sequence[str]) -> pd.Series:
    """Return string ids from the first candidate column with unique values, else row numbers."""
    for name in candidates:
        col = find_column(frame, None, (name,))
        if col is not None and frame[col].notna().all() and frame[col].is_unique:
            return _to_str_ids(frame[col])
    return pd.Series(np.arange(len(frame)), index=frame.index).astype(str)


def _to_int(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").round().astype("Int64")


def _to_float(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


# --------------------------------------------------------------------------- OSM files
def _open_xml(path: Path) -> Any:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _trimmed_osm_copy(path: Path) -> tuple[Path, int, int]:
    """Write a copy of an OSM XML file in which every way only references existing nodes.

    Extracts clipped at a bounding box reference nodes outside the file, which osmnx refuses
    ("Some edges missing nodes"). References to missing nodes are removed from ways; ways
    left with fewer than two nodes and relation members that do not exist are dropped.

    Returns
    -------
    tuple
        Path of the temporary ``.osm`` file (the caller deletes it), number of ways trimmed,
        number of ways dropped.
    """
    try:
        with _open_xml(path) as fh:
            tree = ET.parse(fh)
    except (ET.ParseError, OSError, EOFError) as exc:
        raise InputError(f"cannot read {path} as OpenStreetMap XML: {exc}") from exc
    root = tree.getroot()
    if root.tag != "osm":
        raise InputError(
            f"{path} is not OpenStreetMap XML: root element <{root.tag}>, expected <osm>"
        )
    nodes = {el.get("id") for el in root.iter("node")}
    trimmed = dropped = 0
    ways_kept: set[str | None] = set()
    for way in list(root.iter("way")):
        refs = way.findall("nd")
        missing = [nd for nd in refs if nd.get("ref") not in nodes]
        if missing:
            for nd in missing:
                way.remove(nd)
            if len(refs) - len(missing) < 2:
                root.remove(way)
                dropped += 1
                continue
            trimmed += 1
        ways_kept.add(way.get("id"))
    present = {"node": nodes, "way": ways_kept}
    for rel in list(root.iter("relation")):
        for member in rel.findall("member"):
            kind = member.get("type")
            if kind in present and member.get("ref") not in present[kind]:
                rel.remove(member)
        if not rel.findall("member"):
            root.remove(rel)
    fd, tmp = tempfile.mkstemp(suffix=".osm", prefix="warmtegis-")
    os.close(fd)
    tree.write(tmp, encoding="utf-8", xml_declaration=True)
    if trimmed or dropped:
        log(
            f"{path}: clipped extract - trimmed {trimmed} ways to their nodes in the file, "
            f"dropped {dropped} ways with fewer than 2 nodes left",
            logging.WARNING,
        )
    return Path(tmp), trimmed, dropped


def _flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """OSM attributes may hold lists after simplification; store them as ';'-joined text."""
    frame = frame.copy()
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col == geom or frame[col].dtype != object:
            continue
        if frame[col].map(lambda v: isinstance(v, list | tuple | set)).any():
            frame[col] = frame[col].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple | set) else v
            )
    return frame


def _osm_graph_to_roads(graph: Any, origin: str) -> gpd.GeoDataFrame:
    import osmnx as ox

    undirected = ox.convert.to_undirected(graph)
    if undirected.number_of_edges() == 0:
        raise InputError(f"{origin} holds no OpenStreetMap highways")
    nodes, edges = ox.convert.graph_to_gdfs(undirected)
    edges = _flatten_lists(edges.reset_index())
    # an undirected edge's (u, v) need not follow its geometry: orient them to the line
    start = shapely.get_point(edges.geometry.values, 0)
    at_u = shapely.points(nodes.loc[edges["u"], ["x", "y"]].to_numpy())
    at_v = shapely.points(nodes.loc[edges["v"], ["x", "y"]].to_numpy())
    swap = shapely.distance(start, at_v) < shapely.distance(start, at_u)
    edges.loc[swap, ["u", "v"]] = edges.loc[swap, ["v", "u"]].to_numpy()
    edges = edges.to_crs(settings.crs)
    out = edges.copy()
    out["segment_id"] = (
        edges["u"].astype(str) + "-" + edges["v"].astype(str) + "-" + edges["key"].astype(str)
    )
    out["street_name"] = edges["name"].astype("string") if "name" in edges else pd.NA
    out["road_type"] = edges["highway"].astype("string") if "highway" in edges else pd.NA
    if "width" in edges:
        width = edges["width"].astype("string").str.extract(r"(\d+(?:[.,]\d+)?)")[0]
        out["width_m"] = _to_float(width.str.replace(",", ".", regex=False))
    else:
        out["width_m"] = np.nan
    out["node_from"] = edges["u"].astype(str)
    out["node_to"] = edges["v"].astype(str)
    out["source"] = "osm"
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.crs)
    out.attrs["road_kind"] = "centrelines"
    log(f"read {len(out)} OSM street segments ({out.length.sum() / 1000:.1f} km) from {origin}")
    return out


def _read_osm_roads_file(path: Path) -> gpd.GeoDataFrame:
    import osmnx as ox

    tmp, _, _ = _trimmed_osm_copy(path)
    try:
        graph = ox.graph_from_xml(tmp, bidirectional=False, simplify=True, retain_all=True)
    except Exception as exc:
        raise InputError(f"cannot build a street graph from {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return _osm_graph_to_roads(graph, str(path))


def read_osm_roads(
    *,
    place: str | None = None,
    polygon: shapely.Polygon | shapely.MultiPolygon | None = None,
    network_type: str = "drive_service",
) -> gpd.GeoDataFrame:
    """Download OpenStreetMap streets with osmnx (needs internet) as road centrelines.

    Parameters
    ----------
    place
        A place name osmnx geocodes, e.g. ``"Otterlo, Ede, Nederland"``.
    polygon
        Alternatively, a polygon in EPSG:28992.
    network_type
        osmnx network type; default ``"drive_service"`` (streets that carry service pipes).

    Returns
    -------
    geopandas.GeoDataFrame
        Centrelines with the normalised road columns, ``attrs["road_kind"] == "centrelines"``.
    """
    import osmnx as ox

    if (place is None) == (polygon is None):
        raise InputError("read_osm_roads needs exactly one of place=... or polygon=...")
    if place is not None:
        graph = ox.graph_from_place(place, network_type=network_type, retain_all=True)
        return _osm_graph_to_roads(graph, f"OSM place {place!r}")
    wgs = gpd.GeoSeries([polygon], crs=settings.crs).to_crs("EPSG:4326").iloc[0]
    graph = ox.graph_from_polygon(wgs, network_type=network_type, retain_all=True)
    return _osm_graph_to_roads(graph, "OSM polygon")


def _read_osm_buildings(path: Path) -> gpd.GeoDataFrame:
    import osmnx as ox

    tmp, _, _ = _trimmed_osm_copy(path)
    try:
        feats = ox.features_from_xml(tmp, tags={"building": True})
    except Exception as exc:
        raise InputError(f"cannot read OpenStreetMap buildings from {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    feats = feats[feats.geom_type.isin(_POLYGONS)].reset_index()
    if len(feats) == 0:
        raise InputError(f"{path} holds no OpenStreetMap building polygons (building=*)")
    feats = _flatten_lists(feats)
    feats["osm_id"] = feats["element"].astype(str) + "/" + feats["id"].astype(str)
    return feats.to_crs(settings.crs)


# --------------------------------------------------------------------------- buildings
def _bag_id(values: pd.Series) -> pd.Series:
    """Normalise BAG pand ids to 16 digits ('NL.IMBAG.Pand.0221...' and lost zeros)."""
    text = _to_str_ids(values).str.replace(r"^NL\.IMBAG\.Pand\.", "", regex=True)
    digits = text.str.fullmatch(r"\d{1,16}")
    return text.where(~digits, text.str.zfill(16))


def read_buildings(
    path: PathLike,
    *,
    layer: str | None = None,
    drop_status: Iterable[str] = BAG_DROP_STATUS,
) -> gpd.GeoDataFrame:
    """Read building footprints: BAG pand, LVBAG, BGT pand or OpenStreetMap buildings.

    The kind is recognised from the columns: BAG (``identificatie`` with ``bouwjaar``),
    LVBAG (``oorspronkelijkBouwjaar``), BGT (``bag_pand_id``), an ``.osm`` file, or any
    polygon layer. Buildings whose status says they do not exist (`drop_status`; BAG
    ``status``, BGT ``bgt-status``, OSM ``building=demolished``) and historical LVBAG
    versions (``eindGeldigheid`` set) are dropped with a count in the log.

    Parameters
    ----------
    path
        GeoPackage/GML/shapefile of footprints, or an OSM XML file (``.osm``, ``.osm.bz2``).
    layer
        Layer name; optional for single-layer files or a layer called ``pand``.
    drop_status
        Status values to drop.

    Returns
    -------
    geopandas.GeoDataFrame
        Footprints in EPSG:28992 with the normalised building columns (see module docs).
    """
    path = Path(path)
    if _is_osm(path):
        gdf = _read_osm_buildings(path)
        location = str(path)
    else:
        gdf = read_layer(
            path,
            layer,
            geometry_types=_POLYGONS,
            preferred_layers=("pand", "buildings", "building"),
            what="buildings",
        )
        location = where(path, gdf.attrs.get("source_layer"))
    out = gdf.copy()
    cols = set(gdf.columns)
    if _is_osm(path):
        kind = "osm"
        out["building_id"] = gdf["osm_id"]
        year = (
            gdf["start_date"].astype("string").str.extract(r"(\d{4})")[0]
            if "start_date" in cols
            else pd.Series(pd.NA, index=gdf.index)
        )
        out["year_built"] = _to_int(year)
        out["status"] = gdf["building"].astype("string")
        out["use"] = gdf["building"].astype("string")
        flats = gdf["building:flats"] if "building:flats" in cols else pd.NA
        out["n_units"] = _to_int(pd.Series(flats, index=gdf.index))
    else:
        if "oorspronkelijkBouwjaar" in cols:
            kind, year_col = "lvbag", "oorspronkelijkBouwjaar"
        elif "bouwjaar" in cols:
            kind, year_col = "bag", "bouwjaar"
        elif "bag_pand_id" in cols:
            kind, year_col = "bgt", None
        else:
            kind, year_col = "polygons", None
        id_col = {"lvbag": "identificatie", "bag": "identificatie", "bgt": "bag_pand_id"}.get(kind)
        if id_col is not None and id_col not in cols:
            raise InputError(
                f"{location} looks like {kind.upper()} data but has no column "
                f"{id_col!r} (the pand id); columns present: "
                f"{', '.join(map(str, gdf.columns))}"
            )
        if id_col is not None:
            ids = _bag_id(gdf[id_col])
            if "lokaalID" in cols:
                # BGT: several polygons may share a pand id, and '...9999999999' means
                # "no BAG link"; those get their unique BGT lokaalID instead
                shared = ids.duplicated(keep=False) | (ids == "") | ids.str.endswith("99999999")
                ids = ids.where(~shared, gdf["lokaalID"].astype(str))
            out["building_id"] = ids
            odd = ~ids.str.fullmatch(r"\d{16}")
            if kind != "bgt" and odd.any():
                log(
                    f"{location}: {int(odd.sum())} buildings have an id in {id_col!r} that is "
                    f"not a 16-digit BAG pand id, e.g. {ids[odd].iloc[0]!r}",
                    logging.WARNING,
                )
        else:
            out["building_id"] = _ids(gdf, ("identificatie", "lokaalID", "gml_id", "id", "fid"))
        year = gdf[year_col] if year_col else pd.Series(pd.NA, index=gdf.index)
        year = _to_int(year)
        out["year_built"] = year.where((year >= 1000) & (year <= 2100))
        status_col = (
            "status" if "status" in cols else ("bgt-status" if "bgt-status" in cols else None)
        )
        out["status"] = gdf[status_col].astype("string") if status_col else pd.NA
        out["use"] = gdf["gebruiksdoel"].astype("string") if "gebruiksdoel" in cols else pd.NA
        out["n_units"] = (
            _to_int(gdf["aantal_verblijfsobjecten"])
            if "aantal_verblijfsobjecten" in cols
            else pd.Series(pd.NA, index=gdf.index, dtype="Int64")
        )
    for src, dst in (
        ("oppervlakte_min", "floor_area_min_m2"),
        ("oppervlakte_max", "floor_area_max_m2"),
    ):
        out[dst] = _to_float(gdf[src]) if src in cols else np.nan
    out["footprint_m2"] = out.geometry.area
    out["source"] = kind
    out["n_units"] = out["n_units"].astype("Int64")
    out["year_built"] = out["year_built"].astype("Int64")

    drop = out["status"].isin(list(drop_status)).fillna(False).astype(bool)
    if kind == "osm":
        drop |= out["status"].isin(["demolished", "destroyed", "ruins"]).fillna(False).astype(bool)
    if "eindGeldigheid" in cols:
        drop |= gdf["eindGeldigheid"].notna()
    if drop.any():
        counts = out.loc[drop, "status"].fillna("ended (eindGeldigheid set)").value_counts()
        detail = ", ".join(f"{n} {s!r}" for s, n in counts.items())
        log(f"{location}: dropped {int(drop.sum())} buildings that do not exist: {detail}")
        out = out.loc[~drop]
    if len(out) == 0:
        raise InputError(
            f"{location}: no existing buildings left after dropping status "
            f"values {list(drop_status)}"
        )
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    log(f"buildings: {len(out)} {kind} footprints, {out['footprint_m2'].sum() / 1e4:.1f} ha")
    return out


# --------------------------------------------------------------------------- roads
_WIDTH_CANDIDATES = ("width_m", "wegbreedte", "breedte", "verhardingsbreedte", "width")


def read_roads(
    path: PathLike,
    *,
    layer: str | None = None,
    width_column: str | None = None,
    function_column: str | None = "function",
) -> gpd.GeoDataFrame:
    """Read roads: NWB wegvakken (centrelines), BGT wegdeel (surfaces) or an OSM XML file.

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

    Returns
    -------
    geopandas.GeoDataFrame
        Road lines or polygons in EPSG:28992 with the normalised road columns;
        ``attrs["road_kind"]`` is ``"centrelines"`` or ``"surfaces"``.
    """
    path = Path(path)
    if _is_osm(path):
        return _read_osm_roads_file(path)
    gdf = read_layer(
        path,
        layer,
        geometry_types=_POLYGONS + _LINES,
        required_columns=[width_column] if width_column else [],
        preferred_layers=("wegvakken", "wegdeel", "roads"),
        what="roads",
    )
    location = where(path, gdf.attrs.get("source_layer"))
    types = set(gdf.geom_type.unique())
    if types & set(_POLYGONS) and types & set(_LINES):
        raise InputError(
            f"{location} mixes lines and polygons; roads must be either "
            "centrelines (LineString) or surfaces (Polygon)"
        )
    kind: Literal["centrelines", "surfaces"] = (
        "surfaces" if types <= set(_POLYGONS) else "centrelines"
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
        out["segment_id"] = _ids(gdf, ("lokaalID", "gml_id", "identificatie", "id"))
        out["road_type"] = gdf[fcol].astype("string") if fcol else pd.NA
        out["street_name"] = pd.NA
        out["node_from"] = pd.NA
        out["node_to"] = pd.NA
        source = "bgt" if fcol else "polygons"
    else:
        problems.raise_if_any()
        if "wvk_id" in cols:
            source = "nwb"
            out["segment_id"] = _to_str_ids(gdf["wvk_id"])
            out["node_from"] = _to_str_ids(gdf["jte_id_beg"]) if "jte_id_beg" in cols else pd.NA
            out["node_to"] = _to_str_ids(gdf["jte_id_end"]) if "jte_id_end" in cols else pd.NA
        else:
            source = "lines"
            out["segment_id"] = _ids(gdf, ("segment_id", "id", "fid", "gml_id"))
            out["node_from"] = pd.NA
            out["node_to"] = pd.NA
        ncol = find_column(gdf, None, ("stt_naam", "straatnaam", "name", "naam"))
        out["street_name"] = gdf[ncol].astype("string") if ncol else pd.NA
        tcol = find_column(gdf, None, ("wegbehsrt", "road_type", "highway", "type"))
        out["road_type"] = gdf[tcol].astype("string") if tcol else pd.NA
    out["width_m"] = _to_float(gdf[wcol]) if wcol else np.nan
    if wcol and (out["width_m"] <= 0).any():
        log(
            f"{location}: {(out['width_m'] <= 0).sum()} non-positive widths in {wcol!r} "
            "treated as unknown",
            logging.WARNING,
        )
        out.loc[out["width_m"] <= 0, "width_m"] = np.nan
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


# --------------------------------------------------------------------------- sewers
def read_sewers(
    path: PathLike,
    *,
    layer: str | None = None,
    diameter_column: str | None = None,
    diameter_unit: Literal["auto", "mm", "m"] = "auto",
) -> gpd.GeoDataFrame:
    """Read sewer pipes (any line layer, e.g. a GWSW extract or a 3Di ``leiding`` table).

    Parameters
    ----------
    path
        Vector file with sewer lines.
    layer
        Layer name; optional for single-layer files or layers called ``leiding``/``riool``.
    diameter_column
        Column with the pipe diameter or width. Default: the first of ``diameter_m,
        diameter, diameter_mm, breedte_leiding, cross_section_width, leidingdiameter`` that
        exists; no such column gives ``diameter_m = NaN``.
    diameter_unit
        ``"mm"``, ``"m"`` or ``"auto"``: values with a median above 10 are millimetres
        (sewers are 0.1-3 m wide), otherwise metres. The choice is logged.

    Returns
    -------
    geopandas.GeoDataFrame
        Sewer lines in EPSG:28992 with ``sewer_id`` and ``diameter_m``.
    """
    path = Path(path)
    if diameter_unit not in ("auto", "mm", "m"):
        raise InputError(f"diameter_unit must be 'auto', 'mm' or 'm', not {diameter_unit!r}")
    gdf = read_layer(
        path,
        layer,
        geometry_types=_LINES,
        required_columns=[diameter_column] if diameter_column else [],
        preferred_layers=("leiding", "riool", "sewers", "rioolleiding"),
        what="sewer lines",
    )
    location = where(path, gdf.attrs.get("source_layer"))
    dcol = find_column(
        gdf,
        diameter_column,
        (
            "diameter_m",
            "diameter",
            "diameter_mm",
            "breedte_leiding",
            "cross_section_width",
            "leidingdiameter",
            "dn",
        ),
    )
    out = gdf.copy()
    out["sewer_id"] = _ids(gdf, ("sewer_id", "code", "lokaalID", "gml_id", "id", "fid"))
    if dcol is None:
        out["diameter_m"] = np.nan
        log(f"{location}: no diameter column; sewer diameters unknown")
    else:
        values = _to_float(gdf[dcol])
        unit = diameter_unit
        if unit == "auto":
            median = values.median()
            unit = "mm" if (pd.notna(median) and median > 10) or dcol.endswith("_mm") else "m"
        out["diameter_m"] = values / 1000.0 if unit == "mm" else values
        log(
            f"{location}: sewer diameter from column {dcol!r} read as {unit} "
            f"(median {out['diameter_m'].median():.3f} m)"
        )
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    log(f"sewers: {len(out)} lines, {out.length.sum() / 1000:.2f} km")
    return out


# --------------------------------------------------------------------------- trees
_NUM = r"(\d+(?:\.\d+)?)"
_RANGE = re.compile(_NUM + r"\s*(?:m\.?)?\s*(?:tot|-|–|t/m|to)\s*" + _NUM)
_BELOW = re.compile(r"^(?:tot|<=?|≤|kleiner dan|minder dan|up to)\s*" + _NUM)
_ABOVE = re.compile(_NUM + r"\s*(?:m\.?)?\s*(?:en hoger|en meer|of meer|of hoger|\+|and more)")
_FROM = re.compile(r"^(?:vanaf|>=?|≥|groter dan|meer dan|hoger dan)\s*" + _NUM)
_PLAIN = re.compile(r"^" + _NUM + r"\s*(?:m\.?|meter)?$")


def _parse_one_class(text: str) -> tuple[float, float]:
    t = text.strip().lower().replace(",", ".")
    if m := _RANGE.search(t):
        return float(m.group(1)), float(m.group(2))
    if m := _BELOW.search(t):
        return 0.0, float(m.group(1))
    if m := _ABOVE.search(t):
        return float(m.group(1)), np.nan
    if m := _FROM.search(t):
        return float(m.group(1)), np.nan
    if m := _PLAIN.search(t):
        v = float(m.group(1))
        return v, v
    return np.nan, np.nan


def parse_height_class(values: pd.Series | Sequence[Any]) -> pd.DataFrame:
    """Parse Dutch height (or diameter) classes into metres.

    ``"tot 6 m."`` -> 0-6, ``"9 tot 12 m."`` -> 9-12, ``"24 m. en hoger"`` -> 24-NaN,
    ``"12.5"`` or ``12.5`` -> 12.5-12.5, ``"Onbekend"`` or empty -> NaN.

    Parameters
    ----------
    values
        Class labels or numbers.

    Returns
    -------
    pandas.DataFrame
        Columns ``lower``, ``upper`` and ``middle`` in metres, same index as `values`.
        ``middle`` is the midpoint, or the lower bound of an open-ended top class.
    """
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_numeric_dtype(series):
        num = series.astype(float)
        return pd.DataFrame({"lower": num, "upper": num, "middle": num}, index=series.index)
    text = series.astype("string")
    uniques = text.dropna().unique()
    table = {u: _parse_one_class(str(u)) for u in uniques}
    lower = text.map(lambda v: table[v][0] if pd.notna(v) else np.nan).astype(float)
    upper = text.map(lambda v: table[v][1] if pd.notna(v) else np.nan).astype(float)
    middle = ((lower + upper) / 2).where(upper.notna(), lower)
    return pd.DataFrame({"lower": lower, "upper": upper, "middle": middle}, index=series.index)


def _read_points_csv(
    path: Path,
    *,
    crs: str | None,
    x_column: str | None,
    y_column: str | None,
    wkt_column: str | None,
) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(path, sep=None, engine="python")
    except Exception as exc:
        raise InputError(f"cannot read {path} as CSV: {exc}") from exc
    if len(frame) == 0:
        raise InputError(f"{path} is empty: it holds no rows (tree points expected)")
    wkt = find_column(frame, wkt_column, ("wkt", "geometry", "geom", "the_geom", "wkt_geom"))
    lon = find_column(frame, x_column, ("lon", "lng", "longitude", "x", "rd_x", "x_rd"))
    lat = find_column(frame, y_column, ("lat", "latitude", "y", "rd_y", "y_rd"))
    problems = Problems()
    for name, given in ((wkt_column, wkt), (x_column, lon), (y_column, lat)):
        if name is not None and given is not None:
            check_columns(frame, [given], problems, str(path))
    problems.raise_if_any()
    if wkt is not None and wkt in frame.columns:
        text = frame[wkt].astype("string").str.replace(r"^SRID=\d+;", "", regex=True)
        try:
            geoms = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise InputError(f"{path}: column {wkt!r} does not hold valid WKT: {exc}") from exc
        if crs is None:
            srid = frame[wkt].astype("string").str.extract(r"^SRID=(\d+);")[0].dropna()
            crs = f"EPSG:{srid.iloc[0]}" if len(srid) else None
        gdf = gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=geoms, crs=crs)
    elif lon is not None and lat is not None:
        xs, ys = _to_float(frame[lon]), _to_float(frame[lat])
        if crs is None and xs.abs().max() <= 180 and ys.abs().max() <= 90:
            crs = "EPSG:4326"
            log(f"{path}: coordinates in {lon!r}/{lat!r} read as longitude/latitude (EPSG:4326)")
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=crs)
    else:
        present = ", ".join(map(str, frame.columns))
        raise InputError(
            f"{path} has no coordinates: expected a WKT column (wkt, geometry) or a pair of "
            f"coordinate columns (lon/lat, x/y); columns present: {present}"
        )
    gdf.attrs["source_path"] = str(path)
    return _finish(gdf, str(path), ("Point",), "tree points", Problems())


def read_trees(
    path: PathLike,
    *,
    layer: str | None = None,
    height_column: str | None = None,
    crown_column: str | None = None,
    stem_column: str | None = None,
    crs: str | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    wkt_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read tree points from a vector layer or a CSV (WKT or coordinate columns).

    Parameters
    ----------
    path
        Point layer (GeoPackage, GML, ...) or CSV file.
    layer
        Layer name; optional for single-layer files or layers called ``boom``/``bomen``.
    height_column
        Height class or height in metres. Default: the first of ``Boomhoogte,
        boomhoogteklasse, hoogteklasse, boomhoogte, hoogte, height_m, height``.
    crown_column
        Crown diameter in metres (number or class). Default: ``kroondiameter,
        crown_diameter_m, crown_diameter, kroonbreedte, kroondiameterklasse``.
    stem_column
        Stem diameter (number or class; values with a median above 3 are read as cm).
        Default: ``stamdiameter, stem_diameter_m, stem_diameter, stamdiameterklasse, dbh``.
    crs
        CRS of a CSV's coordinates when not longitude/latitude or EWKT.
    x_column, y_column, wkt_column
        Coordinate columns of a CSV, when not found by their usual names.

    Returns
    -------
    geopandas.GeoDataFrame
        Tree points in EPSG:28992 with the normalised tree columns (see module docs).
    """
    path = Path(path)
    explicit = [c for c in (height_column, crown_column, stem_column) if c is not None]
    if path.suffix.lower() in (".csv", ".txt"):
        gdf = _read_points_csv(
            path, crs=crs, x_column=x_column, y_column=y_column, wkt_column=wkt_column
        )
        location = str(path)
        problems = Problems()
        check_columns(gdf, explicit, problems, location)
        problems.raise_if_any()
    else:
        gdf = read_layer(
            path,
            layer,
            geometry_types=("Point", "MultiPoint"),
            required_columns=explicit,
            preferred_layers=("boom", "bomen", "trees"),
            what="tree points",
        )
        location = where(path, gdf.attrs.get("source_layer"))
        if (gdf.geom_type == "MultiPoint").any():
            raise InputError(f"{location} holds multi-part points; one point per tree expected")
    hcol = find_column(
        gdf,
        height_column,
        (
            "Boomhoogte",
            "boomhoogteklasse",
            "hoogteklasse",
            "boomhoogte",
            "hoogte",
            "height_m",
            "height",
        ),
    )
    ccol = find_column(
        gdf,
        crown_column,
        (
            "kroondiameter",
            "crown_diameter_m",
            "crown_diameter",
            "kroonbreedte",
            "kroondiameterklasse",
        ),
    )
    scol = find_column(
        gdf,
        stem_column,
        ("stamdiameter", "stem_diameter_m", "stem_diameter", "stamdiameterklasse", "dbh"),
    )
    out = gdf.copy()
    out["tree_id"] = _ids(
        gdf, ("tree_id", "OBJECTNUMMER", "boomnummer", "lokaalID", "gml_id", "id")
    )
    if hcol is not None:
        h = parse_height_class(gdf[hcol])
        out["height_class"] = gdf[hcol].astype("string")
        out["height_min_m"], out["height_max_m"], out["height_m"] = (
            h["lower"],
            h["upper"],
            h["middle"],
        )
    else:
        out["height_class"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
        out["height_min_m"] = out["height_max_m"] = out["height_m"] = np.nan
    out["crown_diameter_m"] = parse_height_class(gdf[ccol])["middle"] if ccol else np.nan
    if scol is not None:
        stem = parse_height_class(gdf[scol])["middle"]
        if stem.median() > 3:
            stem = stem / 100.0
            log(f"{location}: stem diameter in {scol!r} read as cm")
        out["stem_diameter_m"] = stem
    else:
        out["stem_diameter_m"] = np.nan
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    known = int(out["height_m"].notna().sum())
    log(
        f"trees: {len(out)} points, {known} with a height, "
        f"{int(out['crown_diameter_m'].notna().sum())} with a crown diameter"
    )
    return out


# --------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` that replaces `path` when the block succeeds.

    On any error the temporary file is removed and an existing `path` stays untouched, so
    a failed run never leaves a half-written output or overwrites a good one.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"output directory {path.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}-tmp-", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: The fixed geometry type of each output layer (docs/outputs.md, polygons as Multi*): the same
#: in every run, also when the layer is empty, so QGIS projects can rely on it.
LAYER_GEOMETRY_TYPES: Mapping[str, str] = {
    "buildings": "MultiPolygon",
    "input_buildings": "MultiPolygon",
    "obstacles": "MultiPolygon",
    "free_corridors": "MultiPolygon",
    "mini_nets": "MultiPolygon",
    "areas": "MultiPolygon",
    "road_segments": "LineString",
    "bottlenecks": "LineString",
    "pipes": "LineString",
    "input_sewers": "MultiLineString",
    "input_trees": "Point",
}


def _geometry_type(name: str, frame: gpd.GeoDataFrame) -> str:
    """Return the layer's fixed type; for other layers the Multi* family it holds."""
    if name in LAYER_GEOMETRY_TYPES:
        return LAYER_GEOMETRY_TYPES[name]
    found = set(frame.geom_type.dropna().unique())
    if found == {"Point"}:
        return "Point"
    for family in ("Polygon", "LineString", "Point"):
        if found and found <= {family, f"Multi{family}"}:
            return f"Multi{family}"
    return "Unknown"


def write_geopackage(layers: Mapping[str, pd.DataFrame], path: PathLike) -> Path:
    """Write several layers into one GeoPackage atomically.

    All layers are written into a temporary file beside `path`, which then replaces `path`
    in one rename. A failure leaves an existing `path` untouched and no partial file. Every
    spatial layer gets a fixed geometry type (:data:`LAYER_GEOMETRY_TYPES`; polygons are
    written as MultiPolygon), also when it is empty.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer) or DataFrame (attribute table).
    path
        Output ``.gpkg`` file.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"output {path} must be a GeoPackage ending in .gpkg")
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame = _flatten_lists(frame)
                gtype = _geometry_type(name, frame)
                single = gtype in ("LineString", "Point", "Polygon")
                if single and frame.geom_type.dropna().str.startswith("Multi").any():
                    raise ValueError(f"layer {name!r} must hold single {gtype} geometries")
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    geometry_type=gtype,
                    promote_to_multi=gtype.startswith("Multi"),
                )
            else:
                pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
    log(f"wrote {len(layers)} layers to {path}")
    return path
