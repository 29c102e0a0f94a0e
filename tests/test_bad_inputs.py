"""The bad-input corpus: damaged copies of the bundled real data, run through the CLI.

Every case starts from a small real study (a 500 m x 500 m window of Otterlo: BGT panden,
road surfaces, trees, approximated sewers, water as barriers) with a good output set already
written, damages one thing, runs ``warmtegis run`` and asserts:

- the exit code (2 for what cannot be right, 0 for what is repaired or set to unknown with a
  counted warning), never a traceback or an "internal error";
- that the message names the file, layer or column and the fix;
- for a refused run: that no earlier output changed (byte for byte) and no temporary file was
  left behind; for an accepted run: that the new set is consistent (the GeoPackage's summary
  equals the CSV) and the warning is counted in the summary and listed in the GeoPackage.

Kills (SIGKILL at random moments) and scale oddities close the corpus.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from warmtegis.cli import main
from warmtegis.datasets import get_path

SOURCE = (181200.0, 457300.0)
WINDOW = shapely.box(SOURCE[0] - 250, SOURCE[1] - 250, SOURCE[0] + 250, SOURCE[1] + 250)
#: input name -> (file, layer, Otterlo file)
INPUTS = {
    "buildings": ("pand.gpkg", "pand", "otterlo/bgt_pand.gpkg"),
    "roads": ("wegdeel.gpkg", "wegdeel", "otterlo/bgt_wegdeel.gpkg"),
    "trees": ("boom.gpkg", "boom", "otterlo/bgt_boom.gpkg"),
    "sewers": ("riool.gpkg", "riool", "otterlo/riool_benaderd.gpkg"),
    "barriers": ("water.gpkg", "waterdeel", "otterlo/bgt_waterdeel.gpkg"),
}
NAMES = list(INPUTS)
STUDY = """[study]
name = "corpus"

[inputs]
buildings = {{ path = "pand.gpkg", layer = "pand"{b} }}
roads = {{ path = "wegdeel.gpkg", layer = "wegdeel"{r} }}
trees = {{ path = "boom.gpkg", layer = "boom"{t} }}
sewers = {{ path = "riool.gpkg", layer = "riool"{s} }}
barriers = {{ path = "water.gpkg", layer = "waterdeel"{w} }}

[source]
x = {x}
y = {y}

[parameters]
{params}
"""
OUTPUTS = ("out.gpkg", "out.summary.csv", "out.summary.md", "out.heat_density.tif", "map.html")


def write_study(d: Path, params: str = "", source: tuple = SOURCE, **options: str) -> None:
    opts = {k: (", " + options[k]) if k in options else "" for k in "brtsw"}
    text = STUDY.format(x=source[0], y=source[1], params=params, **opts)
    (d / "study.toml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The window's inputs, its study file and a good output set in out/."""
    d = tmp_path_factory.mktemp("corpus-base")
    for file, layer, src in INPUTS.values():
        g = gpd.read_file(get_path(src))
        g = g[g.intersects(WINDOW)].reset_index(drop=True)
        g.to_file(d / file, layer=layer)
    write_study(d)
    (d / "out").mkdir()
    res = run_cli(d)
    assert res.exit_code == 0, res.output
    return d


def run_cli(d: Path, *extra: str, out: str = "out/out.gpkg", study: str = "study.toml"):
    args = ["-q", "run", str(d / study), "--out", str(d / out), "--map", str(d / "out/map.html")]
    return CliRunner().invoke(main, [*args, *extra])


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


# ------------------------------------------------------------------------------ damage helpers
def frame(d: Path, name: str) -> gpd.GeoDataFrame:
    file, layer, _ = INPUTS[name]
    return gpd.read_file(d / file, layer=layer)


def save(d: Path, name: str, gdf: gpd.GeoDataFrame, **kw) -> None:
    file, layer, _ = INPUTS[name]
    (d / file).unlink()
    gdf.to_file(d / file, layer=layer, **kw)


def path_of(d: Path, name: str) -> Path:
    return d / INPUTS[name][0]


