"""The design package of a mini net: ``design.gpkg``, ``design.html`` and ``offerte-uitvraag.md``.

:func:`write_design_packages` writes one folder per group (docs/outputs.md), all of them or
none, from the run's group designs
(:class:`~warmtegis.mini_nets.group_design.GroupDesign`, computed once per run by
:meth:`~warmtegis.pipeline.StageResults.group_designs`): it presents them, it sizes and prices
nothing itself.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.log import log
from warmtegis.core.version import __version__
from warmtegis.mini_nets.design import (
    SCENARIOS,
)
from warmtegis.mini_nets.group_design import GroupDesign
from warmtegis.outputs.design_sheet import sheet_html, tender_markdown
from warmtegis.pipeline import StageResults
from warmtegis.storage.atomic import atomic_dir
from warmtegis.storage.geopackage import write_geopackage

__all__ = ["write_design_packages"]


# ------------------------------------------------------------------------------- writing
def _layers(d: GroupDesign) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers of ``design.gpkg``."""
    bh, tr, mf = [], [], []
    for s in d.scenarios.values():
        if len(s.loops):
            k = len(s.loops)
            bh.append(
                gpd.GeoDataFrame(
                    {
                        "mini_net_id": [d.mini_net_id] * k,
                        "scenario": [s.scenario] * k,
                        "depth_m": [s.depth_m] * k,
                        "fits": [s.fits] * k,
                    },
                    geometry=shapely.points(s.loops),
                    crs=settings.crs,
                )
            )
        if s.trench is not None and len(s.trench.lines):
            tr.append(s.trench.lines.assign(scenario=s.scenario))
        if s.trench is not None and s.trench.manifold is not None:
            mf.append((s.scenario, s.trench.manifold))
    empty_pts = gpd.GeoDataFrame(
        {"mini_net_id": [], "scenario": []}, geometry=gpd.GeoSeries([], crs=settings.crs)
    )
    return {
        "dwellings": d.dwellings.assign(mini_net_id=d.mini_net_id),
        "boreholes": gpd.GeoDataFrame(pd.concat(bh, ignore_index=True), crs=settings.crs)
        if bh
        else empty_pts,
        "trench": gpd.GeoDataFrame(pd.concat(tr, ignore_index=True), crs=settings.crs)
        if tr
        else gpd.GeoDataFrame(
            {"mini_net_id": [], "scenario": []}, geometry=gpd.GeoSeries([], crs=settings.crs)
        ),
        "manifold": gpd.GeoDataFrame(
            {"mini_net_id": [d.mini_net_id] * len(mf), "scenario": [m[0] for m in mf]},
            geometry=gpd.GeoSeries([m[1] for m in mf], crs=settings.crs),
        ),
        "exclusion_zones": d.exclusions[["kind", "distance_m", "geometry"]],
        "klic_request": gpd.GeoDataFrame(
            {"mini_net_id": [d.mini_net_id], "area_m2": [float(shapely.area(d.klic))]},
            geometry=[d.klic],
            crs=settings.crs,
        ),
    }


def _bill_table(d: GroupDesign) -> pd.DataFrame:
    """Every scenario's bill in one table (``bill_of_quantities`` of the GeoPackage)."""
    return pd.concat(
        [s.bill.assign(scenario=s.scenario) for s in d.scenarios.values()], ignore_index=True
    )


def write_design_packages(
    result: StageResults, out_dir: str | Path, *, groups: list[str] | None = None
) -> list[Path]:
    """Write ``<out_dir>/<mini_net_id>/{design.gpkg, design.html, offerte-uitvraag.md}``.

    The whole folder is written under a temporary name and swapped in at the end
    (:func:`~warmtegis.outputs.atomic_dir`): a failed run leaves the previous packages as
    they were. Returns the group folders.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from warmtegis.datasets import demo_result
    >>> r = demo_result()
    >>> gid = next(iter(r.group_designs()))
    >>> [folder] = write_design_packages(r, Path(tempfile.mkdtemp()) / "ontwerp", groups=[gid])
    >>> sorted(p.name for p in folder.iterdir())
    ['design.gpkg', 'design.html', 'offerte-uitvraag.md']
    """
    out_dir = Path(out_dir)
    designs = result.group_designs(groups)
    meta = {
        "study": getattr(getattr(result, "study", None), "name", "") or "",
        "version": __version__,
        "date": date.today().isoformat(),
    }
    folders = []
    with atomic_dir(out_dir) as tmp:
        for gid, d in designs.items():
            d.meta = meta
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", gid)
            folder = tmp / safe
            folder.mkdir()
            write_geopackage(
                {**_layers(d), "bill_of_quantities": _bill_table(d)}, folder / "design.gpkg"
            )
            (folder / "design.html").write_text(sheet_html(d), encoding="utf-8")
            (folder / "offerte-uitvraag.md").write_text(tender_markdown(d), encoding="utf-8")
            folders.append(out_dir / safe)
        index = pd.DataFrame(
            [
                (gid, len(d.dwellings), *(d.scenarios[s].fits for s in SCENARIOS))
                for gid, d in designs.items()
            ],
            columns=[
                "mini_net_id",
                "n_dwellings",
                *(f"fits_{s.replace(' ', '_')}" for s in SCENARIOS),
            ],
        )
        index.to_csv(tmp / "index.csv", index=False)
    log(f"design: {len(folders)} package(s) written to {out_dir}")
    return folders
