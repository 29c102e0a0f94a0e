"""The ``warmtegis`` command line (see OUTPUTS.md for the contract)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import settings
from ._errors import InputError
from .datasets import get_path
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


def _run(study_path: Path, out: Path) -> StudyResult:
    result = run_study(study_path)
    result.to_geopackage(out)
    summary_csv = out.with_suffix(".summary.csv")
    tmp = summary_csv.with_name(summary_csv.name + ".tmp")
    result.summary.to_csv(tmp, index=False)
    tmp.replace(summary_csv)
    return result


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
    help="Output GeoPackage (written atomically).",
)
def run(study: Path, out: Path) -> None:
    """Run the pipeline for the study area described in STUDY (a STUDY.toml)."""
    try:
        result = _run(study, out)
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
def demo(out_dir: Path) -> None:
    """Run the pipeline on the bundled real demo area (Otterlo, gemeente Ede)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / "otterlo.gpkg"
        result = _run(get_path(DEMO_STUDY), out)
    except InputError as exc:
        _fail(exc)
    _report(result, out)
