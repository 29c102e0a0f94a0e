"""OpenStreetMap files (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) and downloads, by tag."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.crs import to_working_crs
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.inputs._common import LINES, POLYGONS, place_and_repair, to_float
from warmtegis.storage.geopackage import flatten_lists

__all__ = [
    "is_osm",
    "read_osm_buildings",
    "read_osm_roads",
    "read_osm_roads_file",
    "read_osm_trees",
]

_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")


def is_osm(path: Path) -> bool:
    """OpenStreetMap: ``.osm[.bz2|.gz]``, ``.osm.pbf``, or an ``.xml`` whose root is ``<osm>``."""
    name = path.name.lower()
    if name.endswith(".xml"):
        try:
            with open(path, "rb") as fh:
                head = fh.read(2048)
        except OSError:
            return False
        return b"<osm" in head
    return _is_pbf(path) or any(name.endswith(s) for s in _OSM_SUFFIXES if s != ".xml")


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
    edges = flatten_lists(edges)
    # an undirected edge's (u, v) need not follow its geometry: orient them to the line
    start = shapely.get_point(edges.geometry.values, 0)
    at_u = shapely.points(nodes.loc[edges["u"], ["x", "y"]].to_numpy())
    at_v = shapely.points(nodes.loc[edges["v"], ["x", "y"]].to_numpy())
    swap = shapely.distance(start, at_v) < shapely.distance(start, at_u)
    edges.loc[swap, ["u", "v"]] = edges.loc[swap, ["v", "u"]].to_numpy()
    edges = to_working_crs(edges, "OpenStreetMap streets")
    out = edges.copy()
    out["segment_id"] = (
        edges["u"].astype(str) + "-" + edges["v"].astype(str) + "-" + edges["key"].astype(str)
    )
    out["street_name"] = edges["name"].astype("string") if "name" in edges else pd.NA
    out["road_type"] = edges["highway"].astype("string") if "highway" in edges else pd.NA
    if "width" in edges:
        width = edges["width"].astype("string").str.extract(r"(\d+(?:[.,]\d+)?)")[0]
        out["width_m"] = to_float(width.str.replace(",", ".", regex=False))
    else:
        out["width_m"] = np.nan
    out["node_from"] = edges["u"].astype(str)
    out["node_to"] = edges["v"].astype(str)
    out["source"] = "osm"
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.crs)
    out.attrs["road_kind"] = "centrelines"
    log(f"read {len(out)} OSM street segments ({out.length.sum() / 1000:.1f} km) from {origin}")
    return out


def read_osm_roads_file(path: Path) -> gpd.GeoDataFrame:
    """Read the streets of an OSM file (XML, compressed XML or PBF) with osmnx."""
    import osmnx as ox

    with _osm_xml(path, way_tag="highway") as tmp:
        try:
            graph = ox.graph_from_xml(tmp, bidirectional=False, simplify=True, retain_all=True)
        except Exception as exc:
            raise InputError(
                f"cannot build a street graph from {path}: {exc}; does it hold highway=* ways?"
            ) from exc
    return _finish_osm(_osm_graph_to_roads(graph, str(path)), str(path), LINES, "roads")


def _finish_osm(
    gdf: gpd.GeoDataFrame, location: str, allowed: Iterable[str], what: str
) -> gpd.GeoDataFrame:
    """Run the checks every layer gets (area of use, polygon repair) on an OSM layer."""
    out = place_and_repair(gdf, location, allowed)
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

    Examples
    --------
    Downloading needs the network (not run here); a file is read by
    :func:`~warmtegis.inputs.roads.read_roads`:

    >>> roads = read_osm_roads(place="Otterlo, Ede, Nederland")  # doctest: +SKIP
    >>> import warmtegis
    >>> from warmtegis.datasets import get_path
    >>> from warmtegis.inputs.roads import read_roads
    >>> warmtegis.settings.within_netherlands = False  # the bundled OSM extract is Kouvola
    >>> read_roads(get_path("osm/kouvola.osm.bz2")).attrs["road_kind"]
    'centrelines'
    >>> warmtegis.settings.within_netherlands = True
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


def read_osm_buildings(path: Path) -> gpd.GeoDataFrame:
    """Read the building polygons (``building=*``, not ``building=no``) of an OSM file."""
    feats = _osm_features(path, {"building": True}, "buildings")
    # only polygons tagged building=* (not building=no); parks, water, landuse are not
    is_building = (
        feats["building"].astype("string").str.lower().ne("no").fillna(False).astype(bool)
        if "building" in feats
        else pd.Series(False, index=feats.index)
    )
    dropped = int((~is_building).sum())
    feats = feats[is_building & feats.geom_type.isin(POLYGONS)].reset_index()
    if len(feats) == 0:
        raise InputError(f"{path} holds no OpenStreetMap building polygons (building=*)")
    if dropped:
        log(f"{path}: left out {dropped} OSM features that are not buildings")
    feats = flatten_lists(feats)
    feats["osm_id"] = feats["element"].astype(str) + "/" + feats["id"].astype(str)
    return _finish_osm(
        to_working_crs(feats, f"{path}: OSM buildings"), str(path), POLYGONS, "buildings"
    )


def read_osm_trees(path: Path) -> gpd.GeoDataFrame:
    """Trees of an OSM file: nodes tagged ``natural=tree`` only (not every tagged node)."""
    feats = _osm_features(path, {"natural": "tree"}, "trees")
    if len(feats):
        feats = feats[
            feats["natural"].astype("string").eq("tree").fillna(False).astype(bool)
            & feats.geom_type.eq("Point")
        ]
    if len(feats) == 0:
        raise InputError(f"{path} holds no OpenStreetMap trees (nodes with natural=tree)")
    feats = flatten_lists(feats.reset_index())
    feats["tree_id"] = feats["element"].astype(str) + "/" + feats["id"].astype(str)
    return _finish_osm(to_working_crs(feats, f"{path}: OSM trees"), str(path), ("Point",), "trees")
