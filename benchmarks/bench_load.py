"""Time each reader per format on the bundled data and on a 10x tiled copy of Doesburg.

Formats: GeoPackage (BAG, BGT, NWB), LVBAG delivery zip (panden, with verblijfsobjecten),
a BAG database export with verblijfsobjecten (Voorburg), PDOK's shapefile export, OSM XML
(.osm.bz2) and PBF, SUFRIB .RIB. Run: python benchmarks/bench_load.py
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import pandas as pd

from warmtegis import read_buildings, read_roads, read_sewers, read_trees, settings
from warmtegis.datasets import get_path

CASES = [
    ("buildings", read_buildings, "otterlo/bgt_pand.gpkg"),
    ("buildings", read_buildings, "doesburg/bag_pand.gpkg"),
    ("roads", read_roads, "otterlo/bgt_wegdeel.gpkg"),
    ("roads", read_roads, "wageningen/nwb_wegvakken.gpkg"),
    ("roads", read_roads, "osm/kouvola.osm.bz2"),
    ("buildings", read_buildings, "osm/kouvola.osm.bz2"),
    ("buildings", read_buildings, "lvbag/BAGNLDL-15092020-small.zip"),
    ("sewers", read_sewers, "otterlo/riool_benaderd.gpkg"),
    ("sewers", read_sewers, "sufrib/Filmwijk nabij 231-0.rib"),
    ("trees", read_trees, "otterlo/bgt_boom.gpkg"),
    ("trees", read_trees, "amsterdam/bomen_wallengebied.gpkg"),
]


def timed(func, *args):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = func(*args)
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def tiled(name: str, n: int, tmp: Path) -> Path:
    gdf = gpd.read_file(get_path(name))
    w = gdf.total_bounds[2] - gdf.total_bounds[0] + 100
    parts = []
    for i in range(n):
        part = gdf.copy()
        part["geometry"] = part.geometry.translate(xoff=i * w)
        parts.append(part)
    big = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=gdf.crs)
    if "identificatie" in big:
        big["identificatie"] = [f"NL.IMBAG.Pand.{i:016d}" for i in range(len(big))]
    out = tmp / f"tiled_{n}_{Path(name).name}"
    big.to_file(out, layer="pand")
    return out


def _pbf(tmp: Path) -> Path:
    import osmium

    out = tmp / "kouvola.osm.pbf"
    writer = osmium.SimpleWriter(str(out))
    for obj in osmium.FileProcessor(str(get_path("osm/kouvola.osm.bz2"))):
        writer.add(obj)
    writer.close()
    return out


def _shapefile(tmp: Path) -> Path:
    import warnings

    out = tmp / "pand.shp"
    with warnings.catch_warnings():  # GDAL truncates the names, as PDOK's export does
        warnings.simplefilter("ignore")
        gpd.read_file(get_path("wageningen/bag_pand.gpkg")).to_file(out)
    return out


def _lvbag_parts(tmp: Path, n: int) -> tuple[Path, Path]:
    """A folder and a zip of `n` LVBAG pand parts (the sample's part repeated, ids renumbered)."""
    import io
    import re
    import zipfile

    src = zipfile.ZipFile(get_path("lvbag/BAGNLDL-15092020-small.zip"))
    inner = zipfile.ZipFile(io.BytesIO(src.read("9999PND15092020.zip")))
    (name,) = inner.namelist()
    xml = inner.read(name).decode()
    folder = tmp / "lvbag_parts"
    folder.mkdir()
    with zipfile.ZipFile(tmp / "lvbag_parts.zip", "w") as z:
        for k in range(1, n + 1):
            part = re.sub(
                r">0221(\d{4})(\d{8})<",
                lambda m, k=k: f">0221{k:04d}{m.group(2)}<",  # each part its own panden
                xml,
            )
            fname = f"0221PND15092020-{k:06d}.xml"
            (folder / fname).write_text(part)
            z.writestr(fname, part)
    return folder, tmp / "lvbag_parts.zip"


def main() -> None:
    settings.within_netherlands = False  # the OSM extract is of Kouvola, Finland
    rows = []
    for stage, func, name in CASES:
        out, dt, peak = timed(func, get_path(name))
        rows.append((stage, name, len(out), dt, peak))
    vbo = get_path("voorburg/bag_subset.gpkg")
    out, dt, peak = timed(
        lambda: read_buildings(
            vbo, layer="pand", verblijfsobjecten=vbo, verblijfsobjecten_layer="verblijfsobject"
        )
    )
    rows.append(("buildings", "voorburg pand + verblijfsobjecten", len(out), dt, peak))
    lv = get_path("lvbag/BAGNLDL-15092020-small.zip")
    out, dt, peak = timed(lambda: read_buildings(lv, verblijfsobjecten=lv))
    rows.append(("buildings", "lvbag zip pand + verblijfsobjecten", len(out), dt, peak))
    out, dt, peak = timed(read_sewers, get_path("sufrib/4F1 asfalt werk.rib").parent)
    rows.append(("sewers", "sufrib/ (folder of .RIB)", len(out), dt, peak))
    with tempfile.TemporaryDirectory() as tmp:
        pbf = _pbf(Path(tmp))
        for stage, func in (("roads", read_roads), ("buildings", read_buildings)):
            out, dt, peak = timed(func, pbf)
            rows.append((stage, "kouvola.osm.pbf", len(out), dt, peak))
        out, dt, peak = timed(read_buildings, _shapefile(Path(tmp)))
        rows.append(("buildings", "wageningen PDOK shapefile", len(out), dt, peak))
        folder, zipped = _lvbag_parts(Path(tmp), 200)
        for label, path in (("folder", folder), ("zip", zipped)):
            out, dt, peak = timed(read_buildings, path)
            rows.append(("buildings", f"LVBAG delivery, 200 parts ({label})", len(out), dt, peak))
        path = tiled("doesburg/bag_pand.gpkg", 10, Path(tmp))
        out, dt, peak = timed(read_buildings, path)
        rows.append(("buildings", "doesburg x10 (tiled)", len(out), dt, peak))
    print(f"{'stage':<10} {'data':<36} {'features':>9} {'seconds':>8} {'peak MiB':>9}")
    for stage, name, n, dt, peak in rows:
        print(f"{stage:<10} {name:<36} {n:>9} {dt:>8.2f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
