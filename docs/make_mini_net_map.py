"""Render the mini-net candidates of Doesburg (centre) to docs/doesburg_mini_nets.png.

Run: python docs/make_mini_net_map.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from warmtegis import mini_net_candidates, read_buildings
from warmtegis.datasets import get_path

COLOURS = {
    "detached": "#bdbdbd",
    "semi-detached": "#fdae6b",
    "end-of-terrace": "#9ecae1",
    "mid-terrace": "#4292c6",
}


def main() -> None:
    """Find Doesburg's mini nets and save a map of a 600 m window."""
    r = mini_net_candidates(read_buildings(get_path("doesburg/bag_pand.gpkg")))
    b, nets = r.buildings, r.mini_nets
    # centre the window where the groups are densest
    cx, cy = nets.geometry.centroid.x.to_numpy(), nets.geometry.centroid.y.to_numpy()
    near = (np.abs(cx[:, None] - cx) < 250) & (np.abs(cy[:, None] - cy) < 250)
    best = near.sum(axis=1).argmax()
    x, y = cx[best], cy[best]
    window = (x - 300, y - 300, x + 300, y + 300)
    b = b.cx[window[0] : window[2], window[1] : window[3]]
    nets = nets.cx[window[0] : window[2], window[1] : window[3]]
    fig, ax = plt.subplots(figsize=(10, 10), dpi=110)
    b[b["dwelling_type"].isna()].plot(ax=ax, color="#f0f0f0", edgecolor="#d0d0d0", linewidth=0.3)
    for kind, colour in COLOURS.items():
        part = b[b["dwelling_type"] == kind]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="white", linewidth=0.3)
    nets.boundary.plot(ax=ax, color="#d62728", linewidth=1.2)
    for _, row in nets.iterrows():
        p = row.geometry.representative_point()
        ax.annotate(str(row["n_dwellings"]), (p.x, p.y), fontsize=6, ha="center", va="center")
    ax.set_xlim(window[0], window[2])
    ax.set_ylim(window[1], window[3])
    ax.set_axis_off()
    ax.set_title(
        "Doesburg: mini-net candidates (red outline, number of dwellings) by dwelling type"
    )
    handles = [Patch(color=c, label=k) for k, c in COLOURS.items()]
    handles += [
        Patch(facecolor="none", edgecolor="#d62728", label="mini net (2-10 dwellings)"),
        Patch(color="#f0f0f0", label="other building"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    out = Path(__file__).with_name("doesburg_mini_nets.png")
    fig.savefig(out, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
