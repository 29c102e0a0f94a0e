"""warmtegis: plan heat networks and mini heat networks for Dutch neighbourhoods.

Public API (re-exported here): the readers (:mod:`warmtegis.inputs`), the study file reader,
the stages (buildings, corridors, network, mini nets, economics), the pipeline, the outputs
and the error types. How the subpackages fit together: docs/architecture.md.
"""

from warmtegis import datasets, settings, units
from warmtegis import outputs as export
from warmtegis.buildings.classify import (
    BuildingStock,
    classify_buildings,
    enrich_buildings,
    shared_walls,
)
from warmtegis.buildings.demand import heat_demand
from warmtegis.core.errors import ConfigError, InputError, WarmtegisError
from warmtegis.core.version import __version__
from warmtegis.corridors.analysis import Corridors, analyse_corridors
from warmtegis.corridors.obstacles import crown_diameter_from_height, obstacle_zones
from warmtegis.corridors.surface import derive_centrelines, road_surface
from warmtegis.economics import business
from warmtegis.economics.business import BusinessCase, business_case
from warmtegis.economics.charts import tornado_plot, waterfall
from warmtegis.economics.pricing import mini_net_capex, network_capex, price_mini_nets, price_pipes
from warmtegis.inputs._common import list_layers, read_layer
from warmtegis.inputs.bag import read_buildings
from warmtegis.inputs.osm import read_osm_roads
from warmtegis.inputs.roads import read_roads
from warmtegis.inputs.sewers import read_sewers
from warmtegis.inputs.study import Study, read_study
from warmtegis.inputs.trees import parse_height_class, read_trees
from warmtegis.mini_nets.boreholes import size_borefield, size_mini_nets
from warmtegis.mini_nets.grouping import MiniNets, mini_net_candidates
from warmtegis.national.areas import grid_areas
from warmtegis.national.batch import run_batch
from warmtegis.network.graph import street_graph
from warmtegis.network.hydraulics import pipe_dn, simultaneity, size_pipes
from warmtegis.network.routing import Network, connect_buildings, route_network
from warmtegis.network.steiner import SteinerResult, steiner_milp, steiner_tree
from warmtegis.outputs.design_package import write_design_packages
from warmtegis.outputs.map import to_folium, write_map
from warmtegis.outputs.raster import heat_density, write_heat_density
from warmtegis.outputs.residents import write_residents_site
from warmtegis.outputs.summary import write_summary
from warmtegis.params.costs import CostParams, load_cost_params
from warmtegis.params.dwellings import BoreholeParams, DemandParams, MiniNetParams
from warmtegis.params.parameters import Parameters, parameter_table, read_parameters
from warmtegis.params.street import CorridorParams, RoutingParams
from warmtegis.pipeline import Inputs, StageResults, StudyResult, load_inputs, run_stages, run_study
from warmtegis.storage.geopackage import write_geopackage

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
    "grid_areas",
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
    "run_batch",
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
    "write_design_packages",
    "write_geopackage",
    "write_heat_density",
    "write_map",
    "write_residents_site",
    "write_summary",
]
