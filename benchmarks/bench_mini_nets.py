"""Time the mini-net stage per step on the bundled BAG areas and on Doesburg tiled x10.

Run: python benchmarks/bench_mini_nets.py
The g-function tables are cached per process: the first area pays for them ("tables").
"""

from __future__ import annotations

import time
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis import read_buildings
from warmtegis.buildings.classify import classify_buildings, shared_walls
from warmtegis.datasets import get_path
from warmtegis.mini_nets.boreholes import size_mini_nets
from warmtegis.mini_nets.grouping import mini_net_candidates


def tiled(buildings, n):
    width = np.ptp(buildings.total_bounds[[0, 2]]) + 100
    parts = []
    for i in range(n):
        part = buildings.copy()
        part["geometry"] = part.geometry.translate(xoff=i * width)
        part["building_id"] = part["building_id"] + f"-{i}"
        parts.append(part)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=buildings.crs)


def main():
    t0 = time.perf_counter()
    size_mini_nets(np.arange(2, 11), np.arange(2, 11) * 42.0)
    print(
        f"g-function tables for 1-{int(np.ceil(10 / 3))}+ loops: {time.perf_counter() - t0:.1f} s"
    )
    doesburg = read_buildings(get_path("doesburg/bag_pand.gpkg"))
    cases = [
        ("Delft Wippolder", read_buildings(get_path("delft_wippolder/bag_pand.gpkg"))),
        ("Wageningen", read_buildings(get_path("wageningen/bag_pand.gpkg"))),
        ("Otterlo (BGT)", read_buildings(get_path("otterlo/bgt_pand.gpkg"))),
        ("Doesburg", doesburg),
        ("Doesburg x10", tiled(doesburg, 10)),
    ]
    print(
        f"{'area':<18}{'panden':>8}{'classify':>10}{'walls':>8}{'total':>8}{'groups':>8}{'MiB':>7}"
    )
    for name, b in cases:
        t = time.perf_counter()
        cls = classify_buildings(b)
        t_cls = time.perf_counter() - t
        t = time.perf_counter()
        shared_walls(b.geometry[cls["category"] == "ground_bound"])
        t_walls = time.perf_counter() - t
        tracemalloc.start()
        t = time.perf_counter()
        r = mini_net_candidates(b)
        total = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(
            f"{name:<18}{len(b):>8,}{t_cls:>9.2f}s{t_walls:>7.2f}s{total:>7.1f}s"
            f"{len(r.mini_nets):>8,}{peak:>7.0f}"
        )


if __name__ == "__main__":
    main()
