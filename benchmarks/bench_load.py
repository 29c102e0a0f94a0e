"""Time each reader on the bundled data and on a 10x tiled copy of the largest layers.

Run: python benchmarks/bench_load.py
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import pandas as pd

from warmtegis import read_buildings, read_roads, read_sewers, read_trees
from warmtegis.datasets import get_path

CASES = [
    ("buildings", read_buildings, "otterlo/bgt_pand.gpkg"),
    ("buildings", read_buildings, "doesburg/bag_pand.gpkg"),
    ("roads", read_roads, "otterlo/bgt_wegdeel.gpkg"),
    ("roads", read_roads, "wageningen/nwb_wegvakken.gpkg"),
    ("roads", read_roads, "osm/kouvola.osm.bz2"),
    ("sewers", read_sewers, "otterlo/riool_benaderd.gpkg"),
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


def main() -> None:
    rows = []
    for stage, func, name in CASES:
        out, dt, peak = timed(func, get_path(name))
        rows.append((stage, name, len(out), dt, peak))
    with tempfile.TemporaryDirectory() as tmp:
        path = tiled("doesburg/bag_pand.gpkg", 10, Path(tmp))
        out, dt, peak = timed(read_buildings, path)
        rows.append(("buildings", "doesburg x10 (tiled)", len(out), dt, peak))
    print(f"{'stage':<10} {'data':<36} {'features':>9} {'seconds':>8} {'peak MiB':>9}")
    for stage, name, n, dt, peak in rows:
        print(f"{stage:<10} {name:<36} {n:>9} {dt:>8.2f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
