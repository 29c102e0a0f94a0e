"""Writing files safely.

All-or-nothing output sets, GeoPackages with fixed geometry types, their
attribute tables (summary, parameters, warnings, cash flows) and QGIS styles.
"""

from warmtegis.storage.atomic import (
    OutputSet,
    atomic_dir,
    atomic_path,
    describe_os_error,
    remove_stale,
)
from warmtegis.storage.geopackage import LAYER_GEOMETRY_TYPES, flatten_lists, write_geopackage
from warmtegis.storage.styles import LAYER_STYLES, layer_styles, qml
from warmtegis.storage.tables import business_tables, geopackage_tables

__all__ = [
    "LAYER_GEOMETRY_TYPES",
    "LAYER_STYLES",
    "OutputSet",
    "atomic_dir",
    "atomic_path",
    "business_tables",
    "describe_os_error",
    "flatten_lists",
    "geopackage_tables",
    "layer_styles",
    "qml",
    "remove_stale",
    "write_geopackage",
]
