"""g-function tables computed once (warmtegis._gcache): shipped defaults, the disk cache."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from warmtegis._gcache import TABLE_VERSION, cached_table, table_key
from warmtegis.boreholes import _unit_table_key, _unit_table_uncached
from warmtegis.params import BoreholeParams
from warmtegis.units import FULL_LOAD_HOURS

GRID = (30.0, 45.0, 65.0, 90.0, 120.0, 160.0, 200.0, 250.0)

FRESH = """
import sys, time
from warmtegis.boreholes import size_mini_nets
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
    files = list((tmp_path / "gfunctions").glob("*.npz"))
    assert len(files) >= 3  # a table per line length used (and the 7/8 pair for 12 loops)
    again_s, again_computed, again = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert not again_computed and again == first and again_s < first_s
    # a damaged cache file is computed again, not an error
    files[0].write_bytes(b"not a table")
    _, _, third = _fresh(tmp_path, "'ground_conductivity_w_mk': 1.7")
    assert third == first


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
