"""The buildings stage.

What each building is, its dwellings, dwelling type, heat demand and peak.
"""

from warmtegis.buildings.classify import (
    CATEGORIES,
    BuildingStock,
    classify_buildings,
    dwelling_types,
    enrich_buildings,
    peak_load,
    shared_walls,
)
from warmtegis.buildings.demand import heat_demand

__all__ = [
    "CATEGORIES",
    "BuildingStock",
    "classify_buildings",
    "dwelling_types",
    "enrich_buildings",
    "heat_demand",
    "peak_load",
    "shared_walls",
]