def bowtie(geom: shapely.Geometry) -> shapely.Polygon:
    x0, y0, x1, y1 = geom.bounds
    return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def no_crs(d: Path, name: str) -> None:
    g = frame(d, name)
    bare = gpd.GeoDataFrame(g.drop(columns="geometry"), geometry=np.asarray(g.geometry.values))
    assert bare.crs is None
    with warnings.catch_warnings():  # geopandas warns that the file will have no CRS
        warnings.simplefilter("ignore")
        save(d, name, bare)


@dataclass
class Case:
    """One damaged copy: what to break, what the run must say."""

    id: str
    damage: Callable[[Path], None]
    code: int
    says: tuple[str, ...]
    args: tuple[str, ...] = ()
    out: str = "out/out.gpkg"
    check: Callable[[Path, object], None] | None = None
    tags: set = field(default_factory=set)


CASES: list[Case] = []


def case(id: str, damage, code: int, *says: str, **kw) -> None:
    CASES.append(Case(id, damage, code, says, **kw))


# ---- files: five kinds of unreadable file for every input (25)
for n in NAMES:
    f = INPUTS[n][0]
    case(
        f"file-missing-{n}",
        lambda d, n=n: path_of(d, n).unlink(),
        2,
        "file not found",
        f,
        "relative to the study file",
    )
    case(
        f"file-empty-{n}",
        lambda d, n=n: path_of(d, n).write_bytes(b""),
        2,
        "cannot read",
        f,
        "re-export it",
    )
    case(
        f"file-text-{n}",
        lambda d, n=n: path_of(d, n).write_text("id;x;y\n1;2;3\n"),
        2,
        "cannot read",
        f,
        "re-export it",
    )
    case(
        f"file-truncated-{n}",
        lambda d, n=n: path_of(d, n).write_bytes(path_of(d, n).read_bytes()[:4096]),
        2,
        f,
        "re-export it",
    )
    case(
        f"file-folder-{n}",
        lambda d, n=n: (path_of(d, n).unlink(), path_of(d, n).mkdir()),
        2,
        f,
        "re-export it",
    )

# ---- layers (15)
for n in NAMES:
    f, layer, _ = INPUTS[n]

    def wrong_layer(d, n=n, layer=layer):
        text = (d / "study.toml").read_text().replace(f'layer = "{layer}"', 'layer = "nope"')
        (d / "study.toml").write_text(text)

    def two_layers(d, n=n, layer=layer):
        g = frame(d, n)
        path_of(d, n).unlink()
        g.to_file(path_of(d, n), layer="laag_a")  # no name a reader prefers
        g.to_file(path_of(d, n), layer="laag_b")
        text = (d / "study.toml").read_text().replace(f', layer = "{layer}"', "")
        (d / "study.toml").write_text(text)

    case(f"layer-unknown-{n}", wrong_layer, 2, "has no layer 'nope'", f, "layers in the file")
    case(f"layer-ambiguous-{n}", two_layers, 2, "say which one", f, "layers in the file")
    case(f"layer-empty-{n}", lambda d, n=n: save(d, n, frame(d, n).iloc[:0]), 2, "is empty", f)

# ---- geometry (15)
case(
    "geom-buildings-as-points",
    lambda d: save(
        d, "buildings", frame(d, "buildings").set_geometry(frame(d, "buildings").centroid)
    ),
    2,
    "pand.gpkg",
    "Point",
    "must be",
    "Polygon",
)
case(
    "geom-trees-as-polygons",
    lambda d: save(d, "trees", frame(d, "trees").set_geometry(frame(d, "trees").buffer(1))),
    2,
    "boom.gpkg",
    "Polygon",
    "must be",
    "Point",
)
case(
    "geom-sewers-as-polygons",
    lambda d: save(d, "sewers", frame(d, "sewers").set_geometry(frame(d, "sewers").buffer(1))),
    2,
    "riool.gpkg",
    "Polygon",
    "must be",
)
case(
    "geom-roads-as-points",
    lambda d: save(d, "roads", frame(d, "roads").set_geometry(frame(d, "roads").centroid)),
    2,
    "wegdeel.gpkg",
    "Point",
    "must be",
)
case(
    "geom-barriers-as-points",
    lambda d: save(d, "barriers", frame(d, "barriers").set_geometry(frame(d, "barriers").centroid)),
    2,
    "water.gpkg",
    "Point",
    "must be",
)
for n in NAMES:

    def all_null(d, n=n):
        g = frame(d, n)
        g = g.set_geometry(gpd.GeoSeries([None] * len(g), crs=g.crs))
        save(d, n, g)

    case(f"geom-all-null-{n}", all_null, 2, "has no geometries", INPUTS[n][0])


