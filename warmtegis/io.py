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
from ._plausible import (
    check_coordinates,
    check_label,
    in_range,
    parse_decimal,
    repair_polygons,
    unique_ids,
)
from ._validate import Problems, check_columns, check_geometry, find_column, where
from .outputs import atomic_path

__all__ = [
    "BAG_DROP_STATUS",
    "PDOK_SHORT_NAMES",
    "atomic_path",
    "attach_verblijfsobjecten",
    "list_layers",
    "parse_height_class",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_roads",
    "read_sewers",
    "read_trees",
    "read_verblijfsobjecten",
    "rename_columns",
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
    if not _is_vsi(path) and not path.exists():
        raise InputError(f"file not found: {path}")
    try:
        return [str(name) for name, _ in pyogrio.list_layers(str(path))]
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
    """OSM XML: by its name, or an ``.xml`` whose root element is ``<osm>``."""
    name = path.name.lower()
    if name.endswith(".xml"):
        try:
            with open(path, "rb") as fh:
                head = fh.read(2048)
        except OSError:
            return False
        return b"<osm" in head
    return any(name.endswith(s) for s in _OSM_SUFFIXES if s != ".xml")


def _is_pbf(path: Path) -> bool:
    return path.name.lower().endswith(".pbf")


@contextlib.contextmanager
def _osm_xml(path: Path, way_tag: str | None = None) -> Iterator[Path]:
    """Yield a trimmed OSM XML copy of `path`, removed afterwards.

    ``.osm``, ``.osm.bz2`` and ``.osm.gz`` are read as XML; ``.osm.pbf`` is converted with
    pyosmium first.
    """
    source = path
    converted = None
    if _is_pbf(path):
        import osmium

        fd, name = tempfile.mkstemp(suffix=".osm", prefix="warmtegis-pbf-")
        os.close(fd)
        converted = Path(name)
        try:
            writer = osmium.SimpleWriter(str(converted), overwrite=True)
            try:
                for obj in osmium.FileProcessor(str(path)):
                    writer.add(obj)
            finally:
                writer.close()
        except RuntimeError as exc:
            converted.unlink(missing_ok=True)
            raise InputError(f"cannot read {path} as OpenStreetMap PBF: {exc}") from exc
        source = converted
    try:
        tmp, _, _ = _trimmed_osm_copy(source, shown=path, way_tag=way_tag)
    finally:
        if converted is not None:
            converted.unlink(missing_ok=True)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


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
    check_label(gdf, location)
    original = gdf
    if not gdf.crs.equals(settings.crs):
        log(
            f"{location}: reprojected {len(gdf)} features from {gdf.crs.to_string()} "
            f"to {settings.crs}"
        )
        gdf = gdf.to_crs(settings.crs)
    gdf = check_coordinates(gdf, location, original)
    if set(allowed) & set(_POLYGONS):
        gdf = repair_polygons(gdf, location)
    return gdf


def read_layer(
    path: PathLike,
    layer: str | None = None,
    *,
    geometry_types: Iterable[str] = _POLYGONS + _LINES + ("Point", "MultiPoint"),
    required_columns: Iterable[str] = (),
    preferred_layers: Sequence[str] = (),
    what: str = "features",
    columns: Mapping[str, str] | None = None,
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
    columns
        Column names to use: ``{name warmtegis looks for: name in the file}``, e.g.
        ``{"identificatie": "pand_id"}``; the file's column is renamed before anything else.

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
        gdf = gpd.read_file(str(path), layer=name, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read {location}: {exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(f"{location} has no geometry column ({what} expected)")
    if path.suffix.lower() == ".shp" and not any(
        path.with_suffix(ext).exists() for ext in (".dbf", ".DBF")
    ):
        log(
            f"{path}: the shapefile has no .dbf beside it, so its features have no "
            "attributes; copy the .dbf along to use them",
            logging.WARNING,
        )
    gdf = rename_columns(gdf, columns, location)
    problems = Problems()
    check_columns(gdf, required_columns, problems, location)
    gdf = _finish(gdf, location, geometry_types, what, problems)
    gdf = _single_parts(gdf)
    gdf.attrs["source_path"] = str(path)
    gdf.attrs["source_layer"] = name
    log(f"read {len(gdf)} {what} from {location}")
    return gdf


def rename_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | None, location: str
) -> pd.DataFrame:
    """Rename the file's columns to the names warmtegis looks for (a reader's `columns`).

    Raises
    ------
    InputError
        When a named file column does not exist.
    """
    if not columns:
        return frame
    if not isinstance(columns, Mapping):
        raise InputError(
            f"{location}: columns must map the name warmtegis looks for to the file's column, "
            f'e.g. {{"identificatie": "pand_id"}}, not {columns!r}'
        )
    missing = [f"{c!r} (for {k!r})" for k, c in columns.items() if c not in frame.columns]
    if missing:
        present = ", ".join(map(str, frame.columns))
        raise InputError(
            f"{location} has no column {', '.join(missing)} named in columns = {{...}}; "
            f"columns present: {present}"
        )
    renamed = {c: k for k, c in columns.items() if c != k}
    clash = [k for c, k in renamed.items() if k in frame.columns and k not in renamed]
    frame = frame.drop(columns=clash).rename(columns=renamed)
    log(f"{location}: columns " + ", ".join(f"{c!r} read as {k!r}" for c, k in renamed.items()))
    return frame


def _to_str_ids(values: pd.Series) -> pd.Series:
    """Return ids as strings; floats that are whole numbers lose their '.0'."""
    if pd.api.types.is_float_dtype(values):
        out = values.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    else:
        out = values.astype("string").fillna("")
    return out.astype(str)


def _ids(frame: pd.DataFrame, candidates: Sequence[str], location: str = "") -> pd.Series:
    """Return unique string ids from the first candidate column present, else row numbers.

    Null and repeated ids are made unique with a warning (:func:`unique_ids`).
    """
    col = find_column(frame, None, candidates)
    if col is not None:
        return unique_ids(_to_str_ids(frame[col]), location or "input", col)
    return pd.Series(np.arange(len(frame)), index=frame.index).astype(str)


def _to_int(values: pd.Series) -> pd.Series:
    return parse_decimal(values).round().astype("Int64")


def _to_float(values: pd.Series) -> pd.Series:
    """Numbers from a column; Dutch decimal commas are read (``'112,5'`` -> 112.5)."""
    return parse_decimal(values)


# --------------------------------------------------------------------------- OSM files
def _open_xml(path: Path) -> Any:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _trimmed_osm_copy(
    path: Path, shown: Path | None = None, way_tag: str | None = None
) -> tuple[Path, int, int]:
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
    shown = shown or path
    try:
        with _open_xml(path) as fh:
            head = fh.read(200)
        # expat does not know the alias "utf8" (common in exports): read such files as UTF-8
        declared = re.search(rb"""encoding\s*=\s*["']([^"']+)["']""", head)
        alias = declared is not None and declared.group(1).lower() in (b"utf8", b"utf_8")
        parser = ET.XMLParser(encoding="utf-8") if alias else None
        with _open_xml(path) as fh:
            tree = ET.parse(fh, parser=parser)
    except (ET.ParseError, OSError, EOFError) as exc:
        raise InputError(f"cannot read {shown} as OpenStreetMap XML: {exc}") from exc
    path = shown
    root = tree.getroot()
    if root.tag != "osm":
        raise InputError(
            f"{path} is not OpenStreetMap XML: root element <{root.tag}>, expected <osm>"
        )
    nodes = {el.get("id") for el in root.iter("node")}
    if way_tag is not None:  # e.g. only highway=* ways make streets (not rail, fences)
        other = [
            w for w in root.findall("way") if not any(t.get("k") == way_tag for t in w.iter("tag"))
        ]
        for way in other:
            root.remove(way)
        if other:
            log(f"{shown}: left out {len(other)} ways without a {way_tag} tag")
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

    if graph.number_of_edges() == 0:
        raise InputError(f"{origin} holds no OpenStreetMap streets (ways tagged highway=*)")
    undirected = ox.convert.to_undirected(graph)
    nodes, edges = ox.convert.graph_to_gdfs(undirected)
    edges = edges.reset_index()
    # a two-way street may survive to_undirected as two parallel edges of the same line
    twin = pd.Series(shapely.to_wkb(shapely.normalize(edges.geometry.values))).duplicated()
    if twin.any():
        log(f"{origin}: {int(twin.sum())} streets held twice (both directions) kept once")
        edges = edges[~twin.to_numpy()].reset_index(drop=True)
    edges = _flatten_lists(edges)
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

    with _osm_xml(path, way_tag="highway") as tmp:
        try:
            graph = ox.graph_from_xml(tmp, bidirectional=False, simplify=True, retain_all=True)
        except Exception as exc:
            raise InputError(
                f"cannot build a street graph from {path}: {exc}; does it hold highway=* ways?"
            ) from exc
    return _finish_osm(_osm_graph_to_roads(graph, str(path)), str(path), _LINES, "roads")


def _finish_osm(
    gdf: gpd.GeoDataFrame, location: str, allowed: Iterable[str], what: str
) -> gpd.GeoDataFrame:
    """Run the checks every layer gets (area of use, polygon repair) on an OSM layer."""
    out = check_coordinates(gdf, location)
    if set(allowed) & set(_POLYGONS):
        out = repair_polygons(out, location)
    out.attrs.update(gdf.attrs)
    out.attrs["source_path"] = location
    return out


def _osm_features(path: Path, tags: dict[str, Any], what: str) -> gpd.GeoDataFrame:
    """Features of an OSM file with the given tags (osmnx), in EPSG:28992."""
    import osmnx as ox

    with _osm_xml(path) as tmp:
        try:
            feats = ox.features_from_xml(tmp, tags=tags)
        except Exception as exc:
            if "No matching features" in str(exc) or "InsufficientResponse" in type(exc).__name__:
                feats = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
            else:
                raise InputError(f"cannot read OpenStreetMap {what} from {path}: {exc}") from exc
    return feats


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
    feats = _osm_features(path, {"building": True}, "buildings")
    # only polygons tagged building=* (not building=no); parks, water, landuse are not
    is_building = (
        feats["building"].astype("string").str.lower().ne("no").fillna(False).astype(bool)
        if "building" in feats
        else pd.Series(False, index=feats.index)
    )
    dropped = int((~is_building).sum())
    feats = feats[is_building & feats.geom_type.isin(_POLYGONS)].reset_index()
    if len(feats) == 0:
        raise InputError(f"{path} holds no OpenStreetMap building polygons (building=*)")
    if dropped:
        log(f"{path}: left out {dropped} OSM features that are not buildings")
    feats = _flatten_lists(feats)
    feats["osm_id"] = feats["element"].astype(str) + "/" + feats["id"].astype(str)
    return _finish_osm(feats.to_crs(settings.crs), str(path), _POLYGONS, "buildings")


def _read_osm_trees(path: Path) -> gpd.GeoDataFrame:
    """Trees of an OSM file: nodes tagged ``natural=tree`` only (not every tagged node)."""
    feats = _osm_features(path, {"natural": "tree"}, "trees")
    if len(feats):
        feats = feats[
            feats["natural"].astype("string").eq("tree").fillna(False).astype(bool)
            & feats.geom_type.eq("Point")
        ]
    if len(feats) == 0:
        raise InputError(f"{path} holds no OpenStreetMap trees (nodes with natural=tree)")
    feats = _flatten_lists(feats.reset_index())
    feats["tree_id"] = feats["element"].astype(str) + "/" + feats["id"].astype(str)
    return _finish_osm(feats.to_crs(settings.crs), str(path), ("Point",), "trees")


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
    columns: Mapping[str, str] | None = None,
    verblijfsobjecten: PathLike | gpd.GeoDataFrame | None = None,
    verblijfsobjecten_layer: str | None = None,
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
    columns
        ``{BAG name: column in the file}`` for columns under other names, e.g.
        ``{"identificatie": "pand_id", "aantal_verblijfsobjecten": "n_vbo"}``. The
        10-character names of PDOK's shapefile export (``identifica``, ``gebruiksdo``,
        ``oppervlakt``, ``oppervla_1``, ``aantal_ver``, ``oorspronke``) are recognised
        without it, with a warning.
    verblijfsobjecten
        BAG verblijfsobjecten (a file or a frame, :func:`read_verblijfsobjecten`): each
        pand's use, number of units and floor area are then counted from them, which is the
        register's own count (panden without a verblijfsobject have none).
    verblijfsobjecten_layer
        Layer of the verblijfsobjecten file.

    Returns
    -------
    geopandas.GeoDataFrame
        Footprints in EPSG:28992 with the normalised building columns (see module docs).
    """
    path = Path(path)
    if _is_osm(path) or _is_pbf(path):
        gdf = _read_osm_buildings(path)
        location = str(path)
    else:
        path, layer = _lvbag_source(path, layer, "PND")
        gdf = read_layer(
            path,
            layer,
            geometry_types=_POLYGONS,
            preferred_layers=("pand", "Pand", "buildings", "building"),
            what="buildings",
            columns=columns,
        )
        location = where(path, gdf.attrs.get("source_layer"))
        gdf = _pdok_names(gdf, location)
    out = gdf.copy()
    cols = set(gdf.columns)
    if _is_osm(path) or _is_pbf(path):
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
        if "oorspronkelijkbouwjaar" in cols and "oorspronkelijkBouwjaar" not in cols:
            out = out.rename(columns={"oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar"})
            gdf = gdf.rename(columns={"oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar"})
            cols = set(gdf.columns)
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
            out["building_id"] = _ids(
                gdf, ("identificatie", "lokaalID", "gml_id", "id", "fid"), location
            )
        year = gdf[year_col] if year_col else pd.Series(pd.NA, index=gdf.index)
        if year_col:
            year = in_range(_to_float(year), "year_built", location, year_col)
        out["year_built"] = _to_int(year)
        status_col = (
            "status" if "status" in cols else ("bgt-status" if "bgt-status" in cols else None)
        )
        out["status"] = gdf[status_col].astype("string") if status_col else pd.NA
        out["use"] = gdf["gebruiksdoel"].astype("string") if "gebruiksdoel" in cols else pd.NA
        out["n_units"] = (
            _to_int(
                in_range(
                    _to_float(gdf["aantal_verblijfsobjecten"]),
                    "n_units",
                    location,
                    "aantal_verblijfsobjecten",
                )
            )
            if "aantal_verblijfsobjecten" in cols
            else pd.Series(pd.NA, index=gdf.index, dtype="Int64")
        )
        if kind == "bag":
            lacking = [c for c in ("gebruiksdoel", "aantal_verblijfsobjecten") if c not in cols]
            if lacking:
                log(
                    f"{location} looks like BAG panden but has no column "
                    f"{' or '.join(map(repr, lacking))}: use and dwellings per pand will be "
                    "guessed from the footprint (counted in the buildings stage); name the "
                    "columns with columns = {...} or give the verblijfsobjecten",
                    logging.WARNING,
                )
    for src, dst in (
        ("oppervlakte_min", "floor_area_min_m2"),
        ("oppervlakte_max", "floor_area_max_m2"),
    ):
        out[dst] = (
            in_range(_to_float(gdf[src]), "floor_area_m2", location, src) if src in cols else np.nan
        )
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
    out["building_id"] = unique_ids(out["building_id"], location, "building_id")
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    if verblijfsobjecten is not None:
        vbo = (
            verblijfsobjecten
            if isinstance(verblijfsobjecten, gpd.GeoDataFrame)
            else read_verblijfsobjecten(verblijfsobjecten, layer=verblijfsobjecten_layer)
        )
        out = attach_verblijfsobjecten(out, vbo)
    log(f"buildings: {len(out)} {kind} footprints, {out['footprint_m2'].sum() / 1e4:.1f} ha")
    return out


#: The 10-character field names of PDOK's BAG shapefile export and what they stand for.
PDOK_SHORT_NAMES: Mapping[str, str] = {
    "identifica": "identificatie",
    "gebruiksdo": "gebruiksdoel",
    "oppervlakt": "oppervlakte_min",
    "oppervla_1": "oppervlakte_max",
    "aantal_ver": "aantal_verblijfsobjecten",
    "oorspronke": "oorspronkelijkBouwjaar",
    "oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar",
}


def _pdok_names(gdf: gpd.GeoDataFrame, location: str) -> gpd.GeoDataFrame:
    """Rename PDOK's truncated shapefile names to the BAG names, with a warning."""
    rename = {
        short: full
        for short, full in PDOK_SHORT_NAMES.items()
        if short in gdf.columns and full not in gdf.columns
    }
    if not rename:
        return gdf
    log(
        f"{location}: read the truncated column names of a shapefile export as BAG names: "
        + ", ".join(f"{a!r} as {b!r}" for a, b in rename.items())
        + " (give columns = {...} if that guess is wrong)",
        logging.WARNING if any(k != "oorspronkelijkbouwjaar" for k in rename) else logging.INFO,
    )
    return gdf.rename(columns=rename)


# --------------------------------------------------------------------------- BAG delivery
#: LVBAG object-type codes in the names of a delivery's per-type zips (9999PND15092020.zip).
_LVBAG_CODES = {"Pand": "PND", "Verblijfsobject": "VBO"}


def _is_vsi(path: PathLike) -> bool:
    return str(path).startswith("/vsi")


def _lvbag_source(path: Path, layer: str | None, code: str) -> tuple[Path, str | None]:
    """Where GDAL reads a zip from: a delivery of zips per object type, or one zip.

    A Kadaster LVBAG delivery is a zip of zips (``9999PND15092020.zip``, ...), each
    holding BAG 2.0 XML; GDAL's LVBAG driver reads them through nested ``/vsizip/`` paths. A
    directory of unzipped XML and a single XML file are read by that driver directly.
    """
    if _is_vsi(path) or path.suffix.lower() != ".zip" or not path.is_file():
        return path, layer
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"cannot open {path} as a zip archive: {exc}") from exc
    inner = [n for n in names if n.lower().endswith(".zip") and code in Path(n).name.upper()[:8]]
    if inner:
        log(f"{path}: reading the LVBAG delivery's {inner[0]}")
        return Path(f"/vsizip/{{/vsizip/{{{path.resolve()}}}/{inner[0]}}}"), layer
    if not [n for n in names if not n.endswith("/")]:
        raise InputError(f"{path} is an empty zip archive")
    return Path(f"/vsizip/{{{path.resolve()}}}"), layer


_VBO_GONE = (
    "Niet gerealiseerd verblijfsobject",
    "Verblijfsobject ingetrokken",
    "Verblijfsobject ten onrechte opgevoerd",
)


def _as_list(value: Any) -> list[str]:
    """Return a BAG list field as a list: from a list (LVBAG) or ``{a,b}`` text (export)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value if v is not None]
    text = str(value).strip().strip("{}[]")
    return [t.strip().strip('"') for t in text.split(",") if t.strip()]


def read_verblijfsobjecten(
    path: PathLike,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read BAG verblijfsobjecten: the register's units, their use, floor area and pand.

    Reads a GeoPackage/shapefile layer (``verblijfsobject``), an LVBAG delivery (zip of
    zips, ``9999VBO*.zip``, XML) or a ``/vsizip/`` path. List fields may be lists (LVBAG)
    or text such as ``{woonfunctie,winkelfunctie}`` (a BAG database export).

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``vbo_id``, ``pand_id`` (16 digits; a unit in several panden has one row
        per pand), ``use`` (uses joined with ``,``), ``floor_area_m2``, ``status`` and
        ``address_id`` (hoofdadres nummeraanduiding, 16 digits). Withdrawn, never realised
        and ended (``eindGeldigheid`` set) units are dropped with a count.
    """
    path = Path(path)
    path, layer = _lvbag_source(path, layer, "VBO")
    gdf = read_layer(
        path,
        layer,
        geometry_types=("Point", "MultiPoint", "Polygon", "MultiPolygon"),
        preferred_layers=("verblijfsobject", "Verblijfsobject"),
        what="verblijfsobjecten",
        columns=columns,
    )
    location = where(path, gdf.attrs.get("source_layer"))
    lower = {str(c).lower(): c for c in gdf.columns}
    problems = Problems()
    need = {"identificatie": "the unit id", "pandref": "the pand it lies in"}
    for key, why in need.items():
        if key not in lower:
            problems.add(
                f"{location} has no column {key!r} ({why}); columns present: "
                f"{', '.join(map(str, gdf.columns))}"
            )
    problems.raise_if_any()

    def col(name: str) -> pd.Series:
        return gdf[lower[name]] if name in lower else pd.Series(pd.NA, index=gdf.index)

    keep = ~col("status").astype("string").isin(_VBO_GONE).fillna(False).astype(bool)
    if "eindgeldigheid" in lower:
        keep &= col("eindgeldigheid").isna()
    if (~keep).any():
        log(f"{location}: dropped {int((~keep).sum())} withdrawn or ended verblijfsobjecten")
    gdf = gdf[keep]
    if gdf.geom_type.isin(_POLYGONS).any():
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
    vbo_id = (
        col("identificatie")[gdf.index]
        .astype("string")
        .str.replace(r"^NL\.IMBAG\.Verblijfsobject\.", "", regex=True)
    )
    use = col("gebruiksdoel")[gdf.index].map(lambda v: ",".join(_as_list(v)))
    area = in_range(
        _to_float(col("oppervlakte")[gdf.index]), "floor_area_m2", location, "oppervlakte"
    )
    address = (
        col("hoofdadresnummeraanduidingref")[gdf.index]
        .astype("string")
        .str.replace(r"^NL\.IMBAG\.Nummeraanduiding\.", "", regex=True)
    )
    panden = col("pandref")[gdf.index].map(_as_list)
    out = gpd.GeoDataFrame(
        {
            "vbo_id": unique_ids(vbo_id, location, "identificatie").to_numpy(),
            "pand_id": panden.to_numpy(),
            "use": use.astype("string").to_numpy(),
            "floor_area_m2": area.to_numpy(),
            "status": col("status")[gdf.index].astype("string").to_numpy(),
            "address_id": address.to_numpy(),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=settings.crs,
    ).explode("pand_id", ignore_index=True)
    no_pand = out["pand_id"].isna()
    if no_pand.any():
        log(
            f"{location}: {int(no_pand.sum())} verblijfsobjecten name no pand (pandref) "
            "and are left out",
            logging.WARNING,
        )
        out = out[~no_pand]
    out["pand_id"] = _bag_id(out["pand_id"].astype(str))
    out = out.reset_index(drop=True)
    out.attrs["source_path"] = str(path)
    log(f"verblijfsobjecten: {out['vbo_id'].nunique()} units in {out['pand_id'].nunique()} panden")
    return out


def attach_verblijfsobjecten(
    buildings: gpd.GeoDataFrame, vbo: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Count each pand's units, uses and floor area from its verblijfsobjecten.

    Sets ``n_units`` (units per pand; 0 for a pand without one: a shed, a garage), ``use``
    (the units' uses, joined with ``,``) and ``floor_area_min_m2``/``floor_area_max_m2``,
    as the BAG's own pand view does. Units whose pand is not among the buildings are
    counted in a warning (the two layers may be cut differently).
    """
    ids = buildings["building_id"].astype(str)
    inside = vbo["pand_id"].isin(set(ids))
    if not inside.any():
        raise InputError(
            f"the verblijfsobjecten ({vbo.attrs.get('source_path', 'given')}) name none of the "
            f"{len(buildings)} panden ({buildings.attrs.get('source_path', 'buildings')}) in "
            "their pandref; are they from the same area and the same BAG delivery?"
        )
    if (~inside).any():
        log(
            f"{int((~inside).sum())} of {len(vbo)} verblijfsobjecten lie in panden that are "
            "not among the buildings (cut differently?); they are left out",
            logging.WARNING,
        )
    v = vbo[inside]
    grouped = v.groupby("pand_id")
    n = grouped.size()
    uses = grouped["use"].agg(
        lambda s: ",".join(sorted({u for x in s.dropna() for u in str(x).split(",") if u}))
    )
    out = buildings.copy()
    out["n_units"] = ids.map(n).fillna(0).astype("Int64").to_numpy()
    out["use"] = ids.map(uses).astype("string").to_numpy()
    out["floor_area_min_m2"] = ids.map(grouped["floor_area_m2"].min()).astype(float).to_numpy()
    out["floor_area_max_m2"] = ids.map(grouped["floor_area_m2"].max()).astype(float).to_numpy()
    log(
        f"verblijfsobjecten: {int(n.sum())} units in {len(n)} of {len(out)} panden; "
        f"{int((out['n_units'] == 0).sum())} panden hold none"
    )
    return out


# --------------------------------------------------------------------------- roads
_WIDTH_CANDIDATES = ("width_m", "wegbreedte", "breedte", "verhardingsbreedte", "width")


def read_roads(
    path: PathLike,
    *,
    layer: str | None = None,
    width_column: str | None = None,
    function_column: str | None = "function",
    columns: Mapping[str, str] | None = None,
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
    """
    path = Path(path)
    if _is_osm(path) or _is_pbf(path):
        return _read_osm_roads_file(path)
    gdf = read_layer(
        path,
        layer,
        geometry_types=_POLYGONS + _LINES,
        required_columns=[width_column] if width_column else [],
        preferred_layers=("wegvakken", "wegdeel", "roads"),
        what="roads",
        columns=columns,
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
        out["segment_id"] = _ids(gdf, ("lokaalID", "gml_id", "identificatie", "id"), location)
        out["road_type"] = gdf[fcol].astype("string") if fcol else pd.NA
        out["street_name"] = pd.NA
        out["node_from"] = pd.NA
        out["node_to"] = pd.NA
        source = "bgt" if fcol else "polygons"
    else:
        problems.raise_if_any()
        if "wvk_id" in cols:
            source = "nwb"
            out["segment_id"] = unique_ids(_to_str_ids(gdf["wvk_id"]), location, "wvk_id")
            out["node_from"] = _to_str_ids(gdf["jte_id_beg"]) if "jte_id_beg" in cols else pd.NA
            out["node_to"] = _to_str_ids(gdf["jte_id_end"]) if "jte_id_end" in cols else pd.NA
        else:
            source = "lines"
            out["segment_id"] = _ids(gdf, ("segment_id", "id", "fid", "gml_id"), location)
            out["node_from"] = pd.NA
            out["node_to"] = pd.NA
        ncol = find_column(gdf, None, ("stt_naam", "straatnaam", "name", "naam"))
        out["street_name"] = gdf[ncol].astype("string") if ncol else pd.NA
        tcol = find_column(gdf, None, ("wegbehsrt", "road_type", "highway", "type"))
        out["road_type"] = gdf[tcol].astype("string") if tcol else pd.NA
    out["width_m"] = in_range(_to_float(gdf[wcol]), "width_m", location, wcol) if wcol else np.nan
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
def _rib_xy(text: str) -> tuple[float, float] | None:
    """``'141406.38/486672.00'`` -> (x, y); blank or malformed -> None."""
    parts = text.strip().replace(",", ".").split("/")
    if len(parts) != 2:
        return None
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (x, y) if np.isfinite(x) and np.isfinite(y) else None


def _rib_mm(text: str) -> float:
    text = text.strip()
    return float(text) if text.isdigit() else np.nan


def read_sufrib(paths: PathLike | Sequence[PathLike]) -> gpd.GeoDataFrame:
    """Read sewer pipes from SUFRIB 2.1 inspection files (``.RIB``, docs/inputs.md).

    Each ``*RIOO`` record is one pipe from its start to its end node; a node's coordinate
    comes from its ``*PUT`` record when there is one, else from the pipe record. Pipes seen
    in several files (re-inspections) are kept once (the unordered node pair). Pipes without
    two coordinates are skipped and counted.

    Parameters
    ----------
    paths
        One ``.RIB`` file or several of one area.

    Returns
    -------
    geopandas.GeoDataFrame
        Lines in EPSG:28992 with ``sewer_id`` (the pipe reference), ``node_from``,
        ``node_to``, ``street``, ``profile`` (shape code), ``height_mm``, ``width_mm`` and
        ``diameter_mm`` (the profile width, else its height).
    """
    files = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    rows: list[dict[str, Any]] = []
    puts: dict[str, tuple[float, float]] = {}
    skipped = 0
    for file in files:
        try:
            text = file.read_bytes().decode("latin-1")
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from exc
        lines = text.splitlines()
        if not lines or not lines[0].startswith("*ALGE"):
            raise InputError(
                f"{file} is not a SUFRIB file: it must start with an *ALGE record "
                f"(found {lines[0][:20]!r} )"
                if lines
                else f"{file} is empty"
            )
        for line in lines:
            if line.startswith("*PUT"):
                xy = _rib_xy(line[36:55])
                if xy is not None:
                    puts[line[5:35].strip()] = xy
        for line in lines:
            if not line.startswith("*RIOO"):
                continue
            rows.append(
                {
                    "sewer_id": line[6:36].strip(),
                    "node_from": line[88:118].strip(),
                    "xy_from": _rib_xy(line[119:138]),
                    "node_to": line[139:169].strip(),
                    "xy_to": _rib_xy(line[170:189]),
                    "street": line[200:230].strip(),
                    "profile": line[396:398].strip(),
                    "height_mm": _rib_mm(line[399:403]),
                    "width_mm": _rib_mm(line[404:408]),
                    "file": file.name,
                }
            )
    if not rows:
        raise InputError(f"{', '.join(map(str, files))}: no *RIOO (pipe) records")
    frame = pd.DataFrame(rows)
    for end in ("from", "to"):
        frame[f"xy_{end}"] = [
            puts.get(n, xy) for n, xy in zip(frame[f"node_{end}"], frame[f"xy_{end}"], strict=True)
        ]
    ok = frame["xy_from"].notna() & frame["xy_to"].notna()
    skipped = int((~ok).sum())
    frame = frame[ok]
    ends = zip(frame["node_from"], frame["node_to"], frame["sewer_id"], strict=True)
    pair = [
        "|".join(sorted((a, b))) if a and b else f"{sid}#{i}" for i, (a, b, sid) in enumerate(ends)
    ]
    dup = pd.Series(pair, index=frame.index).duplicated()
    frame = frame[~dup.to_numpy()]
    coords = np.stack(
        [np.array(frame["xy_from"].tolist()), np.array(frame["xy_to"].tolist())], axis=1
    )
    geoms = shapely.linestrings(coords)
    frame = frame.drop(columns=["xy_from", "xy_to"])
    frame["diameter_mm"] = frame["width_mm"].where(frame["width_mm"] > 0, frame["height_mm"])
    location = ", ".join(map(str, files))
    if skipped or dup.any():
        log(
            f"{location}: {skipped} pipes without two coordinates skipped, "
            f"{int(dup.sum())} repeated pipes (re-inspections) kept once",
            logging.WARNING if skipped else logging.INFO,
        )
    gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geoms, crs=settings.crs)
    zero = gdf.length.to_numpy() == 0
    if zero.any():
        log(f"{location}: {int(zero.sum())} pipes of zero length skipped", logging.WARNING)
        gdf = gdf[~zero].reset_index(drop=True)
    gdf = check_coordinates(gdf, location)
    gdf.attrs["source_path"] = location
    log(f"SUFRIB: {len(gdf)} pipes from {len(files)} file(s), {gdf.length.sum() / 1000:.2f} km")
    return gdf


def read_sewers(
    path: PathLike,
    *,
    layer: str | None = None,
    diameter_column: str | None = None,
    diameter_unit: Literal["auto", "mm", "m"] = "auto",
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read sewer pipes: any line layer (GWSW extract, 3Di ``leiding``) or SUFRIB ``.RIB``.

    Parameters
    ----------
    path
        Vector file with sewer lines, a SUFRIB 2.1 ``.RIB`` file or a folder of them
        (:func:`read_sufrib`; diameters in mm).
    layer
        Layer name; optional for single-layer files or layers called ``leiding``/``riool``.
    diameter_column
        Column with the pipe diameter or width. Default: the first of ``diameter_m,
        diameter, diameter_mm, breedte_leiding, cross_section_width, leidingdiameter`` that
        exists; no such column gives ``diameter_m = NaN``.
    diameter_unit
        ``"mm"``, ``"m"`` or ``"auto"``: values with a median above 10 are millimetres
        (sewers are 0.1-3 m wide), otherwise metres. The choice is logged. Diameters outside
        0.05-5 m are read as unknown and counted in a warning.
    columns
        ``{name warmtegis looks for: column in the file}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Sewer lines in EPSG:28992 with ``sewer_id`` and ``diameter_m``.
    """
    path = Path(path)
    if diameter_unit not in ("auto", "mm", "m"):
        raise InputError(f"diameter_unit must be 'auto', 'mm' or 'm', not {diameter_unit!r}")
    if path.suffix.lower() == ".rib" or (path.is_dir() and list(path.glob("*.[rR][iI][bB]"))):
        ribs = sorted(path.glob("*.[rR][iI][bB]")) if path.is_dir() else [path]
        gdf = rename_columns(read_sufrib(ribs), columns, str(path))
        location = str(path)
        if diameter_column is None and "diameter_mm" in gdf:
            diameter_column, diameter_unit = "diameter_mm", "mm"
    else:
        gdf = read_layer(
            path,
            layer,
            geometry_types=_LINES,
            required_columns=[diameter_column] if diameter_column else [],
            preferred_layers=("leiding", "riool", "sewers", "rioolleiding"),
            what="sewer lines",
            columns=columns,
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
    out["sewer_id"] = _ids(gdf, ("sewer_id", "code", "lokaalID", "gml_id", "id", "fid"), location)
    if dcol is None:
        out["diameter_m"] = np.nan
        log(f"{location}: no diameter column; sewer diameters unknown")
    else:
        values = _to_float(gdf[dcol])
        unit = diameter_unit
        if unit == "auto":
            median = values.median()
            unit = "mm" if (pd.notna(median) and median > 10) or dcol.endswith("_mm") else "m"
        values = values / 1000.0 if unit == "mm" else values
        out["diameter_m"] = in_range(values, "diameter_m", location, f"{dcol} ({unit})")
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
_PLAIN = re.compile(r"^(-?" + _NUM[1:] + r"\s*(?:m\.?|meter)?$")


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


_UNKNOWN_WORDS = ("", "onbekend", "unknown", "nvt", "n.v.t.", "-", "?")


def _count_unread(raw: pd.Series, parsed: pd.Series, location: str, column: str, what: str) -> None:
    """Warn about filled values that could not be read as numbers or classes."""
    text = raw.astype("string").str.strip().str.lower()
    unread = raw.notna() & parsed.isna() & ~text.isin(_UNKNOWN_WORDS).fillna(True)
    if unread.any():
        examples = ", ".join(repr(v) for v in raw[unread].astype(str).unique()[:3])
        log(
            f"{location}: {int(unread.sum())} values of {column!r} could not be read as "
            f"{what} (e.g. {examples}) and are unknown",
            logging.WARNING,
        )


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
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read tree points from a vector layer, a CSV (WKT or coordinates) or OSM (XML or PBF).

    From OpenStreetMap only nodes tagged ``natural=tree`` are trees (their ``height`` tag
    is the height). Heights, crown and stem diameters outside plausible ranges are read as
    unknown and counted in a warning.

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
    columns
        ``{name warmtegis looks for: column in the file}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Tree points in EPSG:28992 with the normalised tree columns (see module docs).
    """
    path = Path(path)
    explicit = [c for c in (height_column, crown_column, stem_column) if c is not None]
    if _is_osm(path) or _is_pbf(path):
        gdf = rename_columns(_read_osm_trees(path), columns, str(path))
        location = str(path)
        problems = Problems()
        check_columns(gdf, explicit, problems, location)
        problems.raise_if_any()
    elif path.suffix.lower() in (".csv", ".txt"):
        gdf = _read_points_csv(
            path, crs=crs, x_column=x_column, y_column=y_column, wkt_column=wkt_column
        )
        gdf = rename_columns(gdf, columns, str(path))
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
            columns=columns,
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
        gdf, ("tree_id", "OBJECTNUMMER", "boomnummer", "lokaalID", "gml_id", "id"), location
    )
    if hcol is not None:
        h = parse_height_class(gdf[hcol])
        _count_unread(gdf[hcol], h["middle"], location, hcol, "a height")
        out["height_class"] = gdf[hcol].astype("string")
        middle = in_range(h["middle"], "height_m", location, hcol)
        gone = middle.isna() & h["middle"].notna()
        out["height_min_m"], out["height_max_m"], out["height_m"] = (
            h["lower"].mask(gone),
            h["upper"].mask(gone),
            middle,
        )
    else:
        out["height_class"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
        out["height_min_m"] = out["height_max_m"] = out["height_m"] = np.nan
    out["crown_diameter_m"] = (
        in_range(parse_height_class(gdf[ccol])["middle"], "crown_diameter_m", location, ccol)
        if ccol
        else np.nan
    )
    if scol is not None:
        stem = parse_height_class(gdf[scol])["middle"]
        if stem.median() > 3:
            stem = stem / 100.0
            log(f"{location}: stem diameter in {scol!r} read as cm")
        out["stem_diameter_m"] = in_range(stem, "stem_diameter_m", location, scol)
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
