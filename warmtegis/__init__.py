"""warmtegis: plan heat networks and mini heat networks for Dutch neighbourhoods.

Public API (re-exported here): the readers of :mod:`warmtegis.io`, the study file reader,
the stages (corridors, routing, mini nets, costs), the pipeline and the error types.
"""

from importlib.metadata import PackageNotFoundError, version

from . import business, datasets, export, settings, units
from ._errors import ConfigError, InputError, WarmtegisError
from .boreholes import size_borefield, size_mini_nets
from .buildings import BuildingStock, classify_buildings, enrich_buildings, shared_walls
from .business import BusinessCase, business_case, tornado_plot, waterfall
from .corridors import (
    Corridors,
    analyse_corridors,
    crown_diameter_from_height,
    derive_centrelines,
    obstacle_zones,
    road_surface,
)
from .costs import (
    CostParams,
    load_cost_params,
    mini_net_capex,
    network_capex,
    price_mini_nets,
    price_pipes,
)
from .demand import heat_demand
from .export import heat_density, to_folium, write_heat_density, write_map, write_summary
from .graph import street_graph
from .hydraulics import pipe_dn, simultaneity, size_pipes
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
from .mini_nets import MiniNets, mini_net_candidates
from .params import (
    BoreholeParams,
    CorridorParams,
    DemandParams,
    MiniNetParams,
    Parameters,
    RoutingParams,
    parameter_table,
    read_parameters,
)
from .pipeline import Inputs, StageResults, StudyResult, load_inputs, run_stages, run_study
from .routing import Network, connect_buildings, route_network
from .steiner import SteinerResult, steiner_milp, steiner_tree
from .study import Study, read_study

try:
    __version__ = version("warmtegis")
except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
    __version__ = "0+unknown"

__all__ = [
    "BoreholeParams",
    "BuildingStock",
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
    "Parameters",
    "RoutingParams",
    "StageResults",
    "SteinerResult",
    "Study",
    "StudyResult",
    "WarmtegisError",
    "__version__",
    "analyse_corridors",
    "business",
    "business_case",
    "classify_buildings",
    "connect_buildings",
    "crown_diameter_from_height",
    "datasets",
    "derive_centrelines",
    "enrich_buildings",
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
    "parameter_table",
    "parse_height_class",
    "pipe_dn",
    "price_mini_nets",
    "price_pipes",
    "read_buildings",
    "read_layer",
    "read_osm_roads",
    "read_parameters",
    "read_roads",
    "read_sewers",
    "read_study",
    "read_trees",
    "road_surface",
    "route_network",
    "run_stages",
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
    "tornado_plot",
    "units",
    "waterfall",
    "write_geopackage",
    "write_heat_density",
    "write_map",
    "write_summary",
]