def bowtie_buildings(d):
    g = frame(d, "buildings")
    g.loc[:9, "geometry"] = [bowtie(x) for x in g.geometry.iloc[:10]]
    save(d, "buildings", g)


def bowtie_roads(d):
    g = frame(d, "roads")
    g.loc[:4, "geometry"] = [bowtie(x) for x in g.geometry.iloc[:5]]
    save(d, "roads", g)


def some_null_buildings(d):
    g = frame(d, "buildings")
    g.loc[:2, "geometry"] = None
    save(d, "buildings", g)


def mixed_roads(d):
    g = frame(d, "roads")
    g.loc[:3, "geometry"] = g.geometry.iloc[:4].boundary
    save(d, "roads", g)


case("geom-bowtie-buildings", bowtie_buildings, 0, "repaired 10 invalid polygons")
case("geom-bowtie-roads", bowtie_roads, 0, "repaired 5 invalid polygons")
case("geom-some-null-buildings", some_null_buildings, 0, "dropped 3 features with null")
case("geom-mixed-roads", mixed_roads, 2, "wegdeel.gpkg", "mixes lines and polygons")


# ---- CRS (27)
def relabel(d, n, crs):
    g = frame(d, n).set_crs(crs, allow_override=True)
    save(d, n, g)


def to_lonlat_labelled_rd(d, n):
    g = frame(d, n).to_crs(4326).set_crs(28992, allow_override=True)
    save(d, n, g)


def shifted(d, n, dx=1_300_000.0, dy=0.0):
    g = frame(d, n)
    g = g.set_geometry(g.geometry.translate(dx, dy))
    save(d, n, g)


for n in NAMES:
    f = INPUTS[n][0]
    case(f"crs-none-{n}", lambda d, n=n: no_crs(d, n), 2, f, "no coordinate reference system")
    case(
        f"crs-rd-labelled-4326-{n}",
        lambda d, n=n: relabel(d, n, 4326),
        2,
        f,
        "not longitudes/latitudes",
        "relabel the layer EPSG:28992",
    )
    case(
        f"crs-lonlat-labelled-rd-{n}",
        lambda d, n=n: to_lonlat_labelled_rd(d, n),
        2,
        f,
        "look like longitudes/latitudes",
        "relabel it EPSG:4326",
    )
    case(
        f"crs-1300km-away-{n}",
        lambda d, n=n: shifted(d, n),
        2,
        f,
        "outside the Netherlands",
        "Is the CRS label right?",
    )
    case(
        f"crs-reprojected-3857-{n}",
        lambda d, n=n: save(d, n, frame(d, n).to_crs(3857)),
        0,
        "",
        check=lambda d, res: None,
        tags={"same-as-base"},
    )


def swapped_trees(d):
    g = frame(d, "trees").to_crs(4326)
    g = g.set_geometry(gpd.points_from_xy(g.geometry.y, g.geometry.x, crs=4326))
    save(d, "trees", g)


case("crs-swapped-lonlat-trees", swapped_trees, 2, "boom.gpkg", "look swapped")


def stray_tree(d):
    g = frame(d, "trees")
    g.loc[0, "geometry"] = shapely.Point(0, 0)
    save(d, "trees", g)


case("crs-one-stray-tree-at-0-0", stray_tree, 0, "dropped 1 of", "outside the Netherlands")


# ---- extents: layers from other towns, or 5 km off (8)
def other_town(n, src, layer):
    def damage(d):
        g = gpd.read_file(get_path(src))
        file, lyr, _ = INPUTS[n]
        path_of(d, n).unlink()
        g.to_file(d / file, layer=lyr)

    return damage


