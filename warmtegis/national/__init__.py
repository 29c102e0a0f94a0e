"""National scale.

Areas, prepared (partitioned) buildings, batches of areas on dask and the
mini-net potential report per buurt.
"""

from warmtegis.national.areas import (
    AreaInputs,
    area_inputs,
    check_areas,
    grid_areas,
    home_areas,
    split_inputs,
)
from warmtegis.national.batch import BatchResult, run_batch
from warmtegis.national.bundles import AREA_COLUMNS, run_area, run_bundle, totals
from warmtegis.national.potential import BAND, potential_table, write_potential
from warmtegis.national.prepare import NL_BOUNDS, PreparedBuildings, is_prepared, prepare_buildings

__all__ = [
    "AREA_COLUMNS",
    "BAND",
    "NL_BOUNDS",
    "AreaInputs",
    "BatchResult",
    "PreparedBuildings",
    "area_inputs",
    "check_areas",
    "grid_areas",
    "home_areas",
    "is_prepared",
    "potential_table",
    "prepare_buildings",
    "run_area",
    "run_batch",
    "run_bundle",
    "split_inputs",
    "totals",
    "write_potential",
]
