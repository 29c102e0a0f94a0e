"""What the plausibility checks cost: the demo with and without them, and each check at scale.

Run: python benchmarks/bench_plausibility.py
The checks (CRS label, area of use, polygon repair, value ranges, unique ids, extent overlap)
are replaced by no-ops for the "without" runs; the target is < 10 % of the demo.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

import geopandas as gpd

from warmtegis import pipeline, run_study, settings
from warmtegis.buildings import classify as buildings
from warmtegis.core import plausible as plaus
from warmtegis.datasets import get_path
from warmtegis.inputs import _common, bag, osm, roads, sewers, trees

NO_OPS = {
    "check_label": lambda gdf, loc: None,
    "check_coordinates": lambda gdf, loc, original=None: gdf,
    "repair_polygons": lambda gdf, loc: gdf,
    "in_range": lambda values, key, loc, col: values.astype(float),
    "unique_ids": lambda ids, loc, col: ids.astype(str),
    "check_overlap": lambda b, layers: None,
}


@contextmanager
def without_checks():
    """Replace every plausibility check, where the readers and stages call it, by a no-op."""
    modules = [_common, bag, osm, roads, sewers, trees, buildings, pipeline]
    saved = []
    for mod in modules:
        for name, repl in NO_OPS.items():
            if hasattr(mod, name):
                saved.append((mod, name, getattr(mod, name)))
                setattr(mod, name, repl)
    try:
        yield
    finally:
        for mod, name, f in saved:
            setattr(mod, name, f)


def demo_seconds(n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run_study(get_path("otterlo/study.toml"))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    settings.progress = False
    run_study(get_path("otterlo/study.toml"))  # warm: g-function tables, imports
    with_checks = demo_seconds()
    with without_checks():
        without = demo_seconds()
    print(f"demo (warm, median of 3): with checks {with_checks:.2f} s, without {without:.2f} s,")
    print(f"  overhead {100 * (with_checks - without) / without:+.1f} %")
    big = gpd.read_file(get_path("doesburg/bag_pand.gpkg"))
    for name, f in (
        ("check_label", lambda: plaus.check_label(big, "doesburg")),
        ("check_coordinates", lambda: plaus.check_coordinates(big, "doesburg")),
        ("repair_polygons", lambda: plaus.repair_polygons(big, "doesburg")),
        ("unique_ids", lambda: plaus.unique_ids(big["identificatie"], "doesburg", "id")),
    ):
        t = time.perf_counter()
        f()
        print(
            f"{name:<18} on {len(big):,} Doesburg panden: {1000 * (time.perf_counter() - t):.1f} ms"
        )


if __name__ == "__main__":
    main()
