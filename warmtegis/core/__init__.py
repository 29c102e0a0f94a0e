"""Foundations every stage stands on.

Errors, logging, the working CRS, frame checks, plausibility
rules, caches, shared types and the package version. Imports nothing else of warmtegis.
"""

from warmtegis.core.cache import BoundedCache, cache_dir
from warmtegis.core.crs import is_working_crs, to_working_crs
from warmtegis.core.errors import ConfigError, InputError, OutputError, WarmtegisError
from warmtegis.core.log import collect_warnings, get_logger, log
from warmtegis.core.plausible import (
    RANGES,
    Range,
    check_coordinates,
    check_label,
    check_overlap,
    in_range,
    nl_bounds,
    parse_decimal,
    repair_polygons,
    unique_ids,
)
from warmtegis.core.validate import (
    Problems,
    check_columns,
    check_frame,
    check_geometry,
    find_column,
    where,
)

__all__ = [
    "RANGES",
    "BoundedCache",
    "ConfigError",
    "InputError",
    "OutputError",
    "Problems",
    "Range",
    "WarmtegisError",
    "cache_dir",
    "check_columns",
    "check_coordinates",
    "check_frame",
    "check_geometry",
    "check_label",
    "check_overlap",
    "collect_warnings",
    "find_column",
    "get_logger",
    "in_range",
    "is_working_crs",
    "log",
    "nl_bounds",
    "parse_decimal",
    "repair_polygons",
    "to_working_crs",
    "unique_ids",
    "where",
]
