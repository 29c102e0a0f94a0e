"""The ``warmtegis`` command line (see docs/outputs.md for the contract)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import click
import geopandas as gpd

from warmtegis import settings
from warmtegis.core.errors import ConfigError, InputError, OutputError
from warmtegis.datasets import get_path
from warmtegis.inputs._common import list_layers, read_layer
from warmtegis.inputs.bag import read_buildings
from warmtegis.inputs.roads import read_roads
from warmtegis.inputs.sewers import read_sewers
from warmtegis.inputs.study import read_study
from warmtegis.inputs.trees import read_trees
from warmtegis.national.batch import run_batch
from warmtegis.national.potential import write_potential
from warmtegis.national.prepare import is_prepared, prepare_buildings
from warmtegis.outputs.design_package import write_design_packages
from warmtegis.outputs.map import write_map
from warmtegis.outputs.raster import write_heat_density
from warmtegis.outputs.residents import dwelling_check, write_residents_site
from warmtegis.outputs.summary import summary_markdown
from warmtegis.params.parameters import Parameters, read_parameters
from warmtegis.pipeline import StudyResult, run_study
from warmtegis.storage.atomic import OutputSet, atomic_path, describe_os_error

__all__ = ["batch", "demo", "design", "main", "potential", "prepare", "residents", "run"]

DEMO_STUDY = "otterlo/study.toml"


def _report(result: StudyResult, out: Path) -> None:
    click.echo(f"wrote {out}")
    for row in result.summary.itertuples(index=False):
        click.echo(f"  {row.key:<28} {row.value:>12,.2f} {row.unit}")


def _check_assets(assets: Path | None) -> None:
    if assets is None:
        return
    missing = [str(assets / n) for n in ("leaflet.js", "leaflet.css") if not (assets / n).is_file()]
    if missing:
        raise InputError(
            f"--map-assets: {', '.join(missing)} not found; give the folder holding Leaflet "
            "1.9's dist files (npm pack leaflet@1.9.4, folder package/dist)"
        )


def _run(study_path: Path, out: Path, map_path: Path | None, assets: Path | None) -> StudyResult:
    """Check every output path, run the study, write the whole output set or nothing."""
    if out.suffix.lower() != ".gpkg":
        raise InputError(f"--out {out} must be a GeoPackage ending in .gpkg")
    if map_path is not None and map_path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--map {map_path} must be an HTML file ending in .html")
    study = read_study(study_path)
    _check_assets(assets)
    stem = out.with_suffix("")
    csv = stem.with_name(stem.name + ".summary.csv")
    md = stem.with_name(stem.name + ".summary.md")
    tif = stem.with_name(stem.name + ".heat_density.tif")
    paths = [out, csv, md, tif] + ([map_path] if map_path is not None else [])
    outputs = OutputSet(paths, inputs=[study.path] + [s.path for s in study.inputs.values()])
    result = run_study(study)
    with outputs, contextlib.ExitStack() as stack:
        job = None
        if map_path is not None:
            # the map (Python: folium, jinja) is built beside the GeoPackage and raster
            # writes (GDAL, which releases the GIL)
            from concurrent.futures import ThreadPoolExecutor

            map_tmp = stack.enter_context(outputs.writing(map_path))
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            job = pool.submit(
                write_map, result, map_tmp, assets=assets,
                tiles=None if assets else "OpenStreetMap",
            )  # fmt: skip
        with outputs.writing(out) as tmp:
            result.to_geopackage(tmp)
        with outputs.writing(csv) as tmp:
            result.summary.to_csv(tmp, index=False)
        with outputs.writing(md) as tmp:
            tmp.write_text(summary_markdown(result), encoding="utf-8")
        with outputs.writing(tif) as tmp:
            write_heat_density(result.layers["buildings"], tmp)
        if job is not None:
            job.result()
    return result


class _Guarded(click.Group):
    """Turn every data, configuration and environment problem into one line and exit 2.

    A genuine bug prints one line with where the full traceback was saved; ``--verbose``
    shows the traceback itself.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (InputError, OutputError) as exc:
            click.echo(f"warmtegis: error: {exc}", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo(
                "warmtegis: error: out of memory; run a smaller area or use "
                "'warmtegis batch' to split it",
                err=True,
            )
            sys.exit(2)
        except OSError as exc:
            click.echo(f"warmtegis: error: {describe_os_error(exc, verb='use')}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("warmtegis: interrupted; earlier outputs are unchanged", err=True)
            sys.exit(130)
        except Exception as exc:
            if ctx.meta.get("warmtegis.verbose"):
                raise
            log_path = _save_traceback()
            click.echo(
                f"warmtegis: internal error ({type(exc).__name__}: {exc}) - a bug in warmtegis, "
                f"not in your data; full traceback in {log_path} (run with --verbose to show "
                "it); earlier outputs are unchanged",
                err=True,
            )
            sys.exit(1)


def _save_traceback() -> Path:
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / f"warmtegis-error-{os.getpid()}.log"
    try:
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return Path("(could not save the traceback)")
    return path


_MAP_ASSETS = click.option(
    "--map-assets",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder with Leaflet's leaflet.js and leaflet.css: inline them and use no "
    "background tiles, so the map works offline.",
)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="Only print errors; no progress bars.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
@click.version_option(package_name="warmtegis")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Plan heat networks and mini heat networks for Dutch neighbourhoods."""
    ctx.meta["warmtegis.verbose"] = verbose
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
    result = _run(study, out, map_path, map_assets)
    _report(result, out)


@main.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for the packages: DIR/<mini_net_id>/design.gpkg, design.html and "
    "offerte-uitvraag.md, and DIR/index.csv (replaced as a whole).",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Only this mini_net_id (repeatable); default every group with room to drill.",
)
def design(study: Path, out_dir: Path, groups: tuple[str, ...]) -> None:
    """Write the design package of every mini net of STUDY (a STUDY.toml) with room to drill.

    Per group: design.gpkg (dwellings, boreholes, trench, manifold, exclusion zones, KLIC
    request polygon, bill of quantities), design.html (printable sheet in Dutch) and
    offerte-uitvraag.md (the tender request), each in three insulation scenarios.
    """
    result = run_study(read_study(study))
    folders = write_design_packages(result, out_dir, groups=list(groups) or None)
    click.echo(f"{len(folders)} design package(s) in {out_dir}")


@main.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder of the site (index.html, data/; replaced as a whole).",
)
@click.option(
    "--design/--no-design",
    default=False,
    show_default=True,
    help="Also write each group's design package under ontwerp/ and link its tender request.",
)
def residents(study: Path, out_dir: Path, design: bool) -> None:
    """Write the residents' static site of STUDY: postcode + huisnummer -> our mini net.

    The study needs the inputs addresses (BAG nummeraanduiding) and verblijfsobjecten. The
    site opens from disk or any web server; it loads nothing from the internet. With CBS
    buurten (input buurten) it also writes buurten.csv: dwellings per buurt against CBS's
    households.
    """
    spec = read_study(study)
    spec.require(
        {
            "addresses": 'addresses = { path = "bag.gpkg", layer = "nummeraanduiding" }',
            "verblijfsobjecten": (
                'verblijfsobjecten = { path = "bag.gpkg", layer = "verblijfsobject" }'
            ),
        },
        "the residents' page",
    )
    result = run_study(spec)
    page = write_residents_site(result, out_dir, design=design)
    if result.inputs.buurten is not None:
        check = dwelling_check(result)
        with atomic_path(out_dir / "buurten.csv") as tmp:
            check.to_csv(tmp, index=False)
    click.echo(f"residents' page: {page}")


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
    except OSError as exc:
        raise OutputError(f"--out-dir {out_dir}: cannot create it ({exc.strerror})") from exc
    out = out_dir / "otterlo.gpkg"
    result = _run(get_path(DEMO_STUDY), out, out_dir / "otterlo.html", map_assets)
    _report(result, out)


def _read_parameters(path: Path) -> Parameters:
    """Read the ``[parameters]`` of a TOML file, checked like a study file's."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"--params {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--params {path}: not valid TOML ({exc})") from None
    return read_parameters(raw.get("parameters"), location=str(path))


@main.command()
@click.argument("batch_gpkg", type=click.Path(path_type=Path))
@click.option(
    "--out-dir", required=True, type=click.Path(path_type=Path), help="Folder for the report."
)
def potential(batch_gpkg: Path, out_dir: Path) -> None:
    """Write the mini-net potential report of a batch's GeoPackage (`warmtegis batch --out`).

    Writes OUT_DIR/potential.md, potential.csv and potential.html (choropleth per area), the
    same report as `warmtegis batch --potential OUT_DIR`.
    """
    layers = list_layers(batch_gpkg)
    if "areas" not in layers:
        raise InputError(
            f"{batch_gpkg} has no layer 'areas': give the GeoPackage `warmtegis batch --out` "
            f"wrote (layers found: {', '.join(layers)})"
        )
    areas = gpd.read_file(batch_gpkg, layer="areas", engine="pyogrio")
    groups = (
        gpd.read_file(batch_gpkg, layer="groups", engine="pyogrio") if "groups" in layers else None
    )
    paths = write_potential(areas, out_dir, groups=groups)
    click.echo(f"potential report: {paths['md']}")


def _column_options(pairs: tuple[str, ...], option: str) -> dict[str, str] | None:
    """Turn ``NAME=COLUMN`` options into a reader's `columns` mapping."""
    out = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(
                f"{pair!r}: give NAME=COLUMN, e.g. identificatie=pand_id", param_hint=option
            )
        out[name.strip()] = column.strip()
    return out or None


@main.command()
@click.argument("buildings", type=click.Path(path_type=Path))
@click.option("--layer", default=None, help="Layer of BUILDINGS (when it holds several).")
@click.option(
    "--verblijfsobjecten",
    type=click.Path(path_type=Path),
    default=None,
    help="BAG verblijfsobjecten: each pand's units, uses and floor area are attached.",
)
@click.option("--vbo-layer", default=None, help="Layer of --verblijfsobjecten.")
@click.option(
    "--columns",
    "columns",
    multiple=True,
    metavar="NAME=COLUMN",
    help="A column of BUILDINGS under another name, e.g. --columns identificatie=pand_id "
    "(repeat for more; as columns = {...} in a study file).",
)
@click.option(
    "--vbo-columns",
    "vbo_columns",
    multiple=True,
    metavar="NAME=COLUMN",
    help="The same for --verblijfsobjecten, e.g. --vbo-columns pandref=pand_nr.",
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--partition-size", default=100_000, show_default=True, help="Panden per partition file."
)
def prepare(
    buildings: Path,
    layer: str | None,
    verblijfsobjecten: Path | None,
    vbo_layer: str | None,
    columns: tuple[str, ...],
    vbo_columns: tuple[str, ...],
    out: Path,
    partition_size: int,
) -> None:
    """Convert BUILDINGS (any supported format) into partitioned GeoParquet for `batch`.

    Writes OUT/part-*.parquet (Hilbert-sorted panden, GeoParquet 1.1 with bounding boxes)
    and OUT/_warmtegis.json (every partition with its count and bounds); OUT is replaced
    as a whole.
    """
    ds = prepare_buildings(
        buildings,
        out,
        layer=layer,
        verblijfsobjecten=verblijfsobjecten,
        vbo_layer=vbo_layer,
        columns=_column_options(columns, "--columns"),
        vbo_columns=_column_options(vbo_columns, "--vbo-columns"),
        partition_size=partition_size,
    )
    click.echo(f"prepared {ds.count:,} panden in {len(ds.files)} partition(s): {out}")


@main.command()
@click.argument("areas", required=False, type=click.Path(path_type=Path))
@click.option(
    "--buildings",
    required=True,
    type=click.Path(path_type=Path),
    help="BAG panden: a file, or a folder written by `warmtegis prepare` (read on the workers).",
)
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
@click.option(
    "--group-column",
    default=None,
    help="Column of AREAS to total by (e.g. gemeentecode): table groups in OUT.",
)
@click.option(
    "--drill/--no-drill",
    default=False,
    show_default=True,
    help="Also run room to drill per area (about 60 ms per group). Without --roads it needs "
    "[parameters.drilling] place_without_roads = true in --params.",
)
@click.option(
    "--potential",
    "potential_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the mini-net potential report (Markdown, CSV, choropleth) into this folder.",
)
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
    group_column: str | None,
    drill: bool,
    potential_dir: Path | None,
) -> None:
    """Run the stages for every area of AREAS (polygons; else a square grid).

    Writes OUT with the layers areas (per-area figures), road_segments, bottlenecks,
    mini_nets and (for areas with source_x/source_y columns) pipes, each with area_id, and
    the tables total (and groups with --group-column). With --buildings a prepared folder
    (`warmtegis prepare`), the workers read the panden; the driver holds only the areas.
    """
    if out.suffix.lower() != ".gpkg":
        raise InputError(f"--out {out} must be a GeoPackage ending in .gpkg")
    parameters = _read_parameters(params_file) if params_file else None  # fail early
    given = [p for p in (areas, buildings, roads, sewers, trees, barriers, params_file) if p]
    outputs = OutputSet([out], inputs=given)
    area_frame = (
        read_layer(areas, geometry_types=("Polygon", "MultiPolygon"), what="study areas")
        if areas is not None
        else None
    )

    if buildings.is_dir() and not is_prepared(buildings):
        raise InputError(
            f"--buildings {buildings} is a folder but not one written by `warmtegis prepare`"
        )
    result = run_batch(
        area_frame,
        buildings if buildings.is_dir() else read_buildings(buildings),
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
        group_column=group_column,
        grid_m=grid_m,
        margin_m=margin_m,
        parameters=parameters,
        scheduler=scheduler,
        workers=workers,
        drill=drill,
    )
    try:
        with outputs, outputs.writing(out) as tmp:
            result.to_geopackage(tmp)
        if potential_dir is not None:
            write_potential(result.areas, potential_dir, groups=result.tables.get("groups"))
    finally:
        result.cleanup()
    a = result.areas
    click.echo(
        f"wrote {out}: {len(a)} areas, {int(a['dwellings'].sum()):,} dwellings, "
        f"{int(a['eligible_dwellings'].sum()):,} eligible for a mini net in "
        f"{int(a['mini_nets'].sum()):,} groups, {result.timings['total']:.1f} s"
    )
