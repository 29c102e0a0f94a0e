"""Free trench corridors: hand-built geometry with areas computed by hand, and the real data."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from warmtegis import (
    ConfigError,
    CorridorParams,
    analyse_corridors,
    crown_diameter_from_height,
    obstacle_zones,
    read_roads,
    read_sewers,
    read_trees,
)
from warmtegis.params.parameters import read_parameters

RD = "EPSG:28992"


def street(width: float, length: float = 100.0, name: str = "Teststraat") -> gpd.GeoDataFrame:
    roads = gpd.GeoDataFrame(
        {"segment_id": ["s1"], "road_type": ["G"], "width_m": [width], "street_name": [name]},
        geometry=[LineString([(0, 0), (length, 0)])],
        crs=RD,
    )
    roads.attrs["road_kind"] = "centrelines"
    return roads


def axis_sewer(diameter: float = np.nan) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"sewer_id": ["r1"], "diameter_m": [diameter]},
        geometry=[LineString([(-10, 0), (110, 0)])],
        crs=RD,
    )


def trees_at(points, crown=np.nan, height=np.nan, hmin=np.nan, hmax=np.nan):
    n = len(points)
    return gpd.GeoDataFrame(
        {
            "tree_id": [f"t{i}" for i in range(n)],
            "crown_diameter_m": [crown] * n,
            "height_m": [height] * n,
            "height_min_m": [hmin] * n,
            "height_max_m": [hmax] * n,
        },
        geometry=[Point(p) for p in points],
        crs=RD,
    )


def circle_band_area(r: float, lo: float, hi: float) -> float:
    """Area of a circle of radius r (centre at 0) between heights lo and hi (by hand)."""
    lo, hi = max(lo, -r), min(hi, r)
    if hi <= lo:
        return 0.0
    F = lambda h: h * math.sqrt(r * r - h * h) + r * r * math.asin(h / r)  # noqa: E731
    return F(hi) - F(lo)


def test_street_with_sewer_and_tree_by_hand():
    # 100 m x 8 m street, sewer on its axis (zone 1.0 m each side), one tree of crown
    # diameter 8 m at 3 m off the axis (zone radius 4 + 1.5 = 5.5 m)
    c = analyse_corridors(street(8.0), sewers=axis_sewer(), trees=trees_at([(50, 3)], crown=8.0))
    r = 5.5
    # tree zone inside the two free strips y in [1, 4] and [-4, -1]; centre at y = 3
    tree_in_free = circle_band_area(r, 1 - 3, 4 - 3) + circle_band_area(r, -4 - 3, -1 - 3)
    free = 800 - 200 - tree_in_free
    assert c.free_corridors["area_m2"].sum() == pytest.approx(free, rel=0.01)
    assert c.free_corridors["street_name"].tolist() == ["Teststraat"]
    seg = c.road_segments.iloc[0]
    assert seg["road_width_m"] == pytest.approx(8.0)
    # most cross-sections have two free strips of 3 m: the widest is 3 m
    assert seg["free_width_m"] == pytest.approx(3.0, rel=0.01)
    # at the tree the lower strip narrows to -4 .. 3 - sqrt(5.5^2 - dx^2); the nearest
    # cross-section (1 m spacing, at x = k + 0.5) has dx = 0.5: about 1.52 m
    assert seg["min_free_width_m"] == pytest.approx(7 - math.sqrt(5.5**2 - 0.5**2), rel=0.01)
    assert bool(seg["passable"]) is True  # 1.2 m fits in 1.5 m
    assert seg["blocked_by"] == ""
    assert seg["blocked_length_m"] == 0
    assert len(c.bottlenecks) == 0
    zones = c.obstacles.set_index("kind")["buffer_m"]
    assert zones["tree"] == 5.5 and zones["sewer"] == 1.0


def test_tree_blocks_a_wider_trench_by_hand():
    c = analyse_corridors(
        street(8.0),
        sewers=axis_sewer(),
        trees=trees_at([(50, 3)], crown=8.0),
        params=CorridorParams(trench_width_m=1.6),
    )
    seg = c.road_segments.iloc[0]
    assert not seg["passable"]
    assert seg["blocked_by"] == "tree"
    # the trench centre must stay 0.8 m from the zone (radius 6.3) and above y = -3.2:
    # blocked where 3 - sqrt(6.3^2 - dx^2) <= -3.2, i.e. |dx| <= sqrt(6.3^2 - 6.2^2)
    blocked = 2 * math.sqrt(6.3**2 - 6.2**2)
    assert seg["blocked_length_m"] == pytest.approx(blocked, abs=1.0)  # 1 m stations
    (bn,) = c.bottlenecks.itertuples()
    assert bn.segment_id == "s1" and bn.reason == "tree" and bn.n_trees == 1
    assert bn.geometry.distance(Point(50, 0)) < 1.0


def test_narrow_street_with_central_sewer():
    # 3 m street, sewer zone 2 m wide in the middle: two 0.5 m strips
    narrow = analyse_corridors(street(3.0), sewers=axis_sewer())
    seg = narrow.road_segments.iloc[0]
    assert not seg["passable"]
    assert seg["blocked_by"] == "sewer"
    assert seg["blocked_length_m"] == pytest.approx(100.0)
    assert seg["free_width_m"] == pytest.approx(0.5, rel=0.01)
    zlt = analyse_corridors(
        street(3.0), sewers=axis_sewer(), params=CorridorParams(trench_width_m=0.4)
    )
    assert bool(zlt.road_segments.iloc[0]["passable"]) is True
    # with a known diameter of 0.4 m the sewer zone grows by 0.2 m each side
    wide = obstacle_zones(sewers=axis_sewer(0.4))
    assert wide["buffer_m"].iloc[0] == pytest.approx(1.2)


def test_bare_road_too_narrow_is_narrow():
    seg = analyse_corridors(street(1.0)).road_segments.iloc[0]
    assert not seg["passable"] and seg["blocked_by"] == "narrow"


def test_tree_plus_sewer():
    # 6 m street, sewer band [-1, 1]; two trees of unknown size (zone 6 + 1.5 = 7.5 m) at
    # y = +-9.5 reach y = +-2: the strips [1, 3] and [-3, -1] narrow to 1 m at x = 50
    c = analyse_corridors(
        street(6.0),
        sewers=axis_sewer(),
        trees=trees_at([(50, 9.5), (50, -9.5)]),
    )
    seg = c.road_segments.iloc[0]
    # nearest cross-section at dx = 0.5: strip from 1 to 9.5 - sqrt(7.5^2 - 0.5^2)
    assert seg["min_free_width_m"] == pytest.approx(8.5 - math.sqrt(7.5**2 - 0.5**2), rel=0.01)
    assert not seg["passable"]
    # removing the trees alone leaves 2 m strips (passable); removing the sewer alone
    # leaves y in [-2, 2] = 4 m (passable): both kinds are to blame
    assert seg["blocked_by"] == "tree+sewer"


def test_tree_radius_from_height_and_default():
    t = trees_at([(0, 0)] * 4)
    t["height_m"] = [np.nan, 10.5, 24.0, 3.0]
    t["height_min_m"] = [np.nan, 9, 24, 0]
    t["height_max_m"] = [np.nan, 12, np.nan, 6]
    t.loc[3, "crown_diameter_m"] = 4.0
    z = obstacle_zones(trees=t)
    # unknown -> 6 m radius; 9-12 m -> 7.3/2; '24 m. en hoger' -> >24 class 10.5/2; crown 4 -> 2
    np.testing.assert_allclose(z["crown_radius_m"], [6.0, 3.65, 5.25, 2.0])
    np.testing.assert_allclose(z["buffer_m"], [7.5, 5.15, 6.75, 3.5])
    assert z["crown_from"].tolist() == ["default", "height", "height", "crown"]
    np.testing.assert_allclose(z.area, np.pi * z["buffer_m"] ** 2, rtol=0.005)
    np.testing.assert_allclose(
        crown_diameter_from_height([6.0, 6.1, 15.0, 30.0, np.nan]),
        [2.0, 5.1, 8.0, 10.5, np.nan],
    )


def test_parameters_validated():
    params = read_parameters({"corridors": {"trench_width_m": 0.6}}).corridors
    assert params.trench_width_m == 0.6
    with pytest.raises(ConfigError) as err:
        read_parameters({"corridors": {"trench_width": 0.6, "sewer_clearance_m": -1}})
    assert "unknown key 'trench_width'" in str(err.value)
    assert "sewer_clearance_m must be >= 0.0" in str(err.value)


def test_bgt_rectangle_gets_a_centreline():
    roads = gpd.GeoDataFrame(
        {"segment_id": ["p1"], "road_type": ["rijbaan lokale weg"]},
        geometry=[box(0, -4, 100, 4)],
        crs=RD,
    )
    roads.attrs["road_kind"] = "surfaces"
    c = analyse_corridors(roads)
    segs = c.road_segments
    assert len(segs) == 1
    assert segs["length_m"].iloc[0] > 85  # the skeleton stops short of the ends
    assert segs["road_width_m"].iloc[0] == pytest.approx(8.0, rel=0.01)
    assert bool(segs["passable"].iloc[0])


# --------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def otterlo():
    from warmtegis.datasets import get_path

    roads = read_roads(get_path("otterlo/bgt_wegdeel.gpkg"))
    sewers = read_sewers(get_path("otterlo/riool_benaderd.gpkg"))
    trees = read_trees(get_path("otterlo/bgt_boom.gpkg"))
    return roads, analyse_corridors(roads, sewers=sewers, trees=trees)


@pytest.fixture(scope="module")
def wageningen():
    from warmtegis.datasets import get_path

    roads = read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    return roads, analyse_corridors(roads)


@pytest.mark.parametrize("case", ["otterlo", "wageningen"])
def test_real_invariants(case, request):
    roads, c = request.getfixturevalue(case)
    seg = c.road_segments
    road_area = c.surface.union_all().area
    assert c.free_corridors["area_m2"].sum() <= road_area + 1e-6
    # every bottleneck lies on a non-passable segment
    bad = set(seg.loc[~seg["passable"], "segment_id"])
    assert set(c.bottlenecks["segment_id"]) <= bad
    # segment lengths add up to the network length
    assert seg["length_m"].sum() == pytest.approx(seg.length.sum())
    assert (seg["blocked_length_m"] <= seg["length_m"] + 1e-9).all()
    assert set(seg["blocked_by"]) <= {"", "tree", "sewer", "tree+sewer", "narrow"}
    assert (seg.loc[seg["passable"], "blocked_by"] == "").all()
    assert (seg["free_width_m"] <= seg["road_width_m"] + 1e-3).all()
    if case == "wageningen":
        assert seg["length_m"].sum() == pytest.approx(roads.length.sum())
        assert len(seg) == 247


def test_otterlo_headline_figures(otterlo):
    _, c = otterlo
    figures = {k: v for k, v, _ in c.summary()}
    # the derived centreline network of Otterlo's carriageways is about 37 km
    assert 33 < figures["street_length"] < 41
    assert figures["road_area"] == pytest.approx(34.77, abs=0.05)
    # 2088 trees without height get the 7.5 m zone; about half the street length stays passable
    assert 35 < figures["passable_share"] < 70
    assert figures["bottlenecks"] > 100
    assert (c.obstacles["kind"] == "tree").sum() <= 2088
    assert set(c.obstacles.loc[c.obstacles["kind"] == "tree", "buffer_m"]) == {7.5}


def test_wageningen_without_obstacles_is_passable(wageningen):
    _, c = wageningen
    assert c.road_segments["passable"].all()
    assert c.road_segments["road_width_m"].isin([6.0, 9.0]).all()  # G and P defaults


def test_centrelines_are_cached_on_disk_and_recomputed_when_damaged(tmp_path, monkeypatch):
    """The skeletons of the same carriageways are read back, equal; a damaged file is redone."""
    from warmtegis import read_roads
    from warmtegis.corridors.surface import derive_centrelines
    from warmtegis.datasets import get_path

    monkeypatch.setenv("WARMTEGIS_CACHE_DIR", str(tmp_path))
    roads = read_roads(get_path("otterlo/bgt_wegdeel.gpkg"), layer="wegdeel")
    first = derive_centrelines(roads)
    files = list((tmp_path / "centrelines").glob("*.npy"))
    assert len(files) == 1
    again = derive_centrelines(roads)
    assert again.geometry.geom_equals_exact(first.geometry, 0).all()
    files[0].write_bytes(b"not a numpy file")
    redone = derive_centrelines(roads)
    assert redone.geometry.geom_equals_exact(first.geometry, 0).all()
    # other parameters, another key
    from warmtegis.params.street import CorridorParams

    derive_centrelines(roads, CorridorParams(centreline_min_branch_m=8.0))
    assert len(list((tmp_path / "centrelines").glob("*.npy"))) == 2
