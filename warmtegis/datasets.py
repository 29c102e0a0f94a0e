"""Access to the real Dutch demo data bundled in ``data/raw/``, and the demo run on it.

This module sits on top of the package (beside :mod:`warmtegis.cli`): :func:`demo_result`
runs the whole stage runner on the bundled Otterlo study, so examples and notebooks can start
from a real result.
"""

from __future__ import annotations

import functools
from pathlib import Path

from warmtegis.core.errors import InputError
from warmtegis.pipeline import StudyResult, run_study

__all__ = ["DEMO_STUDY", "available", "data_dir", "demo_result", "get_path"]

#: The bundled demo study (Otterlo, gemeente Ede: BGT, trees, sewers, terrain).
DEMO_STUDY = "otterlo/study.toml"


def data_dir() -> Path:
    """Return the directory holding the bundled data (``data/raw`` of the source tree).

    Returns
    -------
    pathlib.Path
        Absolute path of ``data/raw``.

    Raises
    ------
    InputError
        When the package is installed without its source tree (the demo data are not part
        of the wheel; install with ``pip install -e .`` from a clone).
    """
    here = Path(__file__).resolve().parent.parent / "data" / "raw"
    if not here.is_dir():
        raise InputError(
            f"bundled demo data not found at {here}: install warmtegis from a clone with "
            "'pip install -e .' so that data/raw is available"
        )
    return here


_SUFFIXES = {".gpkg", ".bz2", ".osm", ".csv", ".toml", ".zip", ".rib"}


def available() -> list[str]:
    """List the bundled data files, as paths relative to ``data/raw``."""
    root = data_dir()
    return sorted(
        str(p.relative_to(root)).replace("\\", "/")
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in _SUFFIXES
    )


def get_path(name: str) -> Path:
    """Return the absolute path of a bundled data file.

    Parameters
    ----------
    name
        Path relative to ``data/raw``, e.g. ``"otterlo/bgt_wegdeel.gpkg"``.

    Returns
    -------
    pathlib.Path
        Absolute path to the file.

    Raises
    ------
    InputError
        If no such file is bundled; the message lists the files that are.
    """
    path = data_dir() / name
    if not path.is_file():
        raise InputError(f"no bundled data file {name!r}; available: {', '.join(available())}")
    return path


@functools.cache
def demo_result() -> StudyResult:
    """Return the bundled Otterlo study run through every stage (run once per process).

    The same run as ``warmtegis demo``; the result is shared between calls, so treat it as
    read-only.

    Examples
    --------
    >>> r = demo_result()
    >>> r.study.name, len(r.layers["buildings"]) > 0
    ('otterlo', True)
    """
    return run_study(get_path(DEMO_STUDY))
