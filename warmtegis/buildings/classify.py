"""The buildings stage: what every building is, its dwellings, type, heat demand and peak.

Every later stage consumes the enriched buildings this stage returns (routing, mini nets,
the heat-density raster), so the classification and the demand are computed once:

1. :func:`classify_buildings` decides per building whether it is one ground-bound dwelling,
   a multi-dwelling (apartment) building, non-residential, an outbuilding or not in use: from
   BAG attributes (``use`` holds ``woonfunctie``, ``n_units`` verblijfsobjecten, ``status``)
   where the source has them, else from OSM ``building`` tags, else from the footprint alone
   (``min_footprint_m2`` ≤ footprint ≤ ``max_footprint_m2`` counts as one dwelling; smaller is
   an outbuilding, larger unknown and left out) — the fallback for BGT and LVBAG panden.
2. :func:`shared_walls` finds dwellings that share a wall: footprints within
   ``gap_tolerance_m`` of each other whose boundaries run together for at least
   ``min_shared_wall_m`` (both ways, so a sliver or a corner touch is not a wall);
   :func:`dwelling_types` names each ground-bound dwelling detached, semi-detached, end- or
   mid-terrace from the blocks of dwellings sharing walls.
3. Heat demand (:func:`warmtegis.buildings.demand.heat_demand`) by construction period, type and
   floor area for ground-bound dwellings; per apartment and per non-residential building the
   figures of ``[parameters.demand]``; a filled ``heat_demand_gj`` column of the input wins.
   The peak is the demand over ``full_load_hours``.

Adjacency is computed here with shapely 2 array operations on an STRtree rather than with
libpysal/momepy contiguity: those give neighbours (rook/queen/fuzzy) but not the shared wall
length per pair, which is what separates a party wall from a corner touch or a digitising gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from warmtegis.buildings.demand import heat_demand
from warmtegis.core.log import log
from warmtegis.core.plausible import unique_ids
from warmtegis.core.validate import check_frame
from warmtegis.params.dwellings import DemandParams, MiniNetParams
from warmtegis.units import KWH_PER_GJ

__all__ = [
    "CATEGORIES",
    "BuildingStock",
    "classify_buildings",
    "dwelling_types",
    "enrich_buildings",
    "peak_load",
    "shared_walls",
]

#: Building categories of :func:`classify_buildings`.
CATEGORIES = (
    "ground_bound",
    "apartments",
    "non_residential",
    "outbuilding",
    "not_in_use",
    "unknown",
)
_OSM_GROUND_BOUND = {"house", "terrace", "semidetached_house", "detached", "bungalow", "farm"}
_OSM_APARTMENTS = {"apartments", "dormitory"}
_OSM_OUTBUILDING = {"garage", "garages", "shed", "carport", "hut", "roof", "greenhouse", "cabin"}
_OSM_NON_RESIDENTIAL = {
    "commercial", "industrial", "retail", "school", "church", "office", "warehouse", "public",
    "hospital", "kindergarten", "university", "civic", "barn", "farm_auxiliary",
}  # fmt: skip


def classify_buildings(
    buildings: gpd.GeoDataFrame, *, params: MiniNetParams | None = None
) -> pd.DataFrame:
    """Category and number of dwellings of every building.

    Parameters
    ----------
    buildings
        Buildings as returned by :func:`warmtegis.read_buildings`.
    params
        :class:`MiniNetParams`.

    Returns
    -------
    pandas.DataFrame
        Indexed like `buildings`: ``category`` (one of :data:`CATEGORIES`), ``dwellings`` (int)
        and ``basis`` (``"register"``, ``"osm_tag"`` or ``"footprint"``: what decided it).

    Examples
    --------
    Three panden from the BAG: a house, a block of flats and a shed.

    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(
    ...     {"building_id": ["a", "b", "c"], "status": "Pand in gebruik",
    ...      "use": ["woonfunctie", "woonfunctie", ""], "n_units": [1, 12, 0],
    ...      "year_built": 1980, "floor_area_min_m2": [100.0, 900.0, 0.0],
    ...      "floor_area_max_m2": [100.0, 900.0, 0.0]},
    ...     geometry=[box(0, 0, 8, 10), box(20, 0, 50, 15), box(60, 0, 63, 3)], crs="EPSG:28992")
    >>> classify_buildings(b)[["category", "dwellings"]].values.tolist()
    [['ground_bound', 1], ['apartments', 12], ['outbuilding', 0]]
    """
    p = params or MiniNetParams()
    n = len(buildings)
    area = buildings.geometry.area.to_numpy()
    category = np.full(n, "unknown", dtype=object)
    dwellings = np.zeros(n, dtype=int)
    basis = np.full(n, "footprint", dtype=object)

    def text(name: str, lower: bool = False) -> np.ndarray:
        """Return the column as Python strings, None where missing.

        Plain object arrays are much faster than pandas string methods on the few hundred
        rows of a batch area.
        """
        if name not in buildings:
            return np.full(n, None, dtype=object)
        values = buildings[name].to_numpy(dtype=object)
        return np.array(
            [(v.lower() if lower else v) if isinstance(v, str) else None for v in values],
            dtype=object,
        )

    use = text("use")
    raw_units = (
        buildings["n_units"] if "n_units" in buildings else pd.Series(np.nan, index=buildings.index)
    )
    units = pd.to_numeric(raw_units, errors="coerce").to_numpy(dtype=float)
    osm = text("building", lower=True)
    status = text("status")
    has_use = np.array([u is not None for u in use], dtype=bool)

    # 1. register attributes (BAG with verblijfsobjecten); in a register that counts them,
    #    a pand without a count has no verblijfsobject (greenhouse, shed)
    #    (OSM's building:flats is no register: a building without it is not empty)
    from_osm = text("source") == "osm"
    if np.isfinite(units).any():  # a unit count read as unknown (out of range) stays unknown
        units = np.where(np.isfinite(units) | has_use | from_osm, units, 0.0)
    known = np.isfinite(units) & (has_use | (units == 0))
    residential = np.array([u is not None and "woonfunctie" in u for u in use], dtype=bool)
    u = np.where(np.isfinite(units), units, 0).astype(int)
    #    with the verblijfsobjecten, only units whose use includes woonfunctie are dwellings
    #    (a pand of 21 flats above a shop and an office holds 21 dwellings, not 23)
    if "n_dwelling_units" in buildings:
        split = pd.to_numeric(buildings["n_dwelling_units"], errors="coerce").to_numpy(float)
        has_split = np.isfinite(split)
        residential = np.where(has_split, split >= 1, residential)
        u = np.where(has_split & residential, np.nan_to_num(split), u).astype(int)
    category[known & residential & (u == 1)] = "ground_bound"
    category[known & residential & (u >= 2)] = "apartments"
    category[known & ~residential & (u >= 1)] = "non_residential"
    category[known & (u == 0)] = "outbuilding"
    basis[known] = "register"
    # 2. OSM tags
    tag_sets = (
        (_OSM_GROUND_BOUND, "ground_bound"),
        (_OSM_APARTMENTS, "apartments"),
        (_OSM_OUTBUILDING, "outbuilding"),
        (_OSM_NON_RESIDENTIAL, "non_residential"),
    )
    tag_of = {t: cat for tags, cat in tag_sets for t in tags}
    tagged_cat = np.array([tag_of.get(t) if t is not None else None for t in osm], dtype=object)
    tagged = ~known & (tagged_cat != None)  # noqa: E711 (elementwise)
    category[tagged] = tagged_cat[tagged]
    basis[tagged] = "osm_tag"
    # 3. footprint fallback
    rest = ~known & ~tagged
    category[rest & (area < p.min_footprint_m2)] = "outbuilding"
    category[rest & (area >= p.min_footprint_m2) & (area <= p.max_footprint_m2)] = "ground_bound"
    # not in use overrides everything
    in_use = set(p.in_use_statuses)
    out_of_use = np.array([v is not None and v not in in_use for v in status], dtype=bool)
    category[out_of_use] = "not_in_use"
    dwellings[category == "ground_bound"] = 1
    apartments = category == "apartments"
    dwellings[apartments] = np.where(u[apartments] >= 2, u[apartments], 0)
    return pd.DataFrame(
        {"category": category, "dwellings": dwellings, "basis": basis}, index=buildings.index
    )


def shared_walls(
    footprints: gpd.GeoSeries, *, min_shared_wall_m: float = 2.0, gap_tolerance_m: float = 0.3
) -> pd.DataFrame:
    """Pairs of footprints that share a wall, with the shared length.

    Two footprints share a wall when each one's boundary runs within `gap_tolerance_m` of the
    other footprint for at least `min_shared_wall_m` (the smaller of the two lengths counts,
    so slivers and corner touches are not walls; digitising gaps up to the tolerance are).

    Returns
    -------
    pandas.DataFrame
        Columns ``i``, ``j`` (positions in `footprints`, i < j) and ``wall_m``.

    Examples
    --------
    Two 6 m deep houses side by side share their wall; a third 1 m away shares none. The wall
    is measured on the footprints grown by the digitising tolerance (0.3 m), so it reads 0.3 m
    longer at either end:

    >>> from shapely.geometry import box
    >>> f = gpd.GeoSeries([box(0, 0, 5, 6), box(5, 0, 10, 6), box(11, 0, 16, 6)], crs="EPSG:28992")
    >>> shared_walls(f).values.tolist()
    [[0.0, 1.0, 6.6]]
    """
    geoms = footprints.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=gap_tolerance_m)
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return pd.DataFrame({"i": i, "j": j, "wall_m": np.zeros(0)})
    tol = max(gap_tolerance_m, 1e-3)
    a_in_b = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.buffer(geoms[j], tol))
    )
    b_in_a = shapely.length(
        shapely.intersection(shapely.boundary(geoms[j]), shapely.buffer(geoms[i], tol))
    )
    wall = np.minimum(a_in_b, b_in_a)
    ok = wall >= min_shared_wall_m
    return pd.DataFrame({"i": i[ok], "j": j[ok], "wall_m": wall[ok]})


def dwelling_types(graph: nx.Graph) -> dict[str, Any]:
    """Detached, semi-detached, end-of-terrace or mid-terrace from the shared-wall graph."""
    out = {}
    for comp in nx.connected_components(graph):
        for node in comp:
            degree = graph.degree(node)
            if len(comp) == 1:
                out[node] = "detached"
            elif len(comp) == 2:
                out[node] = "semi-detached"
            else:
                out[node] = "end-of-terrace" if degree <= 1 else "mid-terrace"
    return out


@dataclass
class BuildingStock:
    """Result of :func:`enrich_buildings`.

    Attributes
    ----------
    buildings : geopandas.GeoDataFrame
        Every input building (index 0..n-1) with ``building_id``, ``category``, ``basis``,
        ``dwellings``, ``dwelling_type`` (ground-bound dwellings), ``floor_area_m2``,
        ``heat_demand_gj`` (GJ/yr) and ``peak_kw`` (undiversified).
    walls : pandas.DataFrame
        Shared walls between ground-bound dwellings: ``i``, ``j`` (rows of `buildings`),
        ``building_id_a``, ``building_id_b``, ``wall_m``.
    params, demand_params
        The parameters used.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> stock = demo_result().buildings
    >>> b = stock.buildings
    >>> houses = b[b["category"] == "ground_bound"]
    >>> bool((houses["dwellings"] == 1).all())  # a ground-bound pand is one dwelling
    True
    """

    buildings: gpd.GeoDataFrame
    walls: pd.DataFrame
    params: MiniNetParams
    demand_params: DemandParams

    def summary(self) -> list[tuple[str, float, str]]:
        """Return the counts as ``(key, value, unit)`` rows."""
        b = self.buildings
        rows: list[tuple[str, float, str]] = [
            ("dwellings", int(b["dwellings"].sum()), "count"),
            ("dwellings_ground_bound", int((b["category"] == "ground_bound").sum()), "count"),
            (
                "dwellings_in_apartment_buildings",
                int(b.loc[b["category"] == "apartments", "dwellings"].sum()),
                "count",
            ),
            ("buildings_outbuilding", int((b["category"] == "outbuilding").sum()), "count"),
            ("buildings_non_residential", int((b["category"] == "non_residential").sum()), "count"),
        ]
        for kind in ("detached", "semi-detached", "end-of-terrace", "mid-terrace"):
            rows.append((f"dwellings_{kind}", int((b["dwelling_type"] == kind).sum()), "count"))
        rows.append(("heat_demand", float(b["heat_demand_gj"].sum()) / 1000, "TJ/yr"))
        return rows

    def graph(self) -> nx.Graph:
        """Return the shared-wall graph of the ground-bound dwellings (nodes: their rows)."""
        dwell = np.flatnonzero(self.buildings["category"].to_numpy() == "ground_bound")
        return _wall_graph(dwell, self.walls["i"].to_numpy(), self.walls["j"].to_numpy())


def _wall_graph(nodes: np.ndarray, i: np.ndarray, j: np.ndarray) -> nx.Graph:
    """Return the graph of `nodes` joined by the shared walls ``(i, j)``."""
    g = nx.Graph()
    g.add_nodes_from(nodes.tolist())
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    return g


def peak_load(heat_demand_gj: Any, full_load_hours: float) -> Any:
    """Return the undiversified peak (kW) of an annual demand (GJ): demand / full-load hours.

    >>> round(peak_load(42.0, 1800.0), 2)
    6.48
    """
    return heat_demand_gj * KWH_PER_GJ / full_load_hours


def enrich_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    params: MiniNetParams | None = None,
    demand_params: DemandParams | None = None,
) -> BuildingStock:
    """Classify the buildings, count their dwellings, type them and give their heat demand.

    Parameters
    ----------
    buildings
        Buildings as returned by :func:`warmtegis.read_buildings` (polygons with
        ``building_id``; another CRS is reprojected to EPSG:28992). A ``heat_demand_gj``
        column, where filled, overrides the modelled demand per building.
    params, demand_params
        :class:`~warmtegis.params.MiniNetParams` (classification, shared walls) and
        :class:`~warmtegis.params.DemandParams`.

    Returns
    -------
    BuildingStock

    Examples
    --------
    >>> import warmtegis as wg
    >>> from warmtegis.datasets import get_path
    >>> stock = wg.enrich_buildings(wg.read_buildings(get_path("delft_wippolder/bag_pand.gpkg")))
    >>> stock.buildings["category"].value_counts().to_dict()
    {'ground_bound': 32, 'apartments': 19, 'non_residential': 5, 'outbuilding': 4}
    >>> int(stock.buildings["dwellings"].sum())
    92
    """
    p = params or MiniNetParams()
    dp = demand_params or DemandParams()
    out = check_frame(
        buildings,
        what="buildings",
        columns=("building_id",),
        geometry_types=("Polygon", "MultiPolygon"),
        hint="read them with warmtegis.read_buildings",
    )
    out = out.reset_index(drop=True)  # check_frame has repaired invalid polygons
    if not out["building_id"].is_unique or out["building_id"].isna().any():
        out["building_id"] = unique_ids(out["building_id"], "buildings", "building_id")
    cls = classify_buildings(out, params=p)
    out["category"] = cls["category"]
    out["basis"] = cls["basis"]
    guessed = (cls["basis"] == "footprint") & (cls["category"] != "not_in_use")
    if guessed.any():
        one = int((guessed & (cls["category"] == "ground_bound")).sum())
        log(
            f"buildings: {int(guessed.sum())} of {len(out)} buildings were classified from "
            f"their footprint alone (no BAG use and unit count, no OSM tag); {one} of them "
            "count as one ground-bound dwelling each. Give BAG panden with gebruiksdoel and "
            "aantal_verblijfsobjecten, or the verblijfsobjecten, for the register's count",
            logging.WARNING,
        )
    out["dwellings"] = cls["dwellings"].astype(int)
    ids = out["building_id"].astype(str).to_numpy()
    dwell = np.flatnonzero(out["category"].to_numpy() == "ground_bound")
    walls = shared_walls(
        out.geometry.iloc[dwell],
        min_shared_wall_m=p.min_shared_wall_m,
        gap_tolerance_m=p.gap_tolerance_m,
    )
    a, b = dwell[walls["i"].to_numpy()], dwell[walls["j"].to_numpy()]
    graph = _wall_graph(dwell, a, b)
    out["dwelling_type"] = pd.Series(dwelling_types(graph), dtype=object).reindex(out.index)

    floor = pd.to_numeric(out.get("floor_area_max_m2"), errors="coerce")
    registered = (out["basis"] == "register") & (floor > 0)
    out["floor_area_m2"] = np.where(registered, floor, out.geometry.area * dp.storeys)
    year = out["year_built"] if "year_built" in out else pd.Series(pd.NA, index=out.index)
    demand = heat_demand(year, out["floor_area_m2"], out["dwelling_type"], params=dp)
    category = out["category"]
    demand = demand.where(category == "ground_bound")
    demand = demand.mask(category == "apartments", out["dwellings"] * dp.apartment_gj)
    demand = demand.mask(category == "non_residential", dp.non_residential_gj)
    if "heat_demand_gj" in out:  # (out, not buildings: a repair may have dropped a row)
        given = pd.to_numeric(out["heat_demand_gj"], errors="coerce")
        demand = given.where(given.notna(), demand)
    out["heat_demand_gj"] = demand.astype(float)
    out["peak_kw"] = peak_load(out["heat_demand_gj"], dp.full_load_hours)
    wall_table = pd.DataFrame(
        {
            "i": a,
            "j": b,
            "building_id_a": ids[a],
            "building_id_b": ids[b],
            "wall_m": walls["wall_m"].to_numpy(),
        }
    )
    log(
        f"buildings: {len(out)} buildings, {int(out['dwellings'].sum())} dwellings "
        f"({len(dwell)} ground-bound, {len(wall_table)} shared walls), "
        f"{out['heat_demand_gj'].sum() / 1000:,.1f} TJ/yr"
    )
    return BuildingStock(buildings=out, walls=wall_table, params=p, demand_params=dp)
