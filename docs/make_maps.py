"""Render the planner's map of Otterlo's free corridors and bottlenecks to docs/ (PNG).

Run: python docs/make_maps.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from warmtegis import analyse_corridors, read_roads, read_sewers, read_trees
from warmtegis.datasets import get_path


def main() -> None:
    """Analyse Otterlo and save the corridor map as docs/otterlo_corridors.png."""
    roads = read_roads(get_path("otterlo/bgt_wegdeel.gpkg"))
    c = analyse_corridors(
        roads,
        sewers=read_sewers(get_path("otterlo/riool_benaderd.gpkg")),
        trees=read_trees(get_path("otterlo/bgt_boom.gpkg")),
    )
    fig, ax = plt.subplots(figsize=(11, 12), dpi=110)
    c.surface.plot(ax=ax, color="#d9d9d9", linewidth=0)
    c.free_corridors.plot(ax=ax, color="#9bd39b", linewidth=0)
    seg = c.road_segments
    seg[seg["passable"]].plot(ax=ax, color="#1f78b4", linewidth=1.2)
    seg[~seg["passable"]].plot(ax=ax, color="#fdae61", linewidth=1.2)
    c.bottlenecks.plot(ax=ax, color="#d7191c", linewidth=3.5)
    ax.set_axis_off()
    figs = {k: v for k, v, _ in c.summary()}
    ax.set_title(
        f"Otterlo: where can a {c.params.trench_m} m heat-pipe trench go?\n"
        f"{figs['street_length']:.1f} km of street, {figs['passable_share']:.0f}% passable, "
        f"{int(figs['bottlenecks'])} bottlenecks (trees: crown + 1.5 m, sewers: 1.0 m)"
    )
    ax.legend(
        handles=[
            Patch(color="#d9d9d9", label="road surface (BGT)"),
            Patch(color="#9bd39b", label="free corridor"),
            Line2D([], [], color="#1f78b4", label="segment passable"),
            Line2D([], [], color="#fdae61", label="segment not passable"),
            Line2D([], [], color="#d7191c", linewidth=3.5, label="bottleneck"),
        ],
        loc="lower left",
    )
    out = Path(__file__).parent / "otterlo_corridors.png"
    fig.savefig(out, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
