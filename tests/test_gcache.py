"""g-function tables computed once (mini_nets.gcache): shipped defaults, the disk cache."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from warmtegis.core.cache import BoundedCache
from warmtegis.mini_nets.boreholes import _unit_table_key, _unit_table_uncached
from warmtegis.mini_nets.gcache import TABLE_VERSION, cached_table, table_key
from warmtegis.params.dwellings import BoreholeParams
from warmtegis.units import FULL_LOAD_HOURS

GRID = (30.0, 45.0, 65.0, 90.0, 120.0, 160.0, 200.0, 250.0)

FRESH = """
import sys, time
from warmtegis.mini_nets.boreholes import size_mini_nets
from warmtegis.params import BoreholeParams
t = time.perf_counter()
r = size_mini_nets([3, 6, 12], [126.0, 252.0, 504.0], params=BoreholeParams(**{params}))
print(time.perf_counter() - t, "pygfunction" in sys.modules, *r["borehole_depth_m"].round(6))
"""


def _fresh(tmp_path, params: str = "") -> tuple[float, bool, list[float]]:
    env = {**os.environ, "WARMTEGIS_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", FRESH.format(params="{" + params + "}")],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), out[1] == "True", [float(v) for v in out[2:]]


def test_a_fresh_process_sizes_its_first_mini_nets_without_pygfunction(tmp_path):
    seconds, computed, depths = _fresh(tmp_path / "empty")
    # the shipped tables hold the defaults: nothing is computed, pygfunction is not imported
    assert not computed
    assert seconds < 0.1  # it took about 4 s to build the tables before they were shipped
    assert not (tmp_path / "empty").exists()  # and nothing had to be written
    assert all(30 <= d <= 200 for d in depths)


def test_shipped_tables_are_what_pygfunction_computes():
    params = BoreholeParams()
    key = _unit_table_key(2, params, GRID, FULL_LOAD_HOURS)
    shipped = cached_table(key, lambda: pytest.fail("the default table is not shipped"))
    lengths, unit = _unit_table_uncached(2, params, GRID, FULL_LOAD_HOURS)
    np.testing.assert_allclose(shipped[0], lengths)
    np.testing.assert_allclose(shipped[1], unit, rtol=1e-12)


def test_other_parameters_are_computed_once_and_then_read_from_disk(tmp_path):
    first_s, first_computed, first = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert first_computed  # not shipped: computed with pygfunction, then written
    db = tmp_path / "gfunctions.sqlite"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT key, lengths, unit FROM tables").fetchall()
    assert len(rows) >= 3  # a table per line length used (and the 7/8 pair for 12 loops)
    assert all(len(np.frombuffer(r[1])) == len(GRID) == len(np.frombuffer(r[2])) for r in rows)
    again_s, again_computed, again = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert not again_computed and again == first and again_s < first_s
    # a damaged row is computed again; a damaged file is set aside and started afresh
    with sqlite3.connect(db) as con:
        con.execute("UPDATE tables SET unit = ? WHERE key = ?", (b"\x00" * 3, rows[0][0]))
    _, computed, third = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert computed and third == first
    for f in tmp_path.glob("gfunctions.sqlite*"):
        f.unlink()
    db.write_bytes(b"not a database" * 100)
    _, computed, fourth = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert computed and fourth == first
    assert (tmp_path / "gfunctions.sqlite.damaged").is_file()
    _, computed, _ = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert not computed  # the fresh file holds the tables again


def test_the_in_memory_tables_are_bounded(monkeypatch, tmp_path):
    """A national batch meets a layout per group: the process keeps the most recent only."""
    from warmtegis.mini_nets import gcache as _gcache
    from warmtegis.mini_nets import layouts

    cache = BoundedCache(3)
    for k in "abcd":
        cache.put(k, k.upper())
    assert len(cache) == 3 and cache.get("a") is None and cache.get("b") == "B"
    cache.put("e", "E")  # "b" was just used: "c" goes
    assert cache.get("c") is None and cache.get("b") == "B"

    monkeypatch.setenv("WARMTEGIS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_gcache, "_memory", BoundedCache(5))
    monkeypatch.setattr(layouts, "_LAYOUTS", BoundedCache(5))
    rng = np.random.default_rng(0)
    for _ in range(12):
        layouts.layout_capacity(rng.uniform(0, 40, (3, 2)), BoreholeParams(), FULL_LOAD_HOURS)
    assert len(_gcache._memory) == 5 and len(layouts._LAYOUTS) == 5
    assert len(_gcache._disk) == 12  # every layout's table kept on disk, in one file
    # the database and its write-ahead log, no file per table
    assert {p.name for p in tmp_path.iterdir()} <= {
        "gfunctions.sqlite", "gfunctions.sqlite-wal", "gfunctions.sqlite-shm"
    }  # fmt: skip


def test_an_unwritable_cache_folder_is_skipped(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    _, computed, depths = _fresh(blocker, "'ground_conductivity_w_mk': 1.6")
    assert computed and len(depths) == 3


def test_keys_change_with_what_a_table_depends_on():
    a = table_key("line", 2, repr(BoreholeParams()), GRID, 1800.0)
    assert a == table_key("line", 2, repr(BoreholeParams()), GRID, 1800.0)
    assert a != table_key("line", 2, repr(BoreholeParams(spacing_m=7.0)), GRID, 1800.0)
    assert a != table_key("line", 3, repr(BoreholeParams()), GRID, 1800.0)
    assert TABLE_VERSION >= 1
