"""Batch mode at scale: Doesburg tiled to about 100,000 panden on 1 and 2 dask workers.

Run: python benchmarks/bench_scale.py [--copies 14] [--workers 1 2] [--with-roads]

Doesburg's BAG (7,395 panden) is copied side by side (translated, ids suffixed) and cut into
1 km grid areas; each area runs the mini-net stage (classification, adjacency, grouping,
borehole sizing, costs) on a LocalCluster. With ``--with-roads`` the Otterlo extract (BGT
roads, trees, sewers, panden) is tiled the same way and the corridor stage runs too.
Prints panden per second, peak memory per worker and the projected time for the 11 million
panden of the whole BAG.
"""

from __future__ import annotations

import argparse
import resource
import time

from _tiling import tile

from warmtegis import read_buildings, read_roads, read_sewers, read_trees, settings
from warmtegis.datasets import get_path
from warmtegis.national.areas import grid_areas
from warmtegis.national.batch import run_batch

BAG_PANDEN = 11_000_000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(label: str, n_workers: int, buildings, roads=None, sewers=None, trees=None) -> None:
    from dask.distributed import Client, LocalCluster

    areas = grid_areas(buildings, 1000)
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        t0 = time.perf_counter()
        res = run_batch(areas, buildings, roads, sewers, trees, client=client)
        dt = time.perf_counter() - t0
        mem = client.run(peak_rss_mib)
    rate = len(buildings) / dt
    print(
        f"{label:<26} {n_workers:>7} {len(buildings):>8} {len(areas):>6} {dt:>8.1f} "
        f"{res.timings['split']:>6.1f} {rate:>9.0f} {max(mem.values()):>11.0f} "
        f"{BAG_PANDEN / rate / 3600:>12.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=14)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--with-roads", action="store_true")
    args = ap.parse_args()
    settings.progress = False
    b = read_buildings(get_path("doesburg/bag_pand.gpkg"))
    width = max(b.total_bounds[2] - b.total_bounds[0], b.total_bounds[3] - b.total_bounds[1])
    big = tile(b, args.copies, width + 500, per_row=5)
    print(
        f"{'data':<26} {'workers':>7} {'panden':>8} {'areas':>6} {'time s':>8} "
        f"{'split':>6} {'panden/s':>9} {'MiB/worker':>11} {'11M panden h':>12}"
    )
    for w in args.workers:
        run(f"doesburg x{args.copies} (mini nets)", w, big)
    if args.with_roads:
        ob = read_buildings(get_path("otterlo/bgt_pand.gpkg"))
        roads = read_roads(get_path("otterlo/bgt_wegdeel.gpkg"))
        sewers = read_sewers(get_path("otterlo/riool_benaderd.gpkg"))
        trees = read_trees(get_path("otterlo/bgt_boom.gpkg"))
        w = roads.total_bounds[2] - roads.total_bounds[0] + 500
        n = args.copies
        data = [
            tile(ob, n, w, per_row=5),
            tile(roads, n, w, per_row=5),
            tile(sewers, n, w, per_row=5),
            tile(trees, n, w, per_row=5),
        ]
        for k in args.workers:
            run(f"otterlo x{n} (corridors+mini)", k, *data)


if __name__ == "__main__":
    main()
