"""Data as Dutch providers ship it and hand-built cases a new user tries first.

Each test here failed on main before the fix it names: OSM buildings classified by their tag,
streets a street's width from their houses accepted, multi-part LVBAG deliveries read whole,
PDOK's verblijfsobject shapefile recognised, a SUFRIB folder with a fragment kept.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, box

from warmtegis import ConfigError, InputError, read_study, run_study
from warmtegis.buildings.classify import classify_buildings
from warmtegis.cli import main
from warmtegis.core.plausible import check_overlap
from warmtegis.datasets import get_path
from warmtegis.inputs.bag import read_buildings, read_verblijfsobjecten
from warmtegis.inputs.lvbag import current_versions

DATA = Path(__file__).parent / "data"

# tests/data/otterlo_handmade.osm: twelve OSM building outlines placed by hand near Otterlo,
# with the dwellings each one holds counted by hand from its tags
OSM_EXPECTED = {
    "house": (4, 4),  # four terraced houses tagged building=house: 1 dwelling each
    "semidetached_house": (2, 2),
    "apartments": (1, 12),  # building:flats=12
    "garage": (1, 0),
    "yes": (2, 1),  # an 8 x 10 m outline is a house by its footprint, a 3 x 3 m one is not
    "school": (1, 0),
    "construction": (1, 0),  # not in use yet
}


def test_osm_buildings_are_classified_by_their_tags():
    """An OSM building tag is a use, not a register status (every building read as not in use)."""
    b = read_buildings(DATA / "otterlo_handmade.osm")
    # building=demolished is dropped, building=no is not a building
    assert len(b) == 12
    cls = classify_buildings(b).join(b["building"])
    got = {tag: (len(g), int(g["dwellings"].sum())) for tag, g in cls.groupby("building")}
    assert got == OSM_EXPECTED
    assert cls.loc[cls["building"] == "construction", "category"].item() == "not_in_use"
    assert cls.loc[cls["building"] == "school", "category"].item() == "non_residential"


def test_osm_study_end_to_end(tmp_path):
    """Buildings and the street from one OSM file: the study counts the hand-counted dwellings."""
    osm = DATA / "otterlo_handmade.osm"
    (tmp_path / "study.toml").write_text(
        f'[study]\nname = "osm"\n[inputs]\nbuildings = "{osm}"\nroads = "{osm}"\n'
    )
    result = run_study(tmp_path / "study.toml")
    summary = result.summary.set_index("key")["value"]
    assert summary["dwellings"] == sum(d for _, d in OSM_EXPECTED.values()) == 19


# ---- a street beside its houses is the same area (the extents need not overlap)


def _row_and_street(kind: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Six 6 x 9 m terraced houses and one street 5.5 m in front (or 5 m past the row's end)."""
    x0, y0 = 181_000.0, 457_000.0
    houses = [box(x0 + 6 * k, y0, x0 + 6 * (k + 1), y0 + 9) for k in range(6)]
    if kind == "end-on":
        street = LineString([(x0 + 36 + 5, y0 + 4.5), (x0 + 136, y0 + 4.5)])
    else:
        street = LineString([(x0 - 20, y0 - 5.5), (x0 + 56, y0 - 5.5)])
    b = gpd.GeoDataFrame(
        {"identificatie": [f"02210000000000{k:02d}" for k in range(6)]},
        geometry=houses,
        crs="EPSG:28992",
    )
    r = gpd.GeoDataFrame({"wvk_id": [1]}, geometry=[street], crs="EPSG:28992")
    if kind == "diagonal":
        b = b.set_geometry(b.rotate(45, origin=(x0, y0)))
        r = r.set_geometry(r.rotate(45, origin=(x0, y0)))
    return b, r


@pytest.mark.parametrize("kind", ["straight", "diagonal", "end-on"])
def test_street_in_front_of_its_houses_is_not_another_area(kind, tmp_path):
    b, r = _row_and_street(kind)
    gap = shapely.distance(shapely.box(*b.total_bounds), shapely.box(*r.total_bounds))
    assert kind == "diagonal" or gap == pytest.approx(5.5 if kind == "straight" else 5.0)
    check_overlap(b, {"roads": r})  # refused as "0.0 km apart" before
    far = r.set_geometry(r.translate(0, -3_000))  # another town
    with pytest.raises(InputError, match=r"roads \(roads\) lie [23]\.\d km from the buildings"):
        check_overlap(b, {"roads": far})


