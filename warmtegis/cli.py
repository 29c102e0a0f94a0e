"""The ``warmtegis`` command line (see docs/outputs.md for the contract)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import settings
from ._errors import InputError
from .datasets import get_path
from .export import write_heat_density, write_map, write_summary
from .params import Parameters
from .pipeline import StudyResult, run_study

__all__ = ["main"]

DEMO_STUDY = "otterlo/study.toml"


def _fail(exc: InputError) -> None:
    click.echo(f"warmtegis: error: {exc}", err=True)
    sys.exit(2)


def _report(result: StudyResult, out: Path) -> None:
    click.echo(f"wrote {out}")
    for row in result.summary.itertuples(index=False):
        click.echo(f"  {row.key:<28} {row.value:>12,.2f} {row.unit}")


def _run(study_path: Path, out: Path, map_path: Path | None, assets: Path | None) -> StudyResult:
    """Run the study, then write every output (each atomically, the GeoPackage first)."""
    if out.suffix.lower() != ".gpkg":
        raise InputError(f"--out {out} must be a GeoPackage ending in .gpkg")
    result = run_study(study_path)
    result.to_geopackage(out)
    stem = out.with_suffix("")
    write_summary(result, stem)
    write_heat_density(result.layers["buildings"], stem.with_name(stem.name + ".heat_density.tif"))
    if map_path is not None:
        write_map(result, map_path, assets=assets, tiles=None if assets else "OpenStreetMap")
    return result


_MAP_ASSETS = click.option(
    "--map-assets",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder with Leaflet's leaflet.js and leaflet.css: inline them and use no "
    "background tiles, so the map works offline.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="Only print errors; no progress bars.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
@click.version_option(package_name="warmtegis")
def main(quiet: bool, verbose: bool) -> None:
    """Plan heat networks and mini heat networks for Dutch neighbourhoods."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("warmtegis").setLevel(level)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    settings.progress = not quiet


@main.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output GeoPackage (written atomically); OUT.summary.csv/.md and "
    "OUT.heat_density.tif are written beside it.",
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write an interactive folium map (HTML).",
)
@_MAP_ASSETS
def run(study: Path, out: Path, map_path: Path | None, map_assets: Path | None) -> None:
    """Run the pipeline for the study area described in STUDY (a STUDY.toml)."""
    try:
        result = _run(study, out, map_path, map_assets)
    except InputError as exc:
        _fail(exc)
    _report(result, out)


@main.command()
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    default=Path("data/processed"),
    show_default=True,
    help="Directory for the outputs.",
)
@_MAP_ASSETS
def demo(out_dir: Path, map_assets: Path | None) -> None:
    """Run the pipeline on the bundled real demo area (Otterlo, gemeente Ede).

    Writes otterlo.gpkg, otterlo.html (map), otterlo.summary.csv/.md and
    otterlo.heat_density.tif into the output directory.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / "otterlo.gpkg"
        result = _run(get_path(DEMO_STUDY), out, out_dir / "otterlo.html", map_assets)
    except InputError as exc:
        _fail(exc)
    _report(result, out)


def _read_parameters(path: Path) -> Parameters:
    """Read the ``[parameters]`` of a TOML file, checked like a study file's."""
    import tomllib

    from ._errors import ConfigError
    from .params import read_parameters

    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"--params {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--params {path}: not valid TOML ({exc})") from None
    return read_parameters(raw.get("parameters"), location=str(path))


@main.command()
@click.argument("areas", required=False, type=click.Path(path_type=Path))
@click.option("--buildings", required=True, type=click.Path(path_type=Path), help="BAG panden.")
@click.option("--roads", type=click.Path(path_type=Path), help="NWB wegvakken or BGT wegdeel.")
@click.option("--sewers", type=click.Path(path_type=Path), help="Sewer lines.")
@click.option("--trees", type=click.Path(path_type=Path), help="Tree points.")
@click.option(
    "--barriers",
    type=click.Path(path_type=Path),
    help="Water, railways: each crossing by the pipes costs a drilling (routing).",
)
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Output GeoPackage."
)
@click.option("--id-column", default=None, help="Area id column of AREAS (default area_id).")
@click.option(
    "--grid-m", default=1000.0, show_default=True, help="Square grid cell (m) without AREAS."
)
@click.option(
    "--margin-m",
    default=50.0,
    show_default=True,
    help="Roads, sewers and trees this close to an area join its corridor check.",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path),
    default=None,
    help="A TOML file (e.g. a STUDY.toml) whose [parameters] apply to every area.",
)
@click.option("--workers", type=int, default=None, help="LocalCluster worker processes (2).")
@click.option("--scheduler", default=None, help="Address of a running dask scheduler.")
def batch(
    areas: Path | None,
    buildings: Path,
    roads: Path | None,
    sewers: Path | None,
    trees: Path | None,
    barriers: Path | None,
    out: Path,
    id_column: str | None,
    grid_m: float,
    margin_m: float,
    params_file: Path | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Run the stages for every area of AREAS (polygons; else a square grid).

    Writes OUT with the layers areas (per-area figures), road_segments, bottlenecks,
    mini_nets and (for areas with source_x/source_y columns) pipes, each with area_id.
    """
    from .batch import run_batch
    from .io import (
        read_buildings,
        read_layer,
        read_roads,
        read_sewers,
        read_trees,
        write_geopackage,
    )

    try:
        if out.suffix.lower() != ".gpkg":
            raise InputError(f"--out {out} must be a GeoPackage ending in .gpkg")
        parameters = _read_parameters(params_file) if params_file else None  # fail early
        area_frame = (
            read_layer(areas, geometry_types=("Polygon", "MultiPolygon"), what="study areas")
            if areas is not None
            else None
        )
        result = run_batch(
            area_frame,
            read_buildings(buildings),
            read_roads(roads) if roads else None,
            read_sewers(sewers) if sewers else None,
            read_trees(trees) if trees else None,
            read_layer(
                barriers,
                geometry_types=("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
                what="barriers (water, railways)",
            )
            if barriers
            else None,
            id_column=id_column,
            grid_m=grid_m,
            margin_m=margin_m,
            parameters=parameters,
            scheduler=scheduler,
            workers=workers,
        )
        write_geopackage(result.layers, out)
    except InputError as exc:
        _fail(exc)
    a = result.areas
    click.echo(
        f"wrote {out}: {len(a)} areas, {int(a['dwellings'].sum()):,} dwellings, "
        f"{int(a['eligible_dwellings'].sum()):,} eligible for a mini net in "
        f"{int(a['mini_nets'].sum()):,} groups, {result.timings['total']:.1f} s"
    )