case(
    "extent-roads-of-wageningen",
    other_town("roads", "wageningen/nwb_wegvakken.gpkg", "w"),
    2,
    "the roads",
    "from the buildings",
    "km from the buildings",
    "same area",
)
case(
    "extent-trees-of-amsterdam",
    other_town("trees", "amsterdam/bomen_sarphati.gpkg", "b"),
    2,
    "the trees",
    "from the buildings",
)
case(
    "extent-sewers-of-bergermeer",
    other_town("sewers", "bergermeer/riool_leidingen.gpkg", "l"),
    2,
    "the sewers",
    "from the buildings",
)
case(
    "extent-barriers-of-wageningen",
    other_town("barriers", "wageningen/nwb_wegvakken.gpkg", "w"),
    2,
    "the barriers",
    "from the buildings",
)
for n in ("roads", "trees", "sewers", "barriers"):
    case(
        f"extent-{n}-5km-off",
        lambda d, n=n: shifted(d, n, 5000.0, 0.0),
        2,
        f"the {n}",
        "from the buildings",
        "km from the buildings",
    )


# ---- attributes (15)
def dup_ids(d):
    g = frame(d, "buildings")
    g["bag_pand_id"] = "0200100000000001"
    g["lokaalID"] = "G0200.dup"
    save(d, "buildings", g)


def null_ids(d):
    g = frame(d, "trees")
    g["lokaalID"] = None
    g.loc[:5, "lokaalID"] = "same"
    save(d, "trees", g)


def tree_heights(values):
    def damage(d):
        g = frame(d, "trees")
        g["hoogte"] = [values[i % len(values)] for i in range(len(g))]
        save(d, "trees", g)
        write_study(d, t='height_column = "hoogte"')

    return damage


def sewer_diameters(d):
    g = frame(d, "sewers")
    g["diameter"] = 5000.0
    save(d, "sewers", g)
    write_study(d, s='diameter_column = "diameter", diameter_unit = "m"')


def units(values):
    def damage(d):
        g = frame(d, "buildings")
        g["aantal_verblijfsobjecten"] = [values[i % len(values)] for i in range(len(g))]
        save(d, "buildings", g)

    return damage


def road_widths(d):
    g = frame(d, "roads")
    g["wegbreedte"] = -3.0
    save(d, "roads", g)


def check_heights(expected):
    def check(d, res):
        t = gpd.read_file(d / "out/out.gpkg", layer="input_trees")
        assert sorted(t["height_m"].dropna().unique().tolist()) == expected

    return check


case("attr-duplicate-building-ids", dup_ids, 0, "repeated ids", "made unique")
case("attr-null-and-repeated-tree-ids", null_ids, 0, "empty and", "repeated ids")
case(
    "attr-tree-height-500m",
    tree_heights(["500", "9"]),
    0,
    "'hoogte'",
    "outside the plausible range",
    check=check_heights([9.0]),
)
case(
    "attr-tree-height-decimal-comma",
    tree_heights(["5,5", "12,5"]),
    0,
    "",
    check=check_heights([5.5, 12.5]),
)
case(
    "attr-tree-height-negative",
    tree_heights(["-4", "6"]),
    0,
    "outside the plausible range",
    check=check_heights([6.0]),
)
case(
    "attr-sewer-diameter-5000-m",
    sewer_diameters,
    0,
    "'diameter (m)'",
    "outside the plausible range 0.05-5 m",
)
case(
    "attr-units-negative",
    units([-5, 1]),
    0,
    "'aantal_verblijfsobjecten'",
    "outside the plausible range",
)
case(
    "attr-units-100000",
    units([100000, 1]),
    0,
    "'aantal_verblijfsobjecten'",
    "outside the plausible range",
)
case("attr-units-decimal-comma", units(["1,0", "2"]), 0, "")
case("attr-road-width-negative", road_widths, 0, "'wegbreedte'", "outside the plausible range")
case(
    "attr-explicit-column-missing",
    lambda d: write_study(d, t='height_column = "nope"'),
    2,
    "boom.gpkg",
    "no column 'nope'",
    "columns present",
)
case(
    "attr-columns-names-missing",
    lambda d: write_study(d, b='columns = { identificatie = "pand_nr" }'),
    2,
    "pand.gpkg",
    "no column 'pand_nr'",
    "columns present",
)
case(
    "attr-columns-not-a-table",
    lambda d: write_study(d, b='columns = "pand_nr"'),
    2,
    "columns must be a table",
)
case(
    "attr-road-function-missing",
    lambda d: save(d, "roads", frame(d, "roads").drop(columns=["function"])),
    2,
    "wegdeel.gpkg",
    "no column 'function'",
    "function_column",
)
case("attr-footprint-fallback-counted", lambda d: None, 0, "classified from their footprint alone")


