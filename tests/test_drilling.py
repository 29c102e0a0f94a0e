"""Room to drill (mini_nets.ground, placement, layouts, room): hand-built rows, Otterlo's BGT."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pygfunction as gt
import pytest
import shapely
from shapely.geometry import box

from warmtegis import ConfigError
from warmtegis.mini_nets.boreholes import ground_loads, line_field, size_borefield
from warmtegis.mini_nets.ground import exclusion_zones, open_ground
from warmtegis.mini_nets.layouts import layout_gfunction
from warmtegis.mini_nets.placement import place_loops
from warmtegis.mini_nets.room import room_to_drill
from warmtegis.params.dwellings import BoreholeParams, DrillingParams

CRS = "EPSG:28992"
TERRAIN = Path(__file__).parents[1] / "data" / "raw" / "otterlo" / "bgt_terrein.gpkg"


def _row(n_houses: int, garden_depth: float, *, width: float = 6.0, x0: float = 0.0):
    """`n_houses` row houses 6 x 10 m from x0, each with a back garden `garden_depth` deep."""
    houses = [box(x0 + i * width, 0, x0 + (i + 1) * width, 10) for i in range(n_houses)]
    gardens = [
        box(x0 + i * width, 10, x0 + (i + 1) * width, 10 + garden_depth) for i in range(n_houses)
    ]
    return houses, gardens


def _case(groups: dict[str, tuple[list, int]], gardens: list, demand_gj: float = 84.0):
    """Buildings, mini_nets and terrain of hand-built groups: id -> (footprints, loops)."""
    rows, nets = [], []
    for gid, (houses, loops) in groups.items():
        rows += [(f"{gid}-{i}", "ground_bound", gid, h) for i, h in enumerate(houses)]
        nets.append((gid, len(houses), demand_gj, loops, shapely.union_all(houses)))
    buildings = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["building_id", "category", "mini_net_id", "geometry"]),
        crs=CRS,
    )
    mini_nets = gpd.GeoDataFrame(
        pd.DataFrame(
            nets,
            columns=["mini_net_id", "n_dwellings", "heat_demand_gj", "n_boreholes", "geometry"],
        ),
        crs=CRS,
    )
    terrain = gpd.GeoDataFrame({"surface": ["garden"] * len(gardens)}, geometry=gardens, crs=CRS)
    return buildings, mini_nets, terrain


def _room(buildings, mini_nets, terrain, **kw):
    ground = open_ground(buildings, terrain=terrain)
    zones = exclusion_zones(buildings)
    return room_to_drill(mini_nets, buildings, ground=ground, exclusions=zones, **kw)


def test_a_row_of_four_with_narrow_gardens_fits_five_loops_by_hand():
    """Back gardens 5 m deep; 2 m kept from the facades leaves a 24 x 3 m strip.

    Loops at least 6 m apart on a 24 m strip: at most 24 / 6 + 1 = 5 (x = 0, 6, 12, 18, 24).
    """
    houses, gardens = _row(4, 5.0)
    b, m, t = _case({"a": (houses, 5)}, gardens)
    res = _room(b, m, t)
    g = res.groups.set_index("mini_net_id")
    assert g.loc["a", "loops_fit"] == 5 and g.loc["a", "has_room"]
    assert g.loc["a", "ground_m2"] == pytest.approx(24 * 3, rel=1e-6)
    xy = shapely.get_coordinates(res.boreholes.geometry.values)
    assert sorted(xy[:, 0].round(6)) == [0, 6, 12, 18, 24]
    assert (xy[:, 1] >= 12 - 1e-9).all()  # 2 m from the back facades at y = 10
    # one more loop does not fit: the reason says how many do
    b, m, t = _case({"a": (houses, 6)}, gardens)
    g = _room(b, m, t).groups.set_index("mini_net_id")
    assert not g.loc["a", "has_room"]
    assert g.loc["a", "room_reason"] == "no room: 5 of 6 loops fit"
    assert g.loc["a", "loops_placed"] == 0


def test_a_garden_too_small_gives_the_no_room_reason():
    """Two houses share a 4 m wide garden patch; after the 2 m clearance it is 4 x 4 m.

    Its diagonal is 5.66 m < 6 m: one loop fits, two do not.
    """
    houses, _ = _row(2, 0.0)
    patch = [box(4, 10, 8, 16)]
    b, m, t = _case({"pair": (houses, 2)}, patch)
    g = _room(b, m, t).groups.set_index("mini_net_id")
    assert g.loc["pair", "loops_fit"] == 1
    assert g.loc["pair", "room_reason"] == "no room: 1 of 2 loops fit"
    b, m, t = _case({"pair": (houses, 1)}, patch, demand_gj=40.0)  # one loop is deep enough
    assert _room(b, m, t).groups["has_room"].item()


def test_ground_goes_to_the_nearest_dwellings_group():
    """Two groups of two with one long garden strip: each only drills behind its own houses."""
    left, _ = _row(2, 0.0)
    right, _ = _row(2, 0.0, x0=12.0)
    strip = [box(0, 10, 24, 22)]
    b, m, t = _case({"left": (left, 2), "right": (right, 2)}, strip)
    res = _room(b, m, t, params=DrillingParams(interference_radius_m=0.0))
    xy = {
        gid: shapely.get_coordinates(res.boreholes.query("mini_net_id == @gid").geometry.values)
        for gid in ("left", "right")
    }
    assert (xy["left"][:, 0] <= 12 + 0.5).all() and (xy["right"][:, 0] >= 12 - 0.5).all()
    assert res.groups.set_index("mini_net_id")["ground_m2"].to_dict() == pytest.approx(
        {"left": 12 * 10, "right": 12 * 10}, rel=0.02
    )


def test_field_is_sized_on_the_placed_positions_and_neighbours_interfere():
    left, _ = _row(2, 0.0)
    right, _ = _row(2, 0.0, x0=12.0)
    strip = [box(0, 10, 24, 22)]
    b, m, t = _case({"left": (left, 2), "right": (right, 2)}, strip)
    bp = BoreholeParams()
    alone = _room(b, m, t, params=DrillingParams(interference_radius_m=0.0))
    shared = _room(b, m, t, params=DrillingParams(interference_radius_m=30.0))
    a = alone.groups.set_index("mini_net_id")
    s = shared.groups.set_index("mini_net_id")
    assert (a["neighbour_loops"] == 0).all() and (s["neighbour_loops"] == 2).all()
    assert (s["depth_placed_m"] > a["depth_placed_m"]).all()  # the neighbours' loops cost depth
    # independently: a pygfunction field built here from the layer's points, same loads
    pts = alone.boreholes.query("mini_net_id == 'left'")
    xy = shapely.get_coordinates(pts.geometry.values)
    monthly, peak = ground_loads(np.array([84.0]), bp)
    field = gt.borefield.Borefield(
        np.full(len(xy), 100.0), np.full(len(xy), 1.0), np.full(len(xy), 0.065), xy[:, 0], xy[:, 1]
    )
    again = size_borefield(monthly[0], np.zeros(12), peak[0], np.zeros(12), borefield=field)
    # the stage uses pygfunction's uniform-extraction-rate g-function (a little higher than
    # the uniform wall temperature of size_borefield) and a table of 6 lengths: within 1 %
    assert pts["depth_m"].iloc[0] == pytest.approx(max(again.length_m, bp.min_depth_m), rel=0.01)
    assert pts["depth_m"].iloc[0] >= max(again.length_m, bp.min_depth_m) - 0.5  # errs deep
    t_all = np.geomspace(3600.0 * 6, 25 * 8760 * 3600.0, 12)
    uhtr = gt.gfunction.gFunction(
        gt.borefield.Borefield(np.full(len(xy), 150.0), np.full(len(xy), 1.0),
                               np.full(len(xy), 0.065), xy[:, 0], xy[:, 1]),
        bp.ground_conductivity_w_mk / bp.ground_heat_capacity_j_m3k, t_all,
        boundary_condition="UHTR",
    ).gFunc  # fmt: skip
    assert layout_gfunction(xy, 150.0, t_all) == pytest.approx(uhtr, rel=0.01)
    # farther apart than the 6 m line: less interference, a lower g-function, less depth
    d = np.linalg.norm(xy[0] - xy[1])
    assert d > bp.spacing_m
    alpha = bp.ground_conductivity_w_mk / bp.ground_heat_capacity_j_m3k
    t25 = np.array([25 * 8760 * 3600.0])
    placed = gt.borefield.Borefield(
        np.full(2, 150.0), np.full(2, 1.0), np.full(2, 0.065), xy[:, 0], xy[:, 1]
    )
    g_placed = gt.gfunction.gFunction(placed, alpha, t25, method="similarities").gFunc[-1]
    g_line = gt.gfunction.gFunction(line_field(2, 150.0, bp), alpha, t25, method="similarities")
    assert g_placed < g_line.gFunc[-1]
    line = size_borefield(monthly[0], np.zeros(12), peak[0], np.zeros(12), n_boreholes=2)
    assert a.loc["left", "depth_placed_m"] < line.length_m


def test_place_loops_keeps_the_spacing_and_spreads_out():
    area = box(0, 0, 30, 20).difference(box(10, 5, 20, 15))  # a yard around a building
    pts = place_loops(area, 6, min_spacing_m=6.0)
    assert len(pts) == 6
    d = np.linalg.norm(pts[:, None] - pts[None, :], axis=2)
    assert d[np.triu_indices(6, 1)].min() >= 6.0
    assert shapely.intersects_xy(area, pts[:, 0], pts[:, 1]).all()
    assert {tuple(p) for p in pts[:2]} == {(0.0, 0.0), (30.0, 20.0)}  # the farthest pair first
    assert len(place_loops(None, 3, min_spacing_m=6.0)) == 0


def test_drilling_parameters_checked_in_python():
    with pytest.raises(ConfigError, match=r"\[parameters.drilling\] reach_m must be >= 0.1"):
        DrillingParams(reach_m=0.0)


def test_otterlo_every_loop_in_open_ground_clear_and_spaced(otterlo):
    terrain = pd.concat(
        [
            gpd.read_file(TERRAIN, layer="begroeidterreindeel").assign(surface="garden"),
            gpd.read_file(TERRAIN, layer="onbegroeidterreindeel").assign(surface="paving"),
        ]
    )
    inputs = otterlo.inputs
    water = gpd.read_file(Path(__file__).parents[1] / "data/raw/otterlo/bgt_waterdeel.gpkg")
    ground = open_ground(inputs.buildings, terrain=terrain)
    zones = exclusion_zones(
        inputs.buildings, trees=inputs.trees, sewers=inputs.sewers, water=water,
        roads=inputs.roads,
    )  # fmt: skip
    assert set(zones["kind"]) == {"building", "tree", "sewer", "water", "road"}
    res = room_to_drill(
        otterlo.mini_nets.mini_nets, otterlo.mini_nets.buildings, ground=ground, exclusions=zones
    )
    holes = res.boreholes
    assert len(holes) == res.groups["loops_placed"].sum() > 0
    pts = holes.geometry.values
    terrain_all = shapely.union_all(shapely.make_valid(terrain.geometry.values))
    assert shapely.covered_by(pts, terrain_all).all()  # in BGT gardens and yards
    for kind, grp in zones.groupby("kind"):
        inside = shapely.STRtree(grp.geometry.values).query(pts, predicate="within")
        assert inside.size == 0, kind  # strictly inside no exclusion zone
    xy = shapely.get_coordinates(pts)
    d = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    assert d[np.triu_indices(len(xy), 1)].min() >= BoreholeParams().spacing_m - 1e-9
    # every placed loop is sized from its own field's g-function (a depth per group)
    placed = res.groups[res.groups["has_room"]]
    assert np.isfinite(placed["depth_placed_m"]).all()
    assert (placed["depth_placed_m"] <= BoreholeParams().max_depth_m).all()


def test_stage_functions_reproject_and_refuse_naive_frames():
    """Stage entries as everywhere: WGS84 is reprojected (same result), no CRS is refused."""
    from shapely import affinity

    from warmtegis import InputError

    houses, gardens = _row(4, 5.0)
    shift = {"xoff": 155_000.0, "yoff": 463_000.0}  # Amersfoort, so the data lie in NL
    houses = [affinity.translate(h, **shift) for h in houses]
    gardens = [affinity.translate(g, **shift) for g in gardens]
    # 4 loops (the 5th needs the strip's full 24.000 m, which a WGS84 round trip may shave)
    b, m, t = _case({"a": (houses, 4)}, gardens)
    rd = _room(b, m, t).groups.set_index("mini_net_id")
    wgs = _room(b.to_crs(4326), m.to_crs(4326), t.to_crs(4326)).groups.set_index("mini_net_id")
    assert wgs.loc["a", "loops_fit"] == rd.loc["a", "loops_fit"] == 4
    assert wgs.loc["a", "ground_m2"] == pytest.approx(rd.loc["a", "ground_m2"], rel=0.02)
    with pytest.raises(InputError, match="no coordinate reference system"):
        open_ground(b.set_crs(None, allow_override=True), terrain=t)


def test_parcels_keep_a_group_off_its_neighbours_parcel():
    """Two pairs of houses side by side with one long garden behind; the strip at the back
    (y 22-30) is the right pair's parcel. By the nearest-building rule the left pair would
    drill there; with parcels each pair drills only on its own parcels."""
    left, _ = _row(2, 0.0)
    right, _ = _row(2, 0.0, x0=12.0)
    b, m, t = _case({"left": (left, 2), "right": (right, 2)}, [box(0, 10, 24, 30)])
    own_left = box(0, 0, 12, 22)
    own_right = shapely.union_all([box(12, 0, 24, 22), box(0, 22, 24, 30)])
    parcels = gpd.GeoDataFrame(geometry=[own_left, own_right], crs=CRS)
    free = _room(b, m, t).boreholes
    assert shapely.intersects(
        shapely.union_all(free[free["mini_net_id"] == "left"].geometry.values),
        box(0, 22.5, 12, 30),
    )  # without parcels the left pair drills on the right pair's back strip
    res = _room(b, m, t, parcels=parcels)
    pts = res.boreholes
    for gid, own in (("left", own_left), ("right", own_right)):
        mine = pts[pts["mini_net_id"] == gid].geometry.values
        assert len(mine) == 2 and shapely.covered_by(mine, own).all(), gid
    assert res.groups["has_room"].all()
    # a parcel layer that is not polygons is refused with the layer named
    from warmtegis import InputError

    with pytest.raises(InputError, match="parcels"):
        _room(b, m, t, parcels=gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=CRS))


def test_the_studys_unknown_crown_radius_reaches_the_drilling_exclusion_zones():
    """A study's [parameters.corridors] unknown_crown_radius_m sizes the drilling zones too.

    Otterlo's BGT trees carry neither crown nor height, so every tree takes the unknown crown
    radius; each drilling zone is then a disc of that radius plus the drilling tree
    clearance (1.5 m), worked out by hand here, and the corridor zones follow the same radius.
    """
    from warmtegis.datasets import demo_result
    from warmtegis.params import read_parameters
    from warmtegis.pipeline import run_stages

    inputs = demo_result().inputs
    params = read_parameters({"corridors": {"unknown_crown_radius_m": 3.0}})
    r = run_stages(inputs, params, route=False)
    zones = r.drilling.exclusions
    trees = zones[zones["kind"] == "tree"]
    assert len(trees) == len(inputs.trees)
    radius = 3.0 + DrillingParams().tree_clearance_m
    assert trees.area.to_numpy() == pytest.approx(np.pi * radius**2, rel=2e-3)  # 64-gons
    default = demo_result().drilling.exclusions
    default_trees = default[default["kind"] == "tree"]
    assert default_trees.area.to_numpy() == pytest.approx(np.pi * (6.0 + 1.5) ** 2, rel=2e-3)
    corridor = r.corridors.obstacles
    assert corridor.loc[corridor["kind"] == "tree", "crown_radius_m"].eq(3.0).all()
