"""Measure the residents' site: build time, first view and the chunks a search loads.

Run: python benchmarks/bench_residents.py [--shared ../shared]
The bundled three Voorburg buurten, and, when the project's shared data store is beside the
clone, Voorburg's and Den Haag's full BAG export (``voorburg/bag.gpkg``: 30,236 addresses).
Doesburg's bundled BAG has panden only, no addresses, so it has no site to measure.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from warmtegis import run_study, settings
from warmtegis.datasets import get_path
from warmtegis.outputs.residents import resident_records, write_residents_site


def measure(name: str, study: Path) -> None:
    t = time.perf_counter()
    result = run_study(study)
    t_run = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        page = write_residents_site(result, Path(tmp) / "site")
        t_site = time.perf_counter() - t
        chunks = [p.stat().st_size for p in (page.parent / "data" / "adressen").glob("*.js")]
        groups = [p.stat().st_size for p in (page.parent / "data" / "groepen").glob("*.js")]
        first = page.stat().st_size
    n = len(resident_records(result))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| {name} | {n:,} | {t_run:.1f} | {t_site:.1f} | {first / 1000:.1f} | "
        f"{len(chunks)} | {statistics.median(chunks) / 1000:.0f} / {max(chunks) / 1000:.0f} | "
        f"{len(groups)} | {max(groups) / 1000:.1f} | "
        f"{(first + max(chunks) + max(groups)) / 1000:.0f} | {rss:.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).parents[2] / "shared")
    args = ap.parse_args()
    settings.progress = False
    print(
        "| area | addresses | run s | site s | first view kB | address chunks (PC4 + letter) "
        "| chunk kB median / max | groups | group kB max | largest search kB | peak RSS MiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    measure("Voorburg, 3 buurten (bundled)", get_path("voorburg/study.toml"))
    full = args.shared / "data" / "voorburg" / "bag.gpkg"
    if full.exists():
        with tempfile.TemporaryDirectory() as tmp:
            study = Path(tmp) / "study.toml"
            study.write_text(
                '[study]\nname = "voorburg-den-haag"\n[inputs]\n'
                f'buildings = {{ path = "{full}", layer = "pand" }}\n'
                f'verblijfsobjecten = {{ path = "{full}", layer = "verblijfsobject" }}\n'
                f'addresses = {{ path = "{full}", layer = "nummeraanduiding" }}\n'
                "[parameters.drilling]\nplace_without_roads = true\n",
                encoding="utf-8",
            )
            measure("Voorburg + Den Haag, full export (shared store)", study)
    else:
        print(f"(no shared store at {args.shared}: the full export is not measured)")


if __name__ == "__main__":
    main()
