"""Render the routed heat networks of Otterlo and Wageningen to docs/*_routes.png.

Run: python docs/make_route_maps.py
Pipes coloured by class, line width by DN; streets without trench room dashed red; the
heat source a star. Prints the length per class (the README table).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from warmtegis import run_study
from warmtegis.datasets import get_path

COLOURS = {
    "transport": "#67000d",
    "primary": "#d62728",
    "secondary": "#ff7f0e",
    "service": "#1f77b4",
}
DOCS = Path(__file__).parent


def render(study: str, out: Path, title: str) -> dict[str, float]:
    """Run `study`, draw its network and return its pipe lengths per class (m)."""
    r = run_study(get_path(study))
    net = r.network
    fig, ax = plt.subplots(figsize=(10, 10), dpi=110)
    r.layers["input_buildings"].plot(ax=ax, color="#e0e0e0", edgecolor="#c8c8c8", linewidth=0.2)
    segs = r.layers["road_segments"]
    segs[segs["passable"]].plot(ax=ax, color="#bdbdbd", linewidth=0.8)
    if (~segs["passable"]).any():
        segs[~segs["passable"]].plot(ax=ax, color="#e377c2", linewidth=0.8, linestyle="--")
    pipes = r.layers["pipes"]
    for cls, colour in COLOURS.items():
        part = pipes[pipes["pipe_class"] == cls]
        if len(part):
            width = 0.4 if cls == "service" else 0.6 + part["dn"].to_numpy() / 60
            part.plot(ax=ax, color=colour, linewidth=width)
    src = net.nodes.geometry.iloc[net.source_node]
    ax.plot(src.x, src.y, marker="*", color="black", markersize=16)
    ax.set_axis_off()
    lengths = net.lengths_by_class
    ax.set_title(
        f"{title}: {int(net.connections['connected'].sum())} connections, trunk "
        f"{(lengths['transport'] + lengths['primary'] + lengths['secondary']) / 1000:.1f} km"
    )
    handles = [
        Line2D([], [], color=c, linewidth=2.5, label=f"{k} ({lengths[k] / 1000:.2f} km)")
        for k, c in COLOURS.items()
    ]
    handles += [
        Line2D([], [], color="#bdbdbd", label="street, trench fits"),
        Line2D([], [], color="#e377c2", linestyle="--", label="street, no trench room"),
        Line2D([], [], marker="*", color="black", linestyle="", markersize=12, label="heat source"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {out}: " + ", ".join(f"{k} {v / 1000:.2f} km" for k, v in lengths.items()))
    return lengths


def main() -> None:
    """Render both maps."""
    render("otterlo/study.toml", DOCS / "otterlo_routes.png", "Otterlo (BGT), MT network")
    render("wageningen/study.toml", DOCS / "wageningen_routes.png", "Wageningen (NWB), MT network")


if __name__ == "__main__":
    main()
