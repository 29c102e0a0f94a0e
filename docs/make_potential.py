"""The mini-net potential of the bundled towns against the programme's 1-20 % band.

Run: python docs/make_potential.py
Each town's buildings (and, for Voorburg, its verblijfsobjecten) run through ``run_batch``
with the room-to-drill stage, on a 1 km grid (Voorburg: its three CBS buurten). Writes
``docs/potential.md`` (the table in the README's national section) and, per town, the report
of :func:`warmtegis.national.potential.write_potential` into ``docs/potential/<town>/``
(not kept in the repository: regenerate it).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from warmtegis import read_buildings, settings
from warmtegis.datasets import get_path
from warmtegis.inputs.bag import read_verblijfsobjecten
from warmtegis.national.batch import run_batch
from warmtegis.national.potential import BAND, potential_table, write_potential
from warmtegis.params.dwellings import DrillingParams
from warmtegis.params.parameters import Parameters

OUT = Path(__file__).parent


def towns():
    """(name, buildings, areas or None) of the bundled towns."""
    vb = get_path("voorburg/bag_buurten.gpkg")
    vbo = read_verblijfsobjecten(vb, layer="verblijfsobject")
    buurten = gpd.read_file(get_path("voorburg/cbs_buurten.gpkg"))
    yield (
        "Doesburg (BAG panden, footprints)",
        read_buildings(get_path("doesburg/bag_pand.gpkg")),
        None,
    )
    yield (
        "Wageningen (1,000 BAG panden)",
        read_buildings(get_path("wageningen/bag_pand.gpkg")),
        None,
    )
    yield (
        "Otterlo (BGT panden, footprints)",
        read_buildings(get_path("otterlo/bgt_pand.gpkg")),
        None,
    )
    yield (
        "Delft Wippolder (60 BAG panden)",
        read_buildings(get_path("delft_wippolder/bag_pand.gpkg")),
        None,
    )
    voorburg = read_buildings(vb, layer="pand", verblijfsobjecten=vbo)
    keep = buurten[buurten["buurtcode"].isin(["BU19160803", "BU19160902", "BU19161000"])]
    yield "Voorburg, 3 buurten (BAG + verblijfsobjecten)", voorburg, keep


def main() -> None:
    """Run every town and write the table and the reports."""
    from dask.distributed import Client, LocalCluster

    settings.progress = False
    lo, hi = BAND
    rows = [
        "| town | row and semi-detached | candidates | with room to drill "
        "| and cheapest per year | vs the 1-20 % band |",
        "|---|---:|---:|---:|---:|---|",
    ]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        for name, buildings, areas in towns():
            res = run_batch(
                areas,
                buildings,
                client=client,
                drill=True,
                id_column="buurtcode" if areas is not None else None,
                # BAG only, no roads: the loops go on the ground around the buildings, which
                # may include the street (the screening's known overestimate)
                parameters=Parameters(drilling=DrillingParams(place_without_roads=True)),
            )
            t = potential_table(res.areas)
            base = t["row_and_semi_dwellings"].sum()
            cand, room, cheap = (t[c].sum() for c in ("candidates", "with_room", "cheapest"))
            share = 100 * cheap / base if base else float("nan")
            verdict = "below" if share < lo else "above" if share > hi else "within"
            rows.append(
                f"| {name} | {base:,.0f} | {cand:,.0f} ({100 * cand / base:.0f} %) | "
                f"{room:,.0f} ({100 * room / base:.0f} %) | {cheap:,.0f} ({share:.0f} %) | "
                f"{verdict} |"
            )
            slug = name.split(" (")[0].split(",")[0].lower().replace(" ", "_")
            write_potential(
                res.areas, OUT / "potential" / slug, title=f"Mini-net potential: {name}"
            )
    text = "\n".join(rows) + "\n"
    (OUT / "potential.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
