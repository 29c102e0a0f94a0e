"""Time the corridor stage on Otterlo (BGT surfaces), Wageningen (NWB) and a 10x tiled Otterlo.

Run: python benchmarks/bench_corridors.py [--tiles N]
Prints the time of each part (centreline derivation, analysis) and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time

from _tiling import tile

from warmtegis import analyse_corridors, derive_centrelines, read_roads, read_sewers, read_trees
from warmtegis.datasets import get_path


def run(name: str, roads, sewers, trees) -> None:
    t0 = time.perf_counter()
    centrelines = derive_centrelines(roads) if roads.attrs["road_kind"] == "surfaces" else None
    t1 = time.perf_counter()
    c = analyse_corridors(roads, sewers=sewers, trees=trees, centrelines=centrelines)
    t2 = time.perf_counter()
    km = c.road_segments["length_m"].sum() / 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:<24} {len(roads):>7} {km:>8.1f} {t1 - t0:>11.2f} {t2 - t1:>9.2f} "
        f"{t2 - t0:>7.2f} {rss:>9.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiles", type=int, default=10)
    args = ap.parse_args()
    roads = read_roads(get_path("otterlo/bgt_wegdeel.gpkg"))
    sewers = read_sewers(get_path("otterlo/riool_benaderd.gpkg"))
    trees = read_trees(get_path("otterlo/bgt_boom.gpkg"))
    nwb = read_roads(get_path("wageningen/nwb_wegvakken.gpkg"))
    print(
        f"{'data':<24} {'roads':>7} {'km':>8} {'centrelines':>11} {'analyse':>9} "
        f"{'total':>7} {'peak MiB':>9}"
    )
    run("otterlo", roads, sewers, trees)
    run("wageningen (NWB)", nwb, None, None)
    w = roads.total_bounds[2] - roads.total_bounds[0] + 200
    run(
        f"otterlo x{args.tiles} (tiled)",
        tile(roads, args.tiles, w),
        tile(sewers, args.tiles, w),
        tile(trees, args.tiles, w),
    )


if __name__ == "__main__":
    main()
