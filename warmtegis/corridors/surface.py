"""The road surface and its centrelines.

:func:`road_surface` draws NWB or OSM centrelines at their width (a width column, else a
default per road type) or keeps the BGT ``wegdeel`` polygons of usable functions. When only
road polygons exist (BGT), :func:`derive_centrelines` derives centrelines from the
carriageway polygons with :func:`pygeoops.centerline` (a Voronoi skeleton with branch
pruning), split at junctions into segments; the skeletons are cached on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.cache import cache_dir
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.params.street import CorridorParams

__all__ = ["derive_centrelines", "is_surface", "road_surface"]


# --------------------------------------------------------------------------- road surface
def is_surface(roads: gpd.GeoDataFrame) -> bool:
    """Tell whether `roads` are road polygons (BGT surfaces) rather than centrelines."""
    return roads.attrs.get("road_kind") == "surfaces" or bool(
        roads.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    )


def _widths(roads: gpd.GeoDataFrame, p: CorridorParams) -> np.ndarray:
    given = roads["width_m"].to_numpy(float) if "width_m" in roads else np.full(len(roads), np.nan)
    types = (
        roads["road_type"].astype("string")
        if "road_type" in roads
        else pd.Series(pd.NA, index=roads.index, dtype="string")
    )
    default = types.map(
        lambda t: (
            p.road_width_by_type.get(str(t), p.default_road_width_m)
            if pd.notna(t)
            else p.default_road_width_m
        )
    ).to_numpy(float)
    return np.where(np.isnan(given), default, given)


def road_surface(roads: gpd.GeoDataFrame, params: CorridorParams | None = None) -> gpd.GeoDataFrame:
    """Usable road surface: centrelines drawn at their width, or BGT polygons of usable functions.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons with ``segment_id``, ``road_type`` and (centrelines) ``width_m`` used.

    Examples
    --------
    A 100 m NWB street of type G (municipal) without a width is drawn 6 m wide:

    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame(
    ...     {"segment_id": ["w1"], "road_type": ["G"], "width_m": [np.nan]},
    ...     geometry=[LineString([(0, 0), (100, 0)])], crs="EPSG:28992")
    >>> float(round(road_surface(roads).area.sum(), 1))
    600.0
    """
    p = params or CorridorParams()
    if is_surface(roads):
        keep = (
            roads["road_type"].isin(p.usable_functions).fillna(False).to_numpy(bool)
            if roads["road_type"].notna().any()
            else np.ones(len(roads), bool)
        )
        out = roads.loc[keep, ["segment_id", "road_type", roads.geometry.name]].copy()
        log(
            f"road surface: {int(keep.sum())} of {len(roads)} polygons with usable functions, "
            f"{out.area.sum() / 1e4:.1f} ha"
        )
        return out.reset_index(drop=True)
    width = _widths(roads, p)
    lines = roads.geometry.values
    polys = shapely.buffer(lines, width / 2, quad_segs=8, cap_style="flat")
    # flat caps end a street exactly at its end node; where segments meet, a disc of the
    # widest meeting road's half-width fills the wedge between the flat ends
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(lines, 0)),
            shapely.get_coordinates(shapely.get_point(lines, -1)),
        ]
    )
    owner = np.tile(np.arange(len(lines)), 2)
    frame = pd.DataFrame(
        {
            "x": ends[:, 0].round(2),
            "y": ends[:, 1].round(2),
            "seg": owner,
            "half": np.tile(width / 2, 2),
        }
    )
    nodes = (
        frame.groupby(["x", "y"])
        .agg(n=("seg", "size"), seg=("seg", "first"), half=("half", "max"))
        .reset_index()
    )
    nodes = nodes[nodes["n"] >= 2]
    if len(nodes):
        discs = shapely.buffer(
            shapely.points(nodes[["x", "y"]].to_numpy()), nodes["half"].to_numpy(), quad_segs=8
        )
        extra = gpd.GeoDataFrame(
            {"seg": nodes["seg"].to_numpy()}, geometry=discs, crs=settings.crs
        ).dissolve("seg")
        idx = extra.index.to_numpy()
        polys = polys.copy()
        polys[idx] = shapely.union(polys[idx], extra.geometry.values)
    out = gpd.GeoDataFrame(
        {
            "segment_id": roads["segment_id"].to_numpy(),
            "road_type": roads["road_type"].to_numpy(),
            "width_m": width,
        },
        geometry=polys,
        crs=settings.crs,
    )
    log(
        f"road surface: {len(out)} centrelines drawn at their width, "
        f"{shapely.union_all(out.geometry.values).area / 1e4:.1f} ha"
    )
    return out


# --------------------------------------------------------------------------- centrelines
def _cached_skeletons(
    polys: np.ndarray, p: CorridorParams, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """Return the carriageways' skeletons, computed once per geometry and parameters.

    Kept on disk beside the g-function tables (:func:`warmtegis.core.cache.cache_dir`), keyed by
    the polygons' WKB, the skeleton parameters and pygeoops' version: a study run again (other
    parameters downstream, a new session) reads them instead of recomputing the Voronoi step.
    """
    import hashlib
    from importlib import metadata

    digest = hashlib.sha256()
    for part in (
        "centrelines-1", metadata.version("pygeoops"), p.centreline_densify_m,
        p.centreline_min_branch_m, p.centreline_simplify_m,
    ):  # fmt: skip
        digest.update(repr(part).encode())
    for wkb in shapely.to_wkb(polys):
        digest.update(wkb)
    path = cache_dir() / "centrelines" / f"{digest.hexdigest()}.npy"
    if path.is_file():
        try:
            stored = np.load(path, allow_pickle=False)
            lines = shapely.from_wkb(stored)
            if len(lines) == len(polys):
                return np.asarray(lines)
        except (OSError, ValueError, shapely.errors.GEOSException):
            pass  # a damaged cache file: compute again
    lines = compute()
    try:
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.asarray(shapely.to_wkb(lines), dtype=object).astype(bytes))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache folder: keep going without it
        log(f"centreline cache not written ({path.parent}: {exc.strerror or exc})")
    return np.asarray(lines)


def derive_centrelines(
    surfaces: gpd.GeoDataFrame, params: CorridorParams | None = None
) -> gpd.GeoDataFrame:
    """Derive a connected centreline network from BGT carriageway polygons.

    The carriageways are dissolved, skeletonised with :func:`pygeoops.centerline`
    (Voronoi skeleton, short branches pruned), noded and split at every junction, so each
    segment runs from junction (or dead end) to junction.

    Returns
    -------
    geopandas.GeoDataFrame
        LineStrings with ``segment_id`` (``"c1"``, ``"c2"``, ...), ``node_from``, ``node_to``
        (junction ids from rounded end coordinates), ``road_type`` ``"derived"``.

    Examples
    --------
    A straight 100 x 8 m carriageway has one centreline of about its length:

    >>> from shapely.geometry import box
    >>> road = gpd.GeoDataFrame({"segment_id": ["r1"], "road_type": ["rijbaan lokale weg"]},
    ...                         geometry=[box(0, 0, 100, 8)], crs="EPSG:28992")
    >>> lines = derive_centrelines(road)
    >>> len(lines), bool(90 < lines.length.sum() <= 100)
    (1, True)
    """
    import pygeoops

    p = params or CorridorParams()
    carriage = surfaces[surfaces["road_type"].isin(p.carriageway_functions).fillna(False)]
    if len(carriage) == 0:
        raise InputError(
            "no carriageway polygons to derive centrelines from: none of the road surfaces has a "
            f"function in {list(p.carriageway_functions)} (parameter carriageway_functions)"
        )
    polys = shapely.get_parts(shapely.union_all(carriage.geometry.values))
    if p.centreline_simplify_m > 0:
        polys = shapely.simplify(polys, p.centreline_simplify_m)

    def skeleton(poly: shapely.Geometry) -> shapely.Geometry:
        return pygeoops.centerline(
            poly,
            densify_distance=p.centreline_densify_m,
            min_branch_length=p.centreline_min_branch_m,
            simplifytolerance=-0.25,
        )

    def skeletons() -> np.ndarray:
        # one skeleton per connected carriageway; GEOS releases the GIL in the Voronoi step,
        # so threads (largest parts first) use every core
        order = np.argsort(-shapely.get_num_coordinates(polys), kind="stable")
        out = np.empty(len(polys), dtype=object)
        with ThreadPoolExecutor(max_workers=min(len(polys), os.cpu_count() or 1)) as pool:
            out[order] = list(pool.map(skeleton, polys[order]))
        return out

    lines = _cached_skeletons(polys, p, skeletons)
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    noded = shapely.node(shapely.union_all(lines))
    segs = shapely.get_parts(shapely.line_merge(noded))
    segs = segs[shapely.length(segs) > 0.5]
    # line_merge joins through degree-2 nodes only, so segment ends are junctions or dead ends
    start = shapely.get_coordinates(shapely.get_point(segs, 0))
    end = shapely.get_coordinates(shapely.get_point(segs, -1))

    def key(xy: np.ndarray) -> list[str]:
        return [f"{x:.1f},{y:.1f}" for x, y in np.round(xy, 1).tolist()]

    out = gpd.GeoDataFrame(
        {
            "segment_id": [f"c{i + 1}" for i in range(len(segs))],
            "node_from": key(start),
            "node_to": key(end),
            "road_type": "derived",
            "street_name": pd.NA,
            "width_m": np.nan,
        },
        geometry=segs,
        crs=settings.crs,
    )
    out.attrs["road_kind"] = "centrelines"
    log(
        f"centrelines: derived {len(out)} segments, {shapely.length(segs).sum() / 1000:.1f} km "
        f"from {len(carriage)} carriageway polygons"
    )
    return out