def test_real_wegvak_with_the_panden_along_it(tmp_path):
    """One NWB wegvak of Wageningen and the four BAG panden 14-15 m from it run as a study."""
    w = gpd.read_file(get_path("wageningen/nwb_wegvakken.gpkg"))
    w = w[w["wvk_id"] == 348286048]
    b = gpd.read_file(get_path("wageningen/bag_pand.gpkg"))
    b = b[b["identificatie"].isin(
        [289100000003154, 289100000008113, 289100000008152, 289100000003273]
    )]  # fmt: skip
    assert len(w) == 1 and len(b) == 4
    assert not shapely.box(*w.total_bounds).intersects(shapely.box(*b.total_bounds))
    w.to_file(tmp_path / "weg.gpkg")
    b.to_file(tmp_path / "pand.gpkg")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "straat"\n[inputs]\nbuildings = "pand.gpkg"\nroads = "weg.gpkg"\n'
    )
    res = CliRunner().invoke(
        main, ["-q", "run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o.gpkg")]
    )
    assert res.exit_code == 0, res.output
    summary = gpd.read_file(tmp_path / "o.gpkg", layer="summary").set_index("key")["value"]
    assert summary["buildings"] == 4


# ---- LVBAG deliveries in several parts, as PDOK and Kadaster ship a municipality


def _split_part(xml: str, cut: int) -> list[str]:
    """Split one LVBAG XML part into two at the `cut`-th object (a delivery's -000001, -000002)."""
    start, end = xml.index("<sl:stand>"), xml.rindex("</sl:stand>") + len("</sl:stand>")
    stands = re.findall(r"<sl:stand>.*?</sl:stand>", xml, flags=re.S)
    return [xml[:start] + "\n".join(s) + xml[end:] for s in (stands[:cut], stands[cut:])]


