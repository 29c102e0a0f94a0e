"""Study areas and the inputs split by them.

A building belongs to the area containing its representative point (the first area when it
lies on a shared border), so every building is counted in exactly one area and mini-net
groups never span two areas; roads, sewers, trees and barriers are taken within
``margin_m`` of the area, so the corridor check and the routing near the border see what
lies across it. :func:`grid_areas` makes a square grid when no areas are given;
:func:`area_inputs` returns the inputs the batch gives one area.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.crs import to_working_crs
from warmtegis.core.errors import InputError
from warmtegis.pipeline import Inputs

__all__ = ["AreaInputs", "area_inputs", "check_areas", "grid_areas", "home_areas", "split_inputs"]


_SOURCE = ("source_x", "source_y")


@dataclass
class AreaInputs:
    """The inputs of one area: its buildings, and roads/sewers/trees within the margin."""

    area_id: str
    geometry: shapely.Geometry
    buildings: gpd.GeoDataFrame
    source: tuple[float, float] | None = None
    roads: gpd.GeoDataFrame | None = None
    sewers: gpd.GeoDataFrame | None = None
    trees: gpd.GeoDataFrame | None = None
    barriers: gpd.GeoDataFrame | None = None

    def inputs(self) -> Inputs:
        """Return the area's inputs for :func:`warmtegis.run_stages`."""
        return Inputs(
            buildings=self.buildings,
            roads=self.roads,
            sewers=self.sewers,
            trees=self.trees,
            barriers=self.barriers,
        )