# ---- study file (14)
def edit_study(old, new):
    def damage(d):
        text = (d / "study.toml").read_text()
        assert old in text
        (d / "study.toml").write_text(text.replace(old, new))

    return damage


case(
    "study-not-toml",
    lambda d: (d / "study.toml").write_text("[study\nname="),
    2,
    "study.toml",
    "not valid TOML",
)
case(
    "study-unknown-top-key",
    edit_study("[source]", "[sauce]\nx = 1\n[source]"),
    2,
    "unknown key 'sauce'",
)
case(
    "study-unknown-parameter",
    lambda d: write_study(d, params="[parameters.corridors]\nfoo = 1"),
    2,
    "foo",
)
case(
    "study-parameter-wrong-type",
    lambda d: write_study(d, params='[parameters.corridors]\ntree_margin_m = "wide"'),
    2,
    "tree_margin_m",
)
case(
    "study-parameter-below-minimum",
    lambda d: write_study(d, params="[parameters.corridors]\ntrench_width_m = -1.0"),
    2,
    "trench_width_m",
)
case("study-unknown-network", lambda d: write_study(d, params='network = "HT"'), 2, "HT")
case(
    "study-service-max-zero",
    lambda d: write_study(d, params="[parameters.routing]\nservice_max_m = 0.0"),
    2,
    "service_max_m",
)
case(
    "study-service-max-tiny",
    lambda d: write_study(d, params="[parameters.routing]\nservice_max_m = 1.0"),
    2,
    "none of the",
    "service_max_m = 1 m",
    "do the roads cover",
)


def _without_roads(d: Path, res) -> None:
    """Roads are optional: the buildings and mini-net stages run, corridors and routing not."""
    import pyogrio

    names = set(pyogrio.list_layers(d / "out" / "out.gpkg")[:, 0])
    assert {"buildings", "mini_nets"} <= names
    assert not names & {"road_segments", "pipes", "input_roads"}


case(
    "study-without-roads",
    edit_study('roads = { path = "wegdeel.gpkg", layer = "wegdeel" }\n', ""),
    0,
    "",
    check=_without_roads,
)
case(
    "study-source-text", edit_study(f"x = {SOURCE[0]}", 'x = "east"'), 2, "x and y must be numbers"
)
case(
    "study-source-in-degrees",
    lambda d: write_study(d, source=(5.82, 52.1)),
    2,
    "[source]",
    "outside the Netherlands",
    "RD metres",
)
case("study-file-missing", lambda d: (d / "study.toml").unlink(), 2, "study file not found")
case(
    "study-input-path-wrong",
    edit_study('path = "boom.gpkg"', 'path = "data/boom.gpkg"'),
    2,
    "file not found",
    "relative to the study file",
)
case(
    "study-unknown-input",
    edit_study("[source]", '[inputs.pipes]\npath = "x.gpkg"\n[source]'),
    2,
    "pipes",
)


