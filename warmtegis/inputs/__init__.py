"""Inputs: the readers of Dutch base-registry layers, the study file, and their checks.

Every reader returns a **new** GeoDataFrame in ``settings.crs`` (EPSG:28992) that keeps all
original attributes and adds a normalised schema (below). Any other CRS is reprojected and
logged; a layer without CRS, with the wrong geometry type, without features or without a
required column raises one :class:`~warmtegis.InputError` that lists every problem and names
the file, layer and column. Null and empty geometries are dropped with a count in the log.
One module per kind of input: ``_common`` (choosing, reading and checking a layer), ``bag``
(panden, verblijfsobjecten, LVBAG deliveries), ``osm`` (OpenStreetMap XML and PBF),
``roads``, ``sewers`` (incl. SUFRIB ``.RIB``), ``trees``, ``terrain`` and ``study`` (the
study file). The plausibility rules they apply live in :mod:`warmtegis.core.plausible`.
Normalised columns
------------------
buildings (:func:`read_buildings`)
    ``building_id`` (str; BAG ids as 16 digits), ``year_built`` (Int64), ``status`` (str),
    ``use`` (str, BAG ``gebruiksdoel``), ``n_units`` (Int64, BAG ``aantal_verblijfsobjecten``),
    ``floor_area_min_m2``/``floor_area_max_m2`` (float), ``footprint_m2`` (float),
    ``source`` (``"bag"``, ``"lvbag"``, ``"bgt"``, ``"osm"`` or ``"polygons"``).
roads (:func:`read_roads`)
    ``segment_id`` (str), ``street_name`` (str), ``road_type`` (NWB ``wegbehsrt``, BGT
    ``function`` or OSM ``highway``), ``width_m`` (float, NaN when unknown), ``node_from``,
    ``node_to`` (str junction ids; NWB ``jte_id_beg/end``, OSM node ids; missing for surfaces),
    ``source``. ``gdf.attrs["road_kind"]`` is ``"centrelines"`` or ``"surfaces"``.
sewers (:func:`read_sewers`)
    ``sewer_id`` (str), ``diameter_m`` (float, NaN when unknown).
trees (:func:`read_trees`)
    ``tree_id`` (str), ``height_class`` (str as given), ``height_min_m``, ``height_max_m``,
    ``height_m`` (float; middle of the class, or the measured height), ``crown_diameter_m``,
    ``stem_diameter_m`` (float, NaN when unknown).
"""

from warmtegis.core.types import PathLike
from warmtegis.inputs._common import list_layers, read_layer, rename_columns
from warmtegis.inputs.bag import (
    BAG_DROP_STATUS,
    PDOK_SHORT_NAMES,
    attach_verblijfsobjecten,
    read_addresses,
    read_buildings,
    read_verblijfsobjecten,
)
from warmtegis.inputs.osm import read_osm_roads
from warmtegis.inputs.roads import read_roads
from warmtegis.inputs.sewers import read_sewers, read_sufrib
from warmtegis.inputs.trees import parse_height_class, read_trees

__all__ = [
    "BAG_DROP_STATUS",
    "PDOK_SHORT_NAMES",
    "PathLike",
    "attach_verblijfsobjecten",
    "list_layers",
    "parse_height_class",
    "read_addresses",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_roads",
    "read_sewers",
    "read_sufrib",
    "read_trees",
    "read_verblijfsobjecten",
    "rename_columns",
]
