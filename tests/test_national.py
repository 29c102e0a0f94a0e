"""National scale: prepared GeoParquet, the batch reading it on workers, totals, potential."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from warmtegis import read_buildings
from warmtegis.datasets import get_path
from warmtegis.national.areas import grid_areas
from warmtegis.national.batch import run_batch
from warmtegis.national.bundles import totals
from warmtegis.national.prepare import PreparedBuildings, prepare_buildings
from warmtegis.params.dwellings import DrillingParams
from warmtegis.params.parameters import Parameters

DOESBURG = get_path("doesburg/bag_pand.gpkg")


@pytest.fixture(scope="module")
def doesburg():
    return read_buildings(DOESBURG)


@pytest.fixture(scope="module")
def prepared(doesburg, tmp_path_factory):
    return prepare_buildings(
        doesburg,
        tmp_path_factory.mktemp("prep") / "doesburg",
        partition_size=1500,
        row_group_size=300,
    )


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_prepare_partitions_are_compact_and_read_by_bounds(doesburg, prepared):
    assert prepared.count == len(doesburg) == 7395
    assert len(prepared.files) == 5 and prepared.counts.sum() == 7395
    meta = json.loads((prepared.path / "_warmtegis.json").read_text())
    assert meta["crs"] == "EPSG:28992" and meta["count"] == 7395
    # Hilbert order: the partitions' boxes cover far less than a split in file order or at
    # random would (each of those spans about the whole town)
    b = prepared.bounds
    box_area = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).sum()
    x0, y0, x1, y1 = doesburg.total_bounds

    def split_area(order):
        parts = np.array_split(doesburg.geometry.values[order], 5)
        boxes = [shapely.total_bounds(p) for p in parts]
        return sum((c - a) * (d - b_) for a, b_, c, d in boxes)

    rng = np.random.default_rng(0)
    assert box_area < 0.5 * split_area(rng.permutation(len(doesburg)))
    assert box_area < 0.5 * split_area(np.arange(len(doesburg)))
    # a bounding-box read returns exactly the panden whose box meets it (geopandas by hand)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    window = (cx - 300, cy - 300, cx + 300, cy + 300)
    got = prepared.read(window)
    fb = doesburg.geometry.bounds
    want = doesburg[
        (fb.minx <= window[2])
        & (fb.maxx >= window[0])
        & (fb.miny <= window[3])
        & (fb.maxy >= window[1])
    ]
    assert sorted(got["building_id"]) == sorted(want["building_id"])
    assert len(prepared.partitions_meeting(window)) < len(prepared.files)
    # in the input's order, with the readers' schema and geometry unchanged
    assert (np.diff(got["input_order"].to_numpy()) > 0).all()
    one = want.iloc[0]
    again = got.set_index("building_id").loc[one["building_id"]]
    assert shapely.equals_exact(again.geometry, one.geometry, 1e-9)


def test_batch_from_prepared_equals_batch_from_the_layer(doesburg, prepared, client):
    areas = grid_areas(doesburg, 1000)
    a = run_batch(areas, doesburg, client=client)
    b = run_batch(areas, prepared, client=client, bundle_size=3)
    try:
        left = a.areas.drop(columns=["seconds", "geometry"])
        right = b.areas.drop(columns=["seconds", "geometry"])
        pd.testing.assert_frame_equal(left, right)
        assert "mini_nets" not in b.layers and b.parts["mini_nets"]  # written by the workers
        ma = a.layer("mini_nets").sort_values(["area_id", "mini_net_id"]).reset_index(drop=True)
        mb = b.layer("mini_nets").sort_values(["area_id", "mini_net_id"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            pd.DataFrame(ma.drop(columns="geometry")),
            pd.DataFrame(mb.drop(columns="geometry")),
            check_dtype=False,
        )
        assert ma.geometry.normalize().geom_equals_exact(mb.geometry.normalize(), 1e-9).all()
        # every pand counted once: the areas' buildings add up to the input
        assert int(b.areas["buildings"].sum()) == len(doesburg)
        # the GeoPackage streams the parts: the same groups
        out = b.to_geopackage
        path = prepared.path.parent / "batch.gpkg"
        out(path)
        written = pyogrio.read_dataframe(path, layer="mini_nets")
        assert len(written) == len(mb)
        assert pyogrio.read_dataframe(path, layer="total")["mini_nets"].iloc[0] == len(mb)
    finally:
        b.cleanup()
    assert b.parts == {}


def test_totals_by_group_add_up_by_hand():
    rows = pd.DataFrame(
        {
            "area_id": ["a", "b", "c"],
            "group": ["G1", "G1", "G2"],
            "dwellings": [10, 20, 5],
            "row_and_semi_dwellings": [8, 10, 5],
            "eligible_dwellings": [4, 6, 0],
            "mini_nets": [1, 2, 0],
            "mini_net_eur_per_dwelling": [30000.0, 20000.0, np.nan],
        }
    )
    t = totals(rows, "group").set_index("group")
    assert t.loc["G1", "dwellings"] == 30 and t.loc["G2", "dwellings"] == 5
    assert t.loc["G1", "mini_net_eur_per_dwelling"] == pytest.approx((4 * 30000 + 6 * 20000) / 10)
    assert t.loc["G1", "mini_net_share_pct"] == pytest.approx(100 * 10 / 18)
    assert np.isnan(t.loc["G2", "mini_net_eur_per_dwelling"])
    whole = totals(rows).iloc[0]
    assert whole["areas"] == 3 and whole["eligible_dwellings"] == 10


def test_potential_report_of_a_drilled_batch(doesburg, prepared, client, tmp_path):
    from warmtegis.national.potential import potential_table, write_potential

    areas = grid_areas(doesburg, 2000)
    areas["gemeente"] = "Doesburg"
    # BAG only: the loops are placed on the ground around the buildings (opted in)
    anyway = Parameters(drilling=DrillingParams(place_without_roads=True))
    res = run_batch(
        areas, prepared, client=client, drill=True, group_column="gemeente", parameters=anyway
    )
    try:
        a = res.areas
        assert (a["dwellings_with_room"] <= a["eligible_dwellings"]).all()
        assert (a["dwellings_with_room_cheapest"] <= a["dwellings_with_room"]).all()
        g = res.tables["groups"].set_index("gemeente")
        assert g.loc["Doesburg", "dwellings"] == a["dwellings"].sum()
        paths = write_potential(a, tmp_path / "pot", groups=res.tables["groups"])
    finally:
        res.cleanup()
    table = potential_table(a)
    md = paths["md"].read_text(encoding="utf-8")
    base = table["row_and_semi_dwellings"].sum()
    share = 100 * table["cheapest"].sum() / base
    verdict = "below" if share < 1 else "above" if share > 20 else "within"
    assert f"{share:.1f} %: **{verdict}** the band's share" in md
    # scaled to the 4 million x 77 % still on gas, the base of the band's 30,000-600,000
    scaled = share / 100 * 4_000_000 * 0.77
    dwellings = "below" if scaled < 30_000 else "above" if scaled > 600_000 else "within"
    assert f"{scaled:,.0f} dwellings: **{dwellings}** the band's 30,000-600,000" in md
    assert f"{int(table['with_room'].sum()):,}" in md
    csv = pd.read_csv(paths["csv"])
    assert len(csv) == len(a) and csv["with_room"].sum() == a["dwellings_with_room"].sum()
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count('"area_id"') >= len(a)  # every area in the choropleth's GeoJSON
    assert "| Doesburg |" in md


def test_cli_prepare_and_batch_on_the_folder(tmp_path):
    from warmtegis.cli import main

    run = CliRunner()
    res = run.invoke(
        main,
        ["-q", "prepare", str(DOESBURG), "--out", str(tmp_path / "p"), "--partition-size", "4000"],
    )
    assert res.exit_code == 0, res.output
    assert "7,395 panden in 2 partition(s)" in res.output
    res = run.invoke(
        main,
        [
            "-q",
            "batch",
            "--buildings",
            str(tmp_path / "p"),
            "--out",
            str(tmp_path / "b.gpkg"),
            "--grid-m",
            "2000",
            "--workers",
            "1",
            "--potential",
            str(tmp_path / "pot"),
        ],
    )
    assert res.exit_code == 0, res.output
    layers = set(pyogrio.list_layers(tmp_path / "b.gpkg")[:, 0])
    assert {"areas", "mini_nets", "total"} <= layers
    assert (tmp_path / "pot" / "potential.md").exists()
    # the same report later from the batch's GeoPackage: warmtegis potential
    res = run.invoke(main, ["-q", "potential", str(tmp_path / "b.gpkg"), "--out-dir",
                            str(tmp_path / "pot2")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pot2" / "potential.md").read_text() == (
        tmp_path / "pot" / "potential.md"
    ).read_text()
    res = run.invoke(main, ["-q", "potential", str(DOESBURG), "--out-dir", str(tmp_path / "x")])
    assert res.exit_code == 2 and "batch" in res.output and "areas" in res.output
    # a folder that is not a prepared one is a clear error
    (tmp_path / "empty").mkdir()
    res = run.invoke(
        main,
        ["-q", "batch", "--buildings", str(tmp_path / "empty"), "--out", str(tmp_path / "c.gpkg")],
    )
    assert res.exit_code == 2 and "warmtegis prepare" in res.output
    with pytest.raises(Exception, match="not a prepared buildings folder"):
        PreparedBuildings.open(tmp_path / "empty")


def test_prepare_keeps_verblijfsobject_counts(tmp_path):
    vb = get_path("voorburg/bag_buurten.gpkg")
    ds = prepare_buildings(
        vb, tmp_path / "v", layer="pand", verblijfsobjecten=vb, vbo_layer="verblijfsobject"
    )
    got = ds.read()
    want = read_buildings(
        vb,
        layer="pand",
        verblijfsobjecten=__import__("warmtegis").inputs.read_verblijfsobjecten(
            vb, layer="verblijfsobject"
        ),
    )
    merged = got.set_index("building_id")["n_units"].sort_index()
    assert (merged == want.set_index("building_id")["n_units"].sort_index()).all()
    assert isinstance(got, gpd.GeoDataFrame) and got.crs.to_epsg() == 28992


def test_batch_quiet_prints_no_dask_chatter(tmp_path):
    """``batch -q`` prints the result line only (dask's ~34 INFO lines came through before)."""
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "warmtegis", "-q", "batch", "--buildings", str(DOESBURG),
         "--out", str(tmp_path / "b.gpkg"), "--grid-m", "2000", "--workers", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "INFO" not in res.stderr and "INFO" not in res.stdout, res.stderr
    assert res.stdout.startswith("wrote ")