# ---- outputs (11)
case(
    "out-is-a-folder",
    lambda d: (d / "out/folder.gpkg").mkdir(),
    2,
    "is a folder",
    out="out/folder.gpkg",
)
case(
    "out-is-an-input",
    lambda d: None,
    2,
    "is the input file",
    "pand.gpkg",
    out="pand.gpkg",
    tags={"input-unchanged"},
)
case("out-parent-missing", lambda d: None, 2, "does not exist", "mkdir", out="nope/x.gpkg")
case("out-not-gpkg", lambda d: None, 2, "must be a GeoPackage", out="out/out.shp")
case(
    "out-map-parent-missing",
    lambda d: None,
    2,
    "does not exist",
    args=("--map", "missing/map.html"),
)
case("out-map-not-html", lambda d: None, 2, "must be an HTML file", args=("--map", "out/map.png"))
case(
    "out-map-assets-missing",
    lambda d: (d / "assets").mkdir(),
    2,
    "leaflet.js",
    args=("--map-assets", "ASSETS"),
)
case(
    "out-no-heat-demand",
    lambda d: save(
        d,
        "buildings",
        frame(d, "buildings").set_geometry(frame(d, "buildings").geometry.scale(0.1, 0.1)),
    ),
    2,
    "no building",
)
case(
    # roads cut to the window's corner lie within a street's reach of some buildings: the run
    # goes on and counts the buildings beyond every road as not connected
    "scale-roads-only-beyond-the-buildings",
    lambda d: save(d, "roads", frame(d, "roads").cx[: SOURCE[0] - 240, : SOURCE[1] - 240]),
    0,
    "30 of 31 buildings to connect lie more than service_max_m = 100 m from a usable street",
)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_corpus(c: Case, base: Path, tmp_path: Path) -> None:
    d = tmp_path / "study"
    shutil.copytree(base, d)
    before = digests(d / "out")
    inputs_before = {n: path_of(d, n).read_bytes() for n in NAMES}
    c.damage(d)
    args = tuple(str(d / "assets") if a == "ASSETS" else a for a in c.args)
    args = tuple(str(d / a) if a.endswith((".html", ".png")) else a for a in args)
    res = run_cli(d, *args, out=c.out)
    text = res.output
    assert "Traceback" not in text and "internal error" not in text, text
    assert res.exception is None or isinstance(res.exception, SystemExit), text
    assert res.exit_code == c.code, text
    for s in c.says:
        assert s in text or s in _warnings(d), (s, text)
    leftovers = [p.name for p in (d / "out").iterdir() if "warmtegis-tmp" in p.name]
    assert not leftovers
    if c.code != 0:
        assert digests(d / "out") == before  # no earlier output changed
        if "input-unchanged" in c.tags:
            assert path_of(d, "buildings").read_bytes() == inputs_before["buildings"]
        return
    summary = pd.read_csv(d / "out/out.summary.csv")
    in_gpkg = gpd.read_file(d / "out/out.gpkg", layer="summary")
    pd.testing.assert_frame_equal(summary, pd.DataFrame(in_gpkg), check_dtype=False)
    listed = _warnings(d)
    n_warn = summary.set_index("key").loc["warnings", "value"]
    assert n_warn == len(listed.splitlines())
    if "same-as-base" in c.tags:
        old = pd.read_csv(base / "out/out.summary.csv").set_index("key")["value"]
        new = summary.set_index("key")["value"]
        for key in ("buildings", "trees", "connections", "mini_nets"):
            if key in old:
                assert new[key] == pytest.approx(old[key]), key
    if c.check is not None:
        c.check(d, res)


def _warnings(d: Path) -> str:
    try:
        table = gpd.read_file(d / "out/out.gpkg", layer="warnings")
    except Exception:
        return ""
    return "\n".join(table["message"].astype(str))


def test_corpus_is_large_enough():
    assert len(CASES) >= 120


# ------------------------------------------------------------------------------ environment
def test_disk_full_while_writing_the_raster(base, tmp_path, monkeypatch):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    before = digests(d / "out")
    import rasterio

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rasterio, "open", full)
    res = run_cli(d)
    assert res.exit_code == 2, res.output
    assert "the disk is full" in res.output and "out.heat_density.tif" in res.output
    assert digests(d / "out") == before


