"""Borehole g-function tables computed once: shipped for the defaults, cached on disk otherwise.

Sizing a mini net's loops interpolates in a table per layout (the temperature term of a unit
load at a grid of loop lengths, :func:`warmtegis.boreholes.size_mini_nets`). Computing one
takes pygfunction about half a second, so a fresh process used to spend ~4 s on them before
its first sizing. Tables are now looked up, in this order:

1. in memory (this process);
2. in ``warmtegis/data/gfunction_tables.npz``, shipped with the package for the default
   parameters (``python -m warmtegis._gcache`` rebuilds it);
3. on disk in ``$WARMTEGIS_CACHE_DIR`` (default ``~/.cache/warmtegis``), one ``.npz`` per table,
   written atomically (temporary name + rename) the first time a table is computed; a cache
   folder that cannot be written is skipped with a log line, never an error.

A table's key is the SHA-256 of everything it depends on: its kind, layout, the borehole and
ground parameters (their ``repr``), the length grid, the full-load hours, this module's table
version and pygfunction's version — a changed parameter or library is a new table, never a
stale one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from ._log import log

__all__ = ["cache_dir", "cached_table", "table_key"]

#: Bump when the way tables are computed changes.
TABLE_VERSION = 1
_SHIPPED = "gfunction_tables.npz"
_memory: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_shipped: dict[str, tuple[np.ndarray, np.ndarray]] | None = None


def _pygfunction_version() -> str:
    try:
        return metadata.version("pygfunction")
    except metadata.PackageNotFoundError:  # pragma: no cover - pygfunction is a dependency
        return "unknown"


def table_key(*parts: object) -> str:
    """Return the SHA-256 key of a table from everything it depends on."""
    text = repr((TABLE_VERSION, _pygfunction_version(), *parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_dir() -> Path:
    """Return the on-disk cache folder: ``$WARMTEGIS_CACHE_DIR`` or ``~/.cache/warmtegis``."""
    env = os.environ.get("WARMTEGIS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "warmtegis"


def _load_shipped() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    global _shipped
    if _shipped is None:
        _shipped = {}
        ref = resources.files("warmtegis").joinpath("data", _SHIPPED)
        if ref.is_file():
            with ref.open("rb") as fh, np.load(fh) as data:
                for name in data.files:
                    key, part = name.rsplit("_", 1)
                    lengths, unit = _shipped.get(key, (np.zeros(0), np.zeros(0)))
                    if part == "lengths":
                        lengths = data[name]
                    else:
                        unit = data[name]
                    _shipped[key] = (lengths, unit)
    return _shipped


def cached_table(
    key: str, compute: Callable[[], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the table `key`: from memory, the shipped file, the disk cache, or `compute()`."""
    if key in _memory:
        return _memory[key]
    table = _load_shipped().get(key)
    path = cache_dir() / "gfunctions" / f"{key}.npz"
    if table is None and path.is_file():
        try:
            with np.load(path) as data:
                table = (data["lengths"], data["unit"])
        except (OSError, ValueError, KeyError):  # a damaged cache file: compute it again
            table = None
    if table is None:
        table = compute()
        _write(path, table)
    _memory[key] = table
    return table


def _write(path: Path, table: tuple[np.ndarray, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, lengths=table[0], unit=table[1])
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full cache folder: keep the table in memory only
        log(f"g-function cache not written ({path.parent}: {exc.strerror or exc})", logging.DEBUG)


def main() -> None:
    """Rebuild the shipped tables for the default parameters (lines of 1-8 loops)."""
    from .boreholes import _EXACT_LOOPS, _unit_table_key, _unit_table_uncached
    from .params import BoreholeParams
    from .units import FULL_LOAD_HOURS

    params, grid = BoreholeParams(), (30.0, 45.0, 65.0, 90.0, 120.0, 160.0, 200.0, 250.0)
    arrays = {}
    for n in range(1, _EXACT_LOOPS + 1):
        key = _unit_table_key(n, params, grid, FULL_LOAD_HOURS)
        lengths, unit = _unit_table_uncached(n, params, grid, FULL_LOAD_HOURS)
        arrays[f"{key}_lengths"], arrays[f"{key}_unit"] = lengths, unit
    out = Path(__file__).with_name("data") / _SHIPPED
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    print(f"wrote {out} ({len(arrays) // 2} tables)")


if __name__ == "__main__":
    main()