def grid_areas(like: gpd.GeoDataFrame, size_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Square cells of `size_m` on the RD grid covering `like`, keeping cells that hold any of it.

    ``area_id`` is ``"x{col}_y{row}"`` from the cell's lower-left corner in km (at 1 km).

    Examples
    --------
    Doesburg's 7,395 BAG panden on a 1 km grid: every pand in exactly one cell.

    >>> from warmtegis.datasets import get_path
    >>> from warmtegis.inputs import read_buildings
    >>> b = read_buildings(get_path("doesburg/bag_pand.gpkg"))
    >>> cells = grid_areas(b, 1000)
    >>> inside = gpd.sjoin(gpd.GeoDataFrame(geometry=b.representative_point()), cells,
    ...                    predicate="within")
    >>> len(inside) == len(b), bool(cells.area.eq(1e6).all())
    (True, True)
    """
    if size_m <= 0:
        raise InputError(f"grid size must be > 0 m, not {size_m}")
    pts = shapely.get_coordinates(shapely.point_on_surface(like.geometry.values))
    ij = np.unique(np.floor(pts / size_m).astype(np.int64), axis=0)
    x0, y0 = ij[:, 0] * size_m, ij[:, 1] * size_m
    return gpd.GeoDataFrame(
        {"area_id": [f"x{i}_y{j}" for i, j in ij]},
        geometry=shapely.box(x0, y0, x0 + size_m, y0 + size_m),
        crs=settings.crs,
    )


def check_areas(
    areas: gpd.GeoDataFrame, id_column: str | None, group_column: str | None = None
) -> gpd.GeoDataFrame:
    """Return the areas checked: polygons in the working CRS, unique ids and group values."""
    if len(areas) == 0:
        raise InputError("study areas: the layer holds no polygons")
    col = id_column or ("area_id" if "area_id" in areas else None)
    if col is None:
        raise InputError(
            "the study areas need an id column: name it with --id-column (e.g. buurtcode) "
            f"or call it area_id; columns found: {list(areas.columns.drop(areas.geometry.name))}"
        )
    if col not in areas:
        raise InputError(f"study areas: no column {col!r}; columns found: {list(areas.columns)}")
    ids = areas[col].astype(str)
    if ids.duplicated().any():
        raise InputError(
            f"study areas: column {col!r} must be unique, repeated: "
            f"{sorted(set(ids[ids.duplicated()]))[:5]}"
        )
    if not areas.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise InputError("study areas must be polygons")
    out = to_working_crs(
        gpd.GeoDataFrame(
            {"area_id": ids.to_numpy()}, geometry=areas.geometry.values, crs=areas.crs
        ),
        "study areas",
    )
    if group_column is not None:
        if group_column not in areas:
            raise InputError(
                f"study areas: no column {group_column!r} to total by (e.g. gemeentecode); "
                f"columns found: {list(areas.columns)}"
            )
        out["group"] = areas[group_column].astype(str).to_numpy()
    has = [c in areas for c in _SOURCE]
    if any(has) and not all(has):
        raise InputError(f"study areas: a heat source needs both columns {list(_SOURCE)}")
    if all(has):
        xy = areas[list(_SOURCE)].apply(pd.to_numeric, errors="coerce")
        bad = xy.isna().any(axis=1) & areas[list(_SOURCE)].notna().any(axis=1)
        if bad.any():
            raise InputError(
                f"study areas: {list(_SOURCE)} must be numbers (EPSG:28992 metres); "
                f"not for area {ids[bad.to_numpy()].iloc[0]!r}"
            )
        out[list(_SOURCE)] = xy.to_numpy(float)
    return out


def _assign(
    gdf: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, predicate: str, npartitions: int
) -> pd.DataFrame:
    """(row, area_id) pairs of a spatial join, computed partition-wise with dask-geopandas."""
    import dask_geopandas

    frame = gpd.GeoDataFrame({"_row": np.arange(len(gdf))}, geometry=gdf.geometry.values)
    frame = frame.set_crs(gdf.crs)
    ddf = dask_geopandas.from_geopandas(frame, npartitions=max(1, min(npartitions, len(frame))))
    joined = dask_geopandas.sjoin(ddf, areas[["area_id", "geometry"]], predicate=predicate)
    with warnings.catch_warnings():
        # in-memory frames travel inside the graph by design; files read with
        # dask_geopandas.read_file/read_parquet would not
        warnings.filterwarnings("ignore", message="Sending large graph")
        return joined[["_row", "area_id"]].compute()


def split_inputs(
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    context: Mapping[str, gpd.GeoDataFrame | None],
    *,
    margin_m: float = 50.0,
    npartitions: int = 8,
) -> list[AreaInputs]:
    """Split the inputs by area (see the module text for the border rules)."""
    order = {a: i for i, a in enumerate(areas["area_id"])}
    points = buildings.set_geometry(shapely.point_on_surface(buildings.geometry.values))
    home = _assign(points, areas, "intersects", npartitions)
    home = home.assign(o=home["area_id"].map(order)).sort_values(["_row", "o"])
    home = home.drop_duplicates("_row")
    grown = areas.set_geometry(areas.buffer(margin_m))
    rows = {
        name: _assign(gdf, grown, "intersects", npartitions)
        for name, gdf in context.items()
        if gdf is not None and len(gdf)
    }

    def index(frame: pd.DataFrame) -> dict[str, np.ndarray]:
        return {k: np.sort(v.to_numpy()) for k, v in frame.groupby("area_id")["_row"]}

    homes = index(home)
    near = {name: index(frame) for name, frame in rows.items()}
    sources = (
        areas[list(_SOURCE)].to_numpy(float)
        if "source_x" in areas
        else np.full((len(areas), 2), np.nan)
    )
    none = np.empty(0, int)
    out = []
    for area_id, geom, (x, y) in zip(areas["area_id"], areas.geometry.values, sources, strict=True):
        item = AreaInputs(area_id, geom, buildings.iloc[homes.get(area_id, none)])
        item.source = None if np.isnan(x) or np.isnan(y) else (float(x), float(y))
        for name, idx in near.items():
            frame = context[name]
            if frame is not None:
                setattr(item, name, frame.iloc[idx.get(area_id, none)])
        out.append(item)
    return out


def area_inputs(
    area_id: str,
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    sewers: gpd.GeoDataFrame | None = None,
    trees: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    id_column: str | None = None,
    margin_m: float = 50.0,
) -> AreaInputs:
    """Return the inputs the batch gives area `area_id` (for running one area alone)."""
    areas = check_areas(areas, id_column)
    context = {"roads": roads, "sewers": sewers, "trees": trees, "barriers": barriers}
    items = split_inputs(areas, buildings, context, margin_m=margin_m)
    found = [i for i in items if i.area_id == area_id]
    if not found:
        raise InputError(f"study areas: no area {area_id!r}")
    return found[0]


def home_areas(points: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """For each point the index (into `areas`) of the lowest-order area holding it, or -1."""
    pi, ai = shapely.STRtree(areas.geometry.values).query(points, predicate="intersects")
    rank = areas["order"].to_numpy()[ai]
    o = np.lexsort((rank, pi))
    pi, ai = pi[o], ai[o]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    home = np.full(len(points), -1)
    home[pi[first]] = ai[first]
    return home