@contextlib.contextmanager
def tmpfs(mnt: Path, options: str):
    """Mount a tmpfs at `mnt` for the block; skip the test where that is not allowed."""
    mnt.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)]
    if os.geteuid() != 0 or subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 300 KiB tmpfs: a real full disk (needs root and a kernel that allows the mount)."""
    with tmpfs(tmp_path / "small_disk", "size=300k") as mnt:
        yield mnt


def test_a_real_full_disk(base, tmp_path, small_disk):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    earlier = small_disk / "out.summary.csv"
    shutil.copy(d / "out/out.summary.csv", earlier)
    res = CliRunner().invoke(
        main, ["-q", "run", str(d / "study.toml"), "--out", str(small_disk / "out.gpkg")]
    )
    assert res.exit_code == 2, res.output
    assert "the disk is full" in res.output and "out.gpkg" in res.output
    assert sorted(p.name for p in small_disk.iterdir()) == ["out.summary.csv"]  # no temp left
    assert earlier.read_bytes() == (d / "out/out.summary.csv").read_bytes()


def test_a_read_only_output_folder(base, tmp_path):
    """A read-only mount: refused before any data is read, even for root."""
    with tmpfs(tmp_path / "ro", "size=100k,ro") as ro:
        res = CliRunner().invoke(
            main, ["-q", "run", str(base / "study.toml"), "--out", str(ro / "out.gpkg")]
        )
    assert res.exit_code == 2, res.output
    assert f"cannot write to the output folder {ro}: the file system is read-only" in res.output


def test_permission_denied_while_writing_the_geopackage(base, tmp_path, monkeypatch):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    before = digests(d / "out")

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pyogrio, "write_dataframe", denied)
    res = run_cli(d)
    assert res.exit_code == 2, res.output
    assert "permission denied" in res.output and "out.gpkg" in res.output
    assert digests(d / "out") == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_unwritable_output_folder(base, tmp_path):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    before = digests(d / "out")
    os.chmod(d / "out", 0o500)
    try:
        res = run_cli(d)
    finally:
        os.chmod(d / "out", 0o700)
    assert res.exit_code == 2 and "cannot write to the output folder" in res.output
    assert digests(d / "out") == before


def test_a_bug_prints_one_line_and_saves_the_traceback(base, tmp_path, monkeypatch):
    import warmtegis.cli as cli

    d = tmp_path / "study"
    shutil.copytree(base, d)
    before = digests(d / "out")

    def boom(*a, **k):
        return 1 / 0

    monkeypatch.setattr(cli, "run_study", boom)
    res = run_cli(d)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "internal error (ZeroDivisionError" in lines[0]
    log = Path(lines[0].split("full traceback in ")[1].split(" (run with")[0])
    assert "ZeroDivisionError" in log.read_text()
    assert digests(d / "out") == before
    verbose = CliRunner().invoke(
        main, ["-v", "run", str(d / "study.toml"), "--out", str(d / "out/out.gpkg")]
    )
    assert isinstance(verbose.exception, ZeroDivisionError)  # --verbose: the traceback


def test_stale_temporary_files_are_removed(base, tmp_path):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    dead = d / "out" / ".out.gpkg.warmtegis-tmp-999999999.gpkg"
    dead.write_bytes(b"half a geopackage")
    journal_less = d / "out" / ".out.summary.csv.warmtegis-tmp-999999999.csv"
    journal_less.write_text("half")
    res = run_cli(d)
    assert res.exit_code == 0, res.output
    assert not dead.exists() and not journal_less.exists()


def test_interrupted_commit_is_rolled_forward(tmp_path):
    from warmtegis.storage.atomic import OutputSet

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old a")
    b.write_text("old b")
    outs = OutputSet([a, b])
    outs.temp(a).write_text("new a")
    outs.temp(b).write_text("new b")
    # a kill after the first rename: the journal lists both, one rename is done
    import json

    journal = tmp_path / ".a.csv.warmtegis-commit"
    journal.write_text(json.dumps([[str(outs.temp(a)), str(a)], [str(outs.temp(b)), str(b)]]))
    os.replace(outs.temp(a), a)
    assert (a.read_text(), b.read_text()) == ("new a", "old b")  # mixed: what we must not keep
    OutputSet([a, b])  # the next run on the same output
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert not journal.exists()


# ------------------------------------------------------------------------------ kills
def _consistent(out: Path) -> bool:
    csv = pd.read_csv(out / "out.summary.csv")
    gpkg = pd.DataFrame(gpd.read_file(out / "out.gpkg", layer="summary"))
    md = (out / "out.summary.md").read_text()
    same = csv.reset_index(drop=True).equals(gpkg.reset_index(drop=True).astype(csv.dtypes))
    return same and f"| {csv['key'].iloc[-1]} |" in md


@pytest.mark.parametrize("seed", range(5))
def test_sigkill_at_a_random_moment_keeps_a_consistent_set(base, tmp_path, seed):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    # the second run differs from the first (another tree margin), so old and new differ
    write_study(d, params="[parameters.corridors]\ntree_margin_m = 1.5")
    before = digests(d / "out")
    cmd = [sys.executable, "-m", "warmtegis", "-q", "run", str(d / "study.toml"),
           "--out", str(d / "out/out.gpkg"), "--map", str(d / "out/map.html")]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(1.0, 9.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # the next run (or any reader) finishes an interrupted commit: simulate its start
    from warmtegis.storage.atomic import OutputSet

    OutputSet([d / "out" / n for n in OUTPUTS])
    after = digests(d / "out")
    assert set(after) == set(before)  # no temporary file left
    changed = {k for k in after if after[k] != before[k]}
    assert not changed or _consistent(d / "out"), changed
    assert _consistent(d / "out")


# ------------------------------------------------------------------------------ scale oddities
def test_one_building(base, tmp_path):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    g = frame(d, "buildings")
    areas = g.area.to_numpy()
    one = g.iloc[[int(np.argmin(np.abs(areas - 120)))]]  # a house-sized footprint
    save(d, "buildings", one)
    res = run_cli(d)
    assert res.exit_code == 0, res.output
    s = pd.read_csv(d / "out/out.summary.csv").set_index("key")["value"]
    assert s["buildings"] == 1 and s["connections"] == 1


def test_fifty_thousand_trees(base, tmp_path):
    d = tmp_path / "study"
    shutil.copytree(base, d)
    trees = gpd.read_file(get_path("otterlo/bgt_boom.gpkg"))
    rng = np.random.default_rng(0)
    reps = int(np.ceil(50_000 / len(trees)))
    xy = np.repeat(shapely.get_coordinates(trees.geometry.values), reps, axis=0)[:50_000]
    xy += rng.uniform(-5, 5, xy.shape)
    many = gpd.GeoDataFrame({"lokaalID": np.arange(50_000).astype(str)},
                            geometry=gpd.points_from_xy(*xy.T), crs=28992)  # fmt: skip
    save(d, "trees", many)
    res = run_cli(d)
    assert res.exit_code == 0, res.output
    s = pd.read_csv(d / "out/out.summary.csv").set_index("key")["value"]
    assert s["trees"] == 50_000


def test_translated_window_is_refused_not_guessed(base, tmp_path):
    """All layers moved together 1,300 km: every one named, none silently used."""
    d = tmp_path / "study"
    shutil.copytree(base, d)
    for n in NAMES:
        shifted(d, n)
    res = run_cli(d)
    assert res.exit_code == 2 and "outside the Netherlands" in res.output


# ------------------------------------------------------------------------------ Python API
def test_stage_entries_repair_bowties_like_make_valid(data):
    """Frames handed to the stages directly (not through a reader) are repaired too."""
    import warmtegis as wg

    roads = wg.read_roads(data("otterlo/bgt_wegdeel.gpkg"))
    broken = roads.copy()
    broken.loc[:20, "geometry"] = [bowtie(g) for g in roads.geometry.iloc[:21]]
    by_hand = broken.copy()  # what GEOS make_valid gives, done here independently
    by_hand["geometry"] = [
        shapely.union_all([p for p in shapely.get_parts(shapely.make_valid(g)) if p.area > 0])
        for g in broken.geometry
    ]
    a = wg.analyse_corridors(broken)
    b = wg.analyse_corridors(by_hand)
    assert a.road_segments["length_m"].sum() == pytest.approx(b.road_segments["length_m"].sum())
    assert a.road_segments["passable"].sum() == b.road_segments["passable"].sum()


def test_batch_refuses_layers_from_another_town(data, tmp_path):
    res = CliRunner().invoke(
        main,
        ["-q", "batch", "--buildings", str(data("doesburg/bag_pand.gpkg")),
         "--roads", str(data("wageningen/nwb_wegvakken.gpkg")),
         "--out", str(tmp_path / "b.gpkg")],
    )  # fmt: skip
    assert res.exit_code == 2 and "from the buildings" in res.output
    assert not (tmp_path / "b.gpkg").exists()
