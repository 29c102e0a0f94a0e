"""Time the room-to-drill stage: open ground, exclusions, placement and sizing per group.

Run: python benchmarks/bench_drilling.py [--groups N]
Otterlo with its BGT terrain, trees, sewers and roads; Doesburg (BAG only: the fallback open
ground) on its first N groups (default all 886). Peak traced memory of the whole stage.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from warmtegis import read_buildings, read_roads, read_sewers, read_trees
from warmtegis.datasets import get_path
from warmtegis.inputs.terrain import read_terrain
from warmtegis.mini_nets.ground import exclusion_zones, open_ground
from warmtegis.mini_nets.grouping import mini_net_candidates
from warmtegis.mini_nets.room import room_to_drill


def run(name, buildings, terrain=None, trees=None, sewers=None, roads=None, groups=None):
    nets = mini_net_candidates(buildings)
    m = nets.mini_nets if groups is None else nets.mini_nets.head(groups)
    tracemalloc.start()
    t0 = time.perf_counter()
    ground = open_ground(buildings, terrain=terrain, roads=roads)
    zones = exclusion_zones(buildings, trees=trees, sewers=sewers, roads=roads)
    t1 = time.perf_counter()
    res = room_to_drill(m, nets.buildings, ground=ground, exclusions=zones)
    t2 = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    g = res.groups
    per = (t2 - t1) / max(len(g), 1) * 1000
    print(
        f"{name:<22}{len(buildings):>8}{len(g):>8}{int(g['has_room'].sum()):>8}"
        f"{int(g['loops_placed'].sum()):>8}{t1 - t0:>9.2f}{t2 - t1:>9.2f}{per:>10.0f}{peak:>8.0f}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=None, help="Doesburg: only the first N groups")
    args = ap.parse_args()
    print(
        f"{'area':<22}{'panden':>8}{'groups':>8}{'room':>8}{'loops':>8}"
        f"{'ground s':>9}{'place+size s':>9}{'ms/group':>10}{'MiB':>8}"
    )
    otterlo = get_path("otterlo/study.toml").parent
    run(
        "Otterlo (BGT terrain)",
        read_buildings(otterlo / "bgt_pand.gpkg", layer="pand"),
        terrain=read_terrain(otterlo / "bgt_terrein.gpkg"),
        trees=read_trees(otterlo / "bgt_boom.gpkg", layer="boom"),
        sewers=read_sewers(otterlo / "riool_benaderd.gpkg", layer="riool"),
        roads=read_roads(otterlo / "bgt_wegdeel.gpkg", layer="wegdeel"),
    )
    run(
        "Doesburg (fallback)",
        read_buildings(get_path("doesburg/bag_pand.gpkg")),
        groups=args.groups,
    )


if __name__ == "__main__":
    main()
