"""Borehole g-function tables computed once: shipped for the defaults, cached on disk otherwise.

Sizing a mini net's loops interpolates in a table per layout (the temperature term of a unit
load at a grid of loop lengths, :func:`warmtegis.mini_nets.boreholes.size_mini_nets`). Computing one
takes pygfunction about half a second, so a fresh process used to spend ~4 s on them before
its first sizing. Tables are now looked up, in this order:

1. in memory (this process; the :data:`MEMORY_TABLES` most recently used);
2. in ``warmtegis/data/gfunction_tables.npz``, shipped with the package for the default
   parameters (``python -m warmtegis.mini_nets.boreholes`` rebuilds it);
3. on disk in ``$WARMTEGIS_CACHE_DIR`` (default ``~/.cache/warmtegis``), in one SQLite file
   ``gfunctions.sqlite`` (:class:`_DiskCache`), written the first time a table is computed; a
   cache folder that cannot be written is skipped with a log line, never an error.

A table's key is the SHA-256 of everything it depends on: its kind, layout, the borehole and
ground parameters (their ``repr``), the length grid, the full-load hours, this module's table
version and pygfunction's version — a changed parameter or library is a new table, never a
stale one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from warmtegis.core.cache import BoundedCache, cache_dir
from warmtegis.core.log import log

__all__ = ["MEMORY_TABLES", "TABLE_VERSION", "cached_table", "shipped_path", "table_key"]

#: Bump when the way tables are computed changes.
TABLE_VERSION = 1
_SHIPPED = "gfunction_tables.npz"
#: How many tables a process keeps in memory (the most recently used). A national batch with
#: room to drill meets hundreds of thousands of distinct loop layouts; a layout costs about
#: 1.3 kB in memory over both caches (this one and the layouts'), so 4,096 bound them to ~5 MB.
MEMORY_TABLES = 4096
_shipped: dict[str, tuple[np.ndarray, np.ndarray]] | None = None


_memory = BoundedCache(MEMORY_TABLES)


def _pygfunction_version() -> str:
    try:
        return metadata.version("pygfunction")
    except metadata.PackageNotFoundError:  # pragma: no cover - pygfunction is a dependency
        return "unknown"


def table_key(*parts: object) -> str:
    """Return the SHA-256 key of a table from everything it depends on."""
    text = repr((TABLE_VERSION, _pygfunction_version(), *parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    found = _memory.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]  # BoundedCache holds these tables
    table = _load_shipped().get(key)
    if table is None:
        table = _disk.read(key)
    if table is None:
        table = compute()
        _disk.write(key, table)
    _memory.put(key, table)
    return table


class _DiskCache:
    """The tables computed on this machine: one SQLite file, ``gfunctions.sqlite``.

    One row per table (key, lengths, unit as float64 bytes) in a single file, not a file
    per table: a national batch with room to drill meets a distinct loop layout in almost
    every group, hundreds of thousands of tables of about 270 bytes each (with the key).
    Write-ahead logging lets the batch's worker processes read while one writes
    (``timeout`` waits for a writer's lock); a row is committed on its own, so a killed
    process loses at most the table it was writing. A file that is not a database (damaged)
    is set aside and started afresh; a folder that cannot be written is skipped with a log
    line, never an error.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._at: tuple[int, Path] | None = None  # (process, file) of the open connection
        self._off: tuple[int, Path] | None = None  # the same for a file that failed

    def _connect(self) -> sqlite3.Connection | None:
        where = (os.getpid(), cache_dir() / _DB)
        if where == self._at:
            return self._con
        if where == self._off:
            return None
        self._con, self._at = None, None  # a forked worker or another folder: a new one
        path = where[1]
        for attempt in range(2):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(path, timeout=30, check_same_thread=False)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute(
                    "CREATE TABLE IF NOT EXISTS tables "
                    "(key TEXT PRIMARY KEY, lengths BLOB NOT NULL, unit BLOB NOT NULL)"
                )
                con.commit()
            except sqlite3.DatabaseError as exc:
                if attempt == 0 and path.is_file() and "not a database" in str(exc):
                    path.replace(path.with_name(path.name + ".damaged"))
                    continue
                self._give_up(where, exc)
                return None
            except OSError as exc:
                self._give_up(where, exc)
                return None
            self._con, self._at = con, where
            return con
        return None  # pragma: no cover - the loop returns

    def _give_up(self, where: tuple[int, Path], exc: Exception) -> None:
        log(f"g-function cache not used ({where[1]}: {exc})", logging.DEBUG)
        self._off = where

    def read(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            con = self._connect()
            if con is None:
                return None
            try:
                row = con.execute(
                    "SELECT lengths, unit FROM tables WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        try:
            lengths, unit = np.frombuffer(row[0]), np.frombuffer(row[1])
        except (TypeError, ValueError):  # not float64 bytes
            return None
        if len(lengths) != len(unit) or not len(unit) or not np.isfinite(unit).all():
            return None  # a damaged row: computed again (and replaced)
        return lengths, unit

    def write(self, key: str, table: tuple[np.ndarray, np.ndarray]) -> None:
        lengths, unit = (np.ascontiguousarray(t, dtype=np.float64).tobytes() for t in table)
        with self._lock:
            con = self._connect()
            if con is None:
                return
            try:
                with con:
                    con.execute(
                        "INSERT OR REPLACE INTO tables VALUES (?, ?, ?)", (key, lengths, unit)
                    )
            except sqlite3.Error as exc:  # full disk, read-only file: memory only
                log(f"g-function cache not written ({self._at}: {exc})", logging.DEBUG)

    def __len__(self) -> int:
        with self._lock:
            con = self._connect()
            return 0 if con is None else con.execute("SELECT COUNT(*) FROM tables").fetchone()[0]


_DB = "gfunctions.sqlite"
_disk = _DiskCache()


def shipped_path() -> Path:
    """Return where the shipped tables live (``warmtegis/data/gfunction_tables.npz``)."""
    return Path(__file__).parents[1] / "data" / _SHIPPED
