"""National scale: Doesburg tiled to 100,000 and 1,000,000 panden, prepared, batched on dask.

Run: python benchmarks/bench_national.py [--sizes 100000 1000000] [--workers 1 2] [--grid-m 1000]

For each size, a fresh process tiles Doesburg's BAG (7,395 panden, translated copies with
suffixed ids) and writes it with ``prepare_buildings`` (Hilbert-sorted GeoParquet); then, for
each worker count, another fresh process runs ``run_batch`` on the prepared folder (the
mini-net stage per 1 km cell, no roads) and reports:

- wall time and panden per second per worker (end to end: reading on the workers, the
  stages, writing the layer parts);
- the stages' own rate: panden per second of the summed per-area stage time;
- the driver's peak resident memory (this process: it never holds the panden) and each
  worker's peak;
- the projection for the whole BAG (11 million panden) on 8 workers at the measured rate.

Each measurement runs in its own process so one run's memory does not count in another's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BAG_PANDEN = 11_000_000
DOESBURG = 7_395


def peak_rss_mib() -> float:
    """This process's peak resident memory (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def do_prepare(copies: int, out: str) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    from _tiling import tile

    from warmtegis import read_buildings, settings
    from warmtegis.datasets import get_path
    from warmtegis.national.prepare import prepare_buildings

    settings.progress = False
    b = read_buildings(get_path("doesburg/bag_pand.gpkg"))
    width = max(b.total_bounds[2] - b.total_bounds[0], b.total_bounds[3] - b.total_bounds[1])
    per_row = max(1, round(copies**0.5))
    big = tile(b, copies, width + 500, per_row=per_row)
    t = time.perf_counter()
    ds = prepare_buildings(big, out)
    return {
        "panden": ds.count,
        "partitions": len(ds.files),
        "prepare_s": time.perf_counter() - t,
        "rss": peak_rss_mib(),
    }


def do_batch(data: str, workers: int, grid_m: float) -> dict:
    from dask.distributed import Client, LocalCluster

    from warmtegis import settings
    from warmtegis.national.batch import run_batch
    from warmtegis.national.prepare import PreparedBuildings

    settings.progress = False
    ds = PreparedBuildings.open(data)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        client.run(peak_rss_mib)  # workers up before the clock starts
        t = time.perf_counter()
        res = run_batch(None, ds, client=client, grid_m=grid_m)
        dt = time.perf_counter() - t
        mem = client.run(peak_rss_mib)
    a = res.areas
    stage_s = float(a["seconds"].sum())
    out = {
        "panden": ds.count,
        "areas": len(a),
        "seconds": dt,
        "stage_s": stage_s,
        "groups": int(a["mini_nets"].sum()),
        "driver_rss": peak_rss_mib(),
        "worker_rss": max(mem.values()),
    }
    res.cleanup()
    return out


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--grid-m", type=float, default=1000.0)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "prepare":
            print(json.dumps(do_prepare(int(rest[0]), rest[1])))
        else:
            print(json.dumps(do_batch(rest[0], int(rest[1]), float(rest[2]))))
        return
    print(
        "| panden | prepare s (MiB) | workers | areas | batch s | panden/s/worker | "
        "stages panden/s | driver peak MiB | worker peak MiB | 11M on 8 workers |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            copies = max(1, round(size / DOESBURG))
            data = str(Path(tmp) / f"prep{size}")
            prep = run_child("--child", "prepare", str(copies), data)
            for w in args.workers:
                r = run_child("--child", "batch", data, str(w), str(args.grid_m))
                rate = r["panden"] / r["seconds"] / w
                hours = BAG_PANDEN / (rate * 8) / 3600
                print(
                    f"| {r['panden']:,} | {prep['prepare_s']:.1f} ({prep['rss']:.0f}) | {w} | "
                    f"{r['areas']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
                    f"{r['panden'] / r['stage_s']:,.0f} | {r['driver_rss']:.0f} | "
                    f"{r['worker_rss']:.0f} | {hours:.2f} h |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