@pytest.fixture(scope="module")
def lvbag_multipart(tmp_path_factory):
    """The bundled LVBAG sample re-packed as a two-part delivery: zip of zips, folders, zip."""
    root = tmp_path_factory.mktemp("lvbag")
    src = zipfile.ZipFile(get_path("lvbag/BAGNLDL-15092020-small.zip"))
    inner = {n: src.read(n) for n in src.namelist() if n.endswith(".zip")}
    pnd_zip = zipfile.ZipFile(io.BytesIO(inner["9999PND15092020.zip"]))
    (xml_name,) = pnd_zip.namelist()
    # the six pand records (four versions of one pand, two of the other) cut 3 + 3, so the
    # current version of the first pand is in the second part
    parts = _split_part(pnd_zip.read(xml_name).decode(), 3)
    names = [f"0221PND15092020-00000{k}.xml" for k in (1, 2)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in zip(names, parts, strict=True):
            z.writestr(name, text)
    inner["9999PND15092020.zip"] = buf.getvalue()
    with zipfile.ZipFile(root / "BAGGEM0221L-15092020.zip", "w") as z:  # zip of zips
        for name, data in inner.items():
            z.writestr(name, data)
    (root / "unpacked").mkdir()  # the delivery unpacked once: a folder of per-type zips
    for name, data in inner.items():
        (root / "unpacked" / name).write_bytes(data)
    (root / "xml").mkdir()  # the pand zip unpacked too: a folder of XML parts
    for name, text in zip(names, parts, strict=True):
        (root / "xml" / name).write_text(text)
    with zipfile.ZipFile(root / "pand.zip", "w") as z:  # one zip of the XML parts
        for name, text in zip(names, parts, strict=True):
            z.writestr(name, text)
    return root


@pytest.mark.parametrize(
    "form", ["BAGGEM0221L-15092020.zip", "unpacked", "xml", "pand.zip", "vsizip"]
)
def test_lvbag_delivery_in_parts(lvbag_multipart, form):
    """Every part is read and only the current version of each pand kept (read as empty before)."""
    path = str(lvbag_multipart / form)
    if form == "vsizip":  # GDAL's own notation: /vsizip//tmp/... (pathlib folds the "//")
        path = f"/vsizip/{lvbag_multipart / 'BAGGEM0221L-15092020.zip'}/9999PND15092020.zip"
        assert path.startswith("/vsizip//")
    b = read_buildings(path)
    # by hand from the XML: pand ...312938 in its 4th version (built 1585), ...311191 in its
    # 2nd (built 1992); the earlier versions carry eindGeldigheid or a later successor
    assert dict(zip(b["building_id"], b["year_built"], strict=True)) == {
        "0221100000312938": 1585,
        "0221100000311191": 1992,
    }


def test_lvbag_current_version_of_parts_from_two_deliveries():
    """Two versions of one object without an end date: the later voorkomen counts."""
    f = pd.DataFrame(
        {"identificatie": ["p1", "p2", "p1"], "voorkomenIdentificatie": ["1", "1", "2"],
         "status": ["Bouw gestart", "Pand in gebruik", "Pand in gebruik"]}
    )  # fmt: skip
    kept = current_versions(f, "identificatie", "test")
    assert kept.sort_values("identificatie")["status"].tolist() == ["Pand in gebruik"] * 2


# ---- PDOK's verblijfsobject shapefile; mixed-use panden count their dwellings only

MIXED = ["1916100000086144", "1916100000086161"]  # Voorburg: flats above other units


@pytest.fixture(scope="module")
def pdok_vbo_shapefile(tmp_path_factory):
    """The Voorburg units of two mixed-use panden as PDOK's shapefile export names them."""
    v = gpd.read_file(get_path("voorburg/bag_buurten.gpkg"), layer="verblijfsobject")
    pand = v["pandref"].str.extract(r"(\d{16})")[0]
    v = v[pand.isin(MIXED)]
    pdok = gpd.GeoDataFrame(
        {
            "identifica": v["identificatie"].str[-16:],
            "pandidenti": v["pandref"].str.extract(r"(\d{16})")[0],
            "gebruiksdo": v["gebruiksdoel"].str.strip("{}"),
            "oppervlakt": v["oppervlakte"],
            "status": v["status"],
        },
        geometry=v.geometry,
        crs=v.crs,
    )
    path = tmp_path_factory.mktemp("pdok") / "verblijfsobject.shp"
    pdok.to_file(path)
    # by hand: each pand's units, and those whose use includes woonfunctie
    units = pdok.groupby("pandidenti").size().to_dict()
    dwellings = pdok[pdok["gebruiksdo"].str.contains("woonfunctie")].groupby("pandidenti").size()
    return path, units, dwellings.to_dict()


def test_pdok_verblijfsobject_shapefile_is_recognised(pdok_vbo_shapefile):
    path, units, dwellings = pdok_vbo_shapefile
    assert units == {MIXED[0]: 24, MIXED[1]: 12} and dwellings == {MIXED[0]: 20, MIXED[1]: 8}
    vbo = read_verblijfsobjecten(path)
    assert vbo.groupby("pand_id").size().to_dict() == units
    panden = read_buildings(get_path("voorburg/bag_buurten.gpkg"), layer="pand")
    b = read_buildings(
        get_path("voorburg/bag_buurten.gpkg"), layer="pand", verblijfsobjecten=vbo
    ).set_index("building_id")
    assert len(b) == len(panden)
    cls = classify_buildings(b.loc[MIXED])
    # 24 and 12 units, of which 20 and 8 with a woonfunctie (the others: storage)
    assert cls["dwellings"].to_dict() == dwellings
    assert (cls["category"] == "apartments").all()


def test_unrecognised_verblijfsobject_columns_say_how_to_map_them(pdok_vbo_shapefile, tmp_path):
    path, _, _ = pdok_vbo_shapefile
    g = gpd.read_file(path).rename(columns={"pandidenti": "pand_nr"})
    g.to_file(tmp_path / "vbo.shp")
    with pytest.raises(InputError, match=r"no column 'pandref'.*columns = \{ pandref = "):
        read_verblijfsobjecten(tmp_path / "vbo.shp")
    assert len(read_verblijfsobjecten(tmp_path / "vbo.shp", columns={"pandref": "pand_nr"})) == 36


def test_prepare_maps_verblijfsobject_columns(pdok_vbo_shapefile, tmp_path):
    path, _, dwellings = pdok_vbo_shapefile
    g = gpd.read_file(path).rename(columns={"pandidenti": "pand_nr"})
    g.to_file(tmp_path / "vbo.shp")
    args = [
        "-q",
        "prepare",
        str(get_path("voorburg/bag_buurten.gpkg")),
        "--layer",
        "pand",
        "--verblijfsobjecten",
        str(tmp_path / "vbo.shp"),
        "--out",
        str(tmp_path / "p"),
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "columns" in res.output
    res = CliRunner().invoke(main, [*args, "--vbo-columns", "pandref=pand_nr"])
    assert res.exit_code == 0, res.output
    prepared = gpd.read_parquet(tmp_path / "p").set_index("building_id")
    assert prepared.loc[MIXED, "n_dwelling_units"].to_dict() == dwellings


def test_text_in_numeric_bag_columns_is_parsed_and_counted(tmp_path, caplog):
    """``'112,5'`` is 112.5; ``'onbekend'`` is unknown, counted and named (was silent NaN)."""
    raw = gpd.read_file(get_path("wageningen/bag_pand.gpkg"))
    text = raw.copy()
    unknown = raw.index % 3 == 0
    text["bouwjaar"] = raw["bouwjaar"].astype(str).where(~unknown, "onbekend")
    text["oppervlakte_min"] = raw["oppervlakte_min"].map(lambda v: f"{v:.1f}".replace(".", ","))
    text.to_file(tmp_path / "pand.gpkg", layer="pand")
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        b = read_buildings(tmp_path / "pand.gpkg")
    assert b["year_built"].isna().sum() == unknown.sum() == 334
    assert b["floor_area_min_m2"].tolist() == pytest.approx(raw["oppervlakte_min"].tolist())
    msgs = [r.getMessage() for r in caplog.records]
    assert any(
        "334 of 1000 values in column 'bouwjaar' are not numbers (e.g. 'onbekend')" in m
        for m in msgs
    ), msgs


def test_study_without_roads_says_what_it_skipped(tmp_path, caplog):
    """Exit 0, but the log, the warnings and the summary say corridors and routing did not run."""
    shutil.copy(get_path("delft_wippolder/bag_pand.gpkg"), tmp_path / "pand.gpkg")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "zonder_wegen"\n[inputs]\nbuildings = "pand.gpkg"\n'
    )
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        res = CliRunner().invoke(
            main, ["run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o.gpkg")]
        )
    assert res.exit_code == 0, res.output
    assert "skipped_corridors" in res.output
    said = [r.getMessage() for r in caplog.records if "has no roads" in r.getMessage()]
    assert len(said) == 1 and "business case are skipped" in said[0]
    summary = gpd.read_file(tmp_path / "o.gpkg", layer="summary").set_index("key")
    assert summary.loc["skipped_corridors", "value"] == 1
    assert summary.loc["skipped_routing_and_costs", "value"] == 1
    assert "pipes_cost" not in summary.index
    warnings = gpd.read_file(tmp_path / "o.gpkg", layer="warnings")["message"]
    assert warnings.str.contains("no roads").sum() == 1


