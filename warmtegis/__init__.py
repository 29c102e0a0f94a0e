"""warmtegis: plan heat networks and mini heat networks for Dutch neighbourhoods.

Public API (re-exported here): the readers of :mod:`warmtegis.io`, the study file reader,
the stages (corridors, routing, mini nets, costs), the pipeline and the error types.
"""

from . import datasets, export, settings
from ._errors import ConfigError, InputError, WarmtegisError
from .boreholes import BoreholeParams, size_borefield, size_mini_nets
from .clusters import MiniNetParams, MiniNets, classify_buildings, mini_net_candidates, shared_walls
from .corridors import (
    CorridorParams,
    Corridors,
    analyse_corridors,
    crown_diameter_from_height,
    derive_centrelines,
    obstacle_zones,
    road_surface,
)
from .costs import (
    BusinessCase,
    CostParams,
    business_case,
    load_cost_params,
    mini_net_capex,
    network_capex,
    price_mini_nets,
    price_pipes,
)
from .demand import DemandParams, heat_demand
from .export import heat_density, to_folium, write_heat_density, write_map, write_summary
from .io import (
    list_layers,
    parse_height_class,
    read_buildings,
    read_layer,
    read_osm_roads,
    read_roads,
    read_sewers,
    read_trees,
    write_geopackage,
)
from .pipeline import Inputs, StudyResult, load_inputs, run_study
from .routing import (
    Network,
    RoutingParams,
    connect_buildings,
    pipe_dn,
    route_network,
    simultaneity,
    size_pipes,
    street_graph,
)
from .steiner import SteinerResult, steiner_milp, steiner_tree
from .study import Study, read_study

__all__ = [
    "BoreholeParams",
    "BusinessCase",
    "ConfigError",
    "CorridorParams",
    "Corridors",
    "CostParams",
    "DemandParams",
    "InputError",
    "Inputs",
    "MiniNetParams",
    "MiniNets",
    "Network",
    "RoutingParams",
    "SteinerResult",
    "Study",
    "StudyResult",
    "WarmtegisError",
    "analyse_corridors",
    "business_case",
    "classify_buildings",
    "connect_buildings",
    "crown_diameter_from_height",
    "datasets",
    "derive_centrelines",
    "export",
    "heat_demand",
    "heat_density",
    "list_layers",
    "load_cost_params",
    "load_inputs",
    "mini_net_candidates",
    "mini_net_capex",
    "network_capex",
    "obstacle_zones",
    "parse_height_class",
    "pipe_dn",
    "price_mini_nets",
    "price_pipes",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_roads",
    "read_sewers",
    "read_study",
    "read_trees",
    "road_surface",
    "route_network",
    "run_study",
    "settings",
    "shared_walls",
    "simultaneity",
    "size_borefield",
    "size_mini_nets",
    "size_pipes",
    "steiner_milp",
    "steiner_tree",
    "street_graph",
    "to_folium",
    "write_geopackage",
    "write_heat_density",
    "write_map",
    "write_summary",
]

__version__ = "0.1.0"
