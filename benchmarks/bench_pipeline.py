"""Time the whole demo (warmtegis demo) per stage, and each output writer.

Run: python benchmarks/bench_pipeline.py [LEAFLET_DIST]
Target: the whole demo under 30 s on 2 cores. The first run in a process pays for the
borehole g-function tables (inside "mini nets"); a second run shows the warm figure.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from warmtegis import run_study, settings
from warmtegis.datasets import get_path
from warmtegis.outputs.map import write_map
from warmtegis.outputs.raster import write_heat_density
from warmtegis.outputs.summary import write_summary


def timed(f, *a, **k):
    t = time.perf_counter()
    r = f(*a, **k)
    return r, time.perf_counter() - t


def main(assets: Path | None) -> None:
    settings.progress = False
    study = get_path("otterlo/study.toml")
    for run in ("cold", "warm"):
        t0 = time.perf_counter()
        result = run_study(study)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "otterlo.gpkg"
            _, t_gpkg = timed(result.to_geopackage, out)
            _, t_sum = timed(write_summary, result, out.with_suffix(""))
            _, t_tif = timed(write_heat_density, result.layers["buildings"], Path(tmp) / "h.tif")
            _, t_map = timed(write_map, result, Path(tmp) / "m.html", tiles=None, assets=assets)
        total = time.perf_counter() - t0
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        print(f"{run}: {stages}")
        print(
            f"{run}: GeoPackage {t_gpkg:.2f} s, summary {t_sum:.2f} s, raster {t_tif:.2f} s, "
            f"map {t_map:.2f} s; whole demo {total:.1f} s"
        )
    tracemalloc.start()
    run_study(study)
    print(f"peak traced memory of one run: {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