# ---- errors that name what failed


def _as_plain_user() -> list[str]:
    """A command prefix that runs without root's right to read and write any file."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv cannot be denied a file (setpriv: util-linux)")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


def _run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = [*_as_plain_user(), sys.executable, "-m", "warmtegis", "-q", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def small_study(tmp_path):
    shutil.copy(get_path("delft_wippolder/bag_pand.gpkg"), tmp_path / "pand.gpkg")
    (tmp_path / "study.toml").write_text('[study]\nname = "p"\n[inputs]\nbuildings = "pand.gpkg"\n')
    return tmp_path


def test_unreadable_buildings_file_is_named(small_study):
    (small_study / "pand.gpkg").chmod(0)
    res = _run_cli(["run", str(small_study / "study.toml"), "--out", str(small_study / "o.gpkg")])
    assert res.returncode == 2, res.stderr
    assert f"cannot read {small_study / 'pand.gpkg'}: permission denied" in res.stderr
    assert "study.toml:" not in res.stderr and "write to" not in res.stderr


def test_unwritable_output_folder_is_named_once(small_study):
    (small_study / "ro").mkdir(mode=0o555)
    out = small_study / "ro" / "o.gpkg"
    res = _run_cli(["run", str(small_study / "study.toml"), "--out", str(out)])
    assert res.returncode == 2, res.stderr
    assert res.stderr.count(f"cannot write to the output folder {small_study / 'ro'}") == 1
    assert "study.toml" not in res.stderr


def test_empty_study_file_says_it_is_empty(tmp_path):
    (tmp_path / "study.toml").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"the study file .*study.toml is empty \(0 bytes\)"):
        read_study(tmp_path / "study.toml")


def test_csv_with_wkt_and_no_crs_points_to_the_crs_option(small_study):
    """GDAL reads a CSV's WKT column without a CRS: the fix is ``crs = ...`` in the study."""
    pand = gpd.read_file(small_study / "pand.gpkg")
    pd.DataFrame(
        {"WKT": pand.geometry.to_wkt(), "identificatie": pand["identificatie"],
         "bouwjaar": pand["bouwjaar"]}
    ).to_csv(small_study / "pand.csv", index=False)  # fmt: skip
    study = small_study / "study.toml"
    study.write_text('[study]\nname = "csv"\n[inputs]\nbuildings = "pand.csv"\n')
    with pytest.raises(InputError, match=r'no coordinate reference system; give it in the study '
                       r'file\'s entry for this input \(crs = "EPSG:28992"'):  # fmt: skip
        run_study(study)
    study.write_text(
        '[study]\nname = "csv"\n[inputs]\nbuildings = { path = "pand.csv", crs = "EPSG:28992" }\n'
    )
    result = run_study(study)
    assert result.summary.set_index("key").loc["buildings", "value"] == len(pand) == 60


