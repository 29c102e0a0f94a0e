"""Time `warmtegis demo` as a user runs it: a fresh process, all five outputs.

Run: python benchmarks/bench_demo.py [--runs N]
Two cases, each a new Python process per run (interpreter start, imports, reading, every
stage, the GeoPackage, map, raster and summaries), wall time from the parent:

- "first run on a machine": an empty cache folder (``$WARMTEGIS_CACHE_DIR``) each run, so the
  per-layout g-function tables and the carriageway skeletons are computed and written;
- "fresh process": the cache folder the first run filled (what every later run sees).

Target (issue 19): the fresh-process demo under 3 s on this machine (2 cores). Peak RSS is the
largest child's (``RUSAGE_CHILDREN``). With Leaflet's files in ``$WARMTEGIS_LEAFLET_DIST`` the
map is written self-contained (``--map-assets``), as the tests write it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_demo(out: Path, cache: Path) -> float:
    env = {**os.environ, "WARMTEGIS_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "warmtegis", "--quiet", "demo", "--out-dir", str(out)]
    assets = os.environ.get("WARMTEGIS_LEAFLET_DIST")
    if assets:
        cmd += ["--map-assets", assets]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print("| case | runs | median s | min s | max s |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        first = []
        for i in range(args.runs):
            first.append(run_demo(root / f"out{i}", root / f"cache{i}"))
        warm = [run_demo(root / "out", root / "cache0") for _ in range(args.runs)]
    for case, times in (("first run on a machine (empty cache)", first), ("fresh process", warm)):
        print(
            f"| {case} | {len(times)} | {statistics.median(times):.2f} | {min(times):.2f} | "
            f"{max(times):.2f} |"
        )
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS of a demo process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
