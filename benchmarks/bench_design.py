"""Time the mini-net design: scenarios, drop-outs, trenches, and the whole design run.

Run: python benchmarks/bench_design.py [--groups N]
Otterlo (the demo study: BGT terrain, trees, sewers, roads) and Doesburg (BAG only: the
fallback open ground, 886 groups). For each: the design stage's parts on every group, then
``write_design_packages`` (placement and sizing in the two insulated scenarios, their
trenches, and three files per group) on every group with room, or the first N. Peak traced
resident memory of the process after each step.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from warmtegis import read_buildings, run_study, settings
from warmtegis.datasets import get_path
from warmtegis.mini_nets.collective_loop import route_trenches
from warmtegis.mini_nets.design import dropouts, insulation_scenarios
from warmtegis.outputs.design_package import write_design_packages
from warmtegis.params.dwellings import DrillingParams
from warmtegis.params.parameters import Parameters
from warmtegis.pipeline import Inputs, run_stages


def timed(fn):
    """Run `fn`: its seconds and the process's peak resident memory after it (MiB).

    (tracemalloc would slow the Python parts of the design several times over.)
    """
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    return out, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(name, result, groups):
    nets = result.layers["mini_nets"]
    b = result.mini_nets.buildings
    room = result.drilling
    n = len(nets)
    rows = []
    _, dt, mb = timed(lambda: insulation_scenarios(nets, b, params=result.parameters))
    rows.append(("insulation scenarios", n, dt, mb))
    _, dt, mb = timed(lambda: dropouts(nets, params=result.parameters))
    rows.append(("drop-outs", n, dt, mb))
    _, dt, mb = timed(
        lambda: route_trenches(
            nets, b, room.boreholes, ground=room.ground, exclusions=room.exclusions,
            roads=result.inputs.roads, params=result.parameters,
        )
    )  # fmt: skip
    rows.append(("trenches (as built)", int(nets["has_room"].sum()), dt, mb))
    ids = nets.loc[nets["has_room"], "mini_net_id"].tolist()[:groups]
    with tempfile.TemporaryDirectory() as tmp:
        _, dt, mb = timed(lambda: write_design_packages(result, Path(tmp) / "d", groups=ids))
    rows.append(("design packages", len(ids), dt, mb))
    for what, k, dt, mb in rows:
        per = dt / max(k, 1) * 1000
        print(f"| {name} | {what} | {k} | {dt:.2f} | {per:.1f} | {mb:.0f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=None, help="packages for the first N groups")
    args = ap.parse_args()
    settings.progress = False
    print("| area | step | groups | s | ms/group | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|")
    bench("Otterlo", run_study(get_path("otterlo/study.toml")), args.groups)
    doesburg = read_buildings(get_path("doesburg/bag_pand.gpkg"))
    t = time.perf_counter()
    # BAG only: the loops go on the ground around the buildings (opted in; no road layer)
    anyway = Parameters(drilling=DrillingParams(place_without_roads=True))
    result = run_stages(Inputs(buildings=doesburg), anyway, name="doesburg")
    print(
        f"| Doesburg | run_stages (incl. room to drill, design stage) | "
        f"{len(result.layers['mini_nets'])} | {time.perf_counter() - t:.1f} | | |"
    )
    bench("Doesburg", result, args.groups)


if __name__ == "__main__":
    main()
