"""Free trench corridors.

Obstacle zones, the road surface and its centrelines, cross-sections
(transects) and the corridor analysis with its bottlenecks.
"""

from warmtegis.corridors.analysis import Corridors, analyse_corridors, corridors_layers
from warmtegis.corridors.obstacles import (
    CROWN_DIAMETER_BY_HEIGHT,
    buffer_obstacles,
    corridor_obstacles,
    crown_diameter_from_height,
    empty_layer,
    obstacle_zones,
)
from warmtegis.corridors.surface import derive_centrelines, is_surface, road_surface
from warmtegis.corridors.transects import (
    Edges,
    Intervals,
    Transects,
    difference,
    inside,
    merge,
    near,
)

__all__ = [
    "CROWN_DIAMETER_BY_HEIGHT",
    "Corridors",
    "Edges",
    "Intervals",
    "Transects",
    "analyse_corridors",
    "buffer_obstacles",
    "corridor_obstacles",
    "corridors_layers",
    "crown_diameter_from_height",
    "derive_centrelines",
    "difference",
    "empty_layer",
    "inside",
    "is_surface",
    "merge",
    "near",
    "obstacle_zones",
    "road_surface",
]
