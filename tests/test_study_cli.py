"""Study file validation and the command line: exit codes, atomic outputs."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from warmtegis import ConfigError, read_study, run_study
from warmtegis.cli import main
from warmtegis.datasets import data_dir

OTTERLO = (
    "bgt_pand.gpkg",
    "bgt_wegdeel.gpkg",
    "riool_benaderd.gpkg",
    "bgt_boom.gpkg",
    "bgt_terrein.gpkg",
)


@pytest.fixture
def study_dir(tmp_path):
    """A copy of the Otterlo demo study in a temporary directory."""
    for name in (*OTTERLO, "study.toml"):
        shutil.copy(data_dir() / "otterlo" / name, tmp_path / name)
    return tmp_path


def test_demo_study_reads(study_dir):
    study = read_study(study_dir / "study.toml")
    assert study.name == "otterlo"
    assert set(study.inputs) == {"buildings", "roads", "sewers", "trees", "terrain"}
    assert study.inputs["roads"].layer == "wegdeel"
    assert study.source == (181200.0, 457300.0)


def test_study_collects_every_problem(tmp_path):
    (tmp_path / "s.toml").write_text(
        '[study]\nname = "x"\ncolour = "red"\n'
        '[inputs]\nbuildings = "nope.gpkg"\npipes = "p.gpkg"\n'
        '[source]\nx = "far"\ny = 1\n'
        "[parameters.magic]\nfoo = 1\n"
    )
    with pytest.raises(ConfigError) as err:
        read_study(tmp_path / "s.toml")
    text = str(err.value)
    assert "unknown key 'colour'" in text
    assert "unknown key 'pipes'" in text
    assert "file not found" in text and "nope.gpkg" in text
    assert "x and y must be numbers" in text
    assert "unknown parameter section [parameters.magic]" in text
    assert len(err.value.problems) == 5


def test_bad_toml(tmp_path):
    (tmp_path / "s.toml").write_text("[study\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        read_study(tmp_path / "s.toml")


def test_run_study_loads_inputs(study_dir):
    result = run_study(study_dir / "study.toml")
    summary = result.summary.set_index("key")["value"]
    assert summary["buildings"] == 762
    assert summary["trees"] == 2088
    assert summary["road_surface_area"] == pytest.approx(34.87, abs=0.01)
    assert summary["sewer_length"] == pytest.approx(7.564, abs=0.001)


def test_source_outside_the_netherlands(study_dir):
    text = (study_dir / "study.toml").read_text().replace("x = 181200.0", "x = 5.9")
    (study_dir / "study.toml").write_text(text)
    with pytest.raises(ConfigError, match=r"\[source\]: \(5\.9, 457300\.0\) lies outside the Ne"):
        run_study(study_dir / "study.toml")


def test_source_1_km_outside_the_area_routes(study_dir, caplog):
    """A source beyond the roads is joined by a transport pipe, in the summary and pipes."""
    import shapely

    roads = gpd.read_file(study_dir / "bgt_wegdeel.gpkg")
    x = float(roads.total_bounds[2]) + 1000.0  # 1 km east of the area's last road
    text = (study_dir / "study.toml").read_text().replace("x = 181200.0", f"x = {x}")
    (study_dir / "study.toml").write_text(text)
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        result = run_study(study_dir / "study.toml")
    summary = result.summary.set_index("key")["value"]
    # independently: the straight distance to the nearest usable street segment
    segs = result.corridors.road_segments
    usable = segs[segs["segment_id"].isin(result.network.edges["segment_id"])]
    src = shapely.Point(x, 457300.0)
    expected = float(usable.distance(src).min())
    assert expected > 1000
    assert summary["source_link"] * 1000 == pytest.approx(expected, abs=0.5)
    link = result.layers["pipes"].query("segment_id == 'source'")
    assert link["pipe_class"].tolist() == ["transport"]
    assert summary["source_link_cost"] == pytest.approx(link["cost_eur"].sum())
    assert summary["pipes_transport"] >= summary["source_link"]
    assert f"the heat source lies {expected:,.0f} m from the nearest usable street" in caplog.text
    assert summary["warnings"] >= 1


def test_cli_run_writes_layers(study_dir, tmp_path):
    out = tmp_path / "out.gpkg"
    res = CliRunner().invoke(
        main, ["--quiet", "run", str(study_dir / "study.toml"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    layers = dict(pyogrio.list_layers(out))
    assert {"input_buildings", "input_roads", "input_sewers", "input_trees", "summary"} <= set(
        layers
    )
    assert pyogrio.read_info(out, layer="input_trees")["features"] == 2088
    summary = pd.read_csv(out.with_suffix(".summary.csv"))
    assert summary.set_index("key").loc["buildings", "value"] == 762


def test_cli_bad_input_exit_2_keeps_good_output(study_dir, tmp_path):
    out = tmp_path / "out.gpkg"
    runner = CliRunner()
    html = tmp_path / "out.html"
    args = ["-q", "run", str(study_dir / "study.toml"), "--out", str(out), "--map", str(html)]
    assert runner.invoke(main, args).exit_code == 0
    before = out.read_bytes()
    outputs = [html, tmp_path / "out.heat_density.tif", tmp_path / "out.summary.md"]
    kept = [p.read_bytes() for p in outputs]
    # break an input: the trees file becomes garbage
    (study_dir / "bgt_boom.gpkg").write_text("garbage")
    res = runner.invoke(main, args)
    assert res.exit_code == 2
    assert "bgt_boom.gpkg" in res.output and "Traceback" not in res.output
    assert out.read_bytes() == before
    assert [p.read_bytes() for p in outputs] == kept
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    # unknown key in the study file
    (study_dir / "study.toml").write_text((study_dir / "study.toml").read_text() + "\n[extra]\n")
    res = runner.invoke(main, ["-q", "run", str(study_dir / "study.toml"), "--out", str(out)])
    assert res.exit_code == 2
    assert "unknown key 'extra'" in res.output


def test_console_script_help():
    res = subprocess.run(
        [sys.executable, "-m", "warmtegis", "--help"], capture_output=True, text=True, check=True
    )
    assert "run" in res.stdout and "demo" in res.stdout


def test_demo_command(tmp_path):
    res = CliRunner().invoke(main, ["-q", "demo", "--out-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "buildings" in res.output
    # every layer of docs/outputs.md, readable by pyogrio, with its required columns
    gpkg = tmp_path / "otterlo.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    required = {
        "buildings": {"building_id", "dwellings", "heat_demand_gj", "mini_net_id", "connected"},
        "road_segments": {"segment_id", "length_m", "road_width_m", "free_width_m", "passable"},
        "obstacles": {"kind", "source_id", "buffer_m"},
        "free_corridors": {"area_m2"},
        "bottlenecks": {"segment_id", "reason", "length_m"},
        "pipes": {"pipe_class", "length_m", "dn", "peak_kw", "dwellings_served", "cost_eur"},
        "mini_nets": {"mini_net_id", "n_dwellings", "n_boreholes", "capex_per_dwelling_eur"},
        "summary": {"key", "value", "unit"},
    }
    for layer, columns in required.items():
        assert layer in layers
        info = pyogrio.read_info(gpkg, layer=layer)
        assert columns <= set(info["fields"]), layer
        assert info["features"] > 0, layer
    for name in ("otterlo.html", "otterlo.summary.csv", "otterlo.summary.md"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "otterlo.heat_density.tif").is_file()