def test_residents_checks_its_inputs_before_any_stage(tmp_path, caplog):
    """The residents' page needs addresses and verblijfsobjecten: said before a file is read."""
    with caplog.at_level(logging.INFO, logger="warmtegis"):
        res = CliRunner().invoke(
            main,
            ["residents", str(get_path("otterlo/study.toml")), "--out-dir", str(tmp_path / "r")],
        )
    assert res.exit_code == 2
    assert "needs the input 'addresses'" in res.output
    assert "needs the input 'verblijfsobjecten'" in res.output
    assert not [r for r in caplog.records if r.getMessage().startswith("read ")]  # no input read
    assert not (tmp_path / "r").exists()


# ---- loops stay off the public road; the sheet and tender say which layers were used


def _row_study(tmp_path, *, with_street: bool, place_anyway: bool = False):
    b, r = _row_and_street("straight")
    b.to_file(tmp_path / "pand.gpkg", layer="pand")
    text = '[study]\nname = "rij"\n[inputs]\nbuildings = { path = "pand.gpkg", layer = "pand" }\n'
    if with_street:
        r.to_file(tmp_path / "weg.gpkg", layer="weg")
        text += 'roads = { path = "weg.gpkg", layer = "weg" }\n'
    if place_anyway:
        text += "[parameters.drilling]\nplace_without_roads = true\n"
    (tmp_path / "study.toml").write_text(text)
    return run_study(tmp_path / "study.toml"), r


def test_without_any_road_layer_loops_are_not_placed(tmp_path, caplog):
    """BAG only: nothing says where the street is, so room to drill is not assessed."""
    with caplog.at_level(logging.WARNING, logger="warmtegis"):
        result, _ = _row_study(tmp_path, with_street=False)
    assert result.drilling is None and "room to drill" in result.skipped
    summary = result.summary.set_index("key")["value"]
    assert summary["skipped_room_to_drill"] == 1
    assert any("public road is unknown" in m for m in result.warnings)


def test_loops_keep_off_a_street_centreline(tmp_path):
    """With the NWB-like centreline 5.5 m in front: every loop 3 m (half a street) + 0.5 m off."""
    result, street = _row_study(tmp_path, with_street=True)
    loops = result.drilling.boreholes
    assert len(loops) > 0
    d = loops.distance(street.geometry.iloc[0])
    assert d.min() >= 3.0 + 0.5 - 1e-6
    layers = result.drilling.layers
    assert layers["wegen"].startswith("wegassen") and layers["open grond"].startswith(
        "niet gegeven"
    )


def test_sheet_and_tender_name_the_missing_layers(tmp_path):
    """Placed anyway without a road: the sheet and the tender say the road was unknown."""
    from warmtegis.outputs.design_sheet import sheet_html, tender_markdown

    result, _ = _row_study(tmp_path, with_street=False, place_anyway=True)
    d = next(iter(result.group_designs().values()))
    sheet, tender = sheet_html(d), tender_markdown(d)
    for text in (sheet, tender):
        assert "de openbare weg is onbekend" in text
        assert "afstand tot bomen niet gecontroleerd" in text
    # the zones it kept out of are only the buildings: no claim of trees, sewers, water, roads
    assert "uitsluitingszones (gebouw)" in sheet
    assert "(afstand tot: gebouw)" in tender
