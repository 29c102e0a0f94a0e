"""The collective heat network.

Street graph, Steiner trees, trunk routing and pipe hydraulics.
"""

from warmtegis.network.graph import barrier_geoms, street_graph
from warmtegis.network.hydraulics import (
    DN_INNER_DIAMETER_MM,
    darcy_weisbach,
    pipe_dn,
    pressure_drop,
    simultaneity,
    size_pipes,
)
from warmtegis.network.routing import Network, connect_buildings, network_layers, route_network
from warmtegis.network.steiner import METHODS, SteinerResult, steiner_milp, steiner_tree
from warmtegis.network.steiner_graph import (
    ArrayGraph,
    mst_prune,
    prune_leaves,
    shortest_path_tree,
    sph_edges,
)

__all__ = [
    "DN_INNER_DIAMETER_MM",
    "METHODS",
    "ArrayGraph",
    "Network",
    "SteinerResult",
    "barrier_geoms",
    "connect_buildings",
    "darcy_weisbach",
    "mst_prune",
    "network_layers",
    "pipe_dn",
    "pressure_drop",
    "prune_leaves",
    "route_network",
    "shortest_path_tree",
    "simultaneity",
    "size_pipes",
    "sph_edges",
    "steiner_milp",
    "steiner_tree",
    "street_graph",
]
