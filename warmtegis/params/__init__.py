"""Model parameters: one validated, frozen :class:`Parameters` object with a section per stage.

``base`` (the :class:`Section` every section builds on, the network choice), ``street``
(corridors, routing), ``dwellings`` (mini nets, demand, boreholes, drilling, insulation,
collective loop), ``costs`` (every price with its unit and source) and ``parameters`` (the
whole :class:`Parameters`, its reader and its table).
"""

from warmtegis.params.base import NETWORK_DEFAULTS, Network, Section
from warmtegis.params.costs import CostParams, cost_parameter_table, cost_variants, load_cost_params
from warmtegis.params.dwellings import (
    BoreholeParams,
    CollectiveLoopParams,
    DemandParams,
    DrillingParams,
    InsulationParams,
    MiniNetParams,
    period_bounds,
)
from warmtegis.params.parameters import SECTIONS, Parameters, parameter_table, read_parameters
from warmtegis.params.street import CorridorParams, RoutingParams

__all__ = [
    "NETWORK_DEFAULTS",
    "SECTIONS",
    "BoreholeParams",
    "CollectiveLoopParams",
    "CorridorParams",
    "CostParams",
    "DemandParams",
    "DrillingParams",
    "InsulationParams",
    "MiniNetParams",
    "Network",
    "Parameters",
    "RoutingParams",
    "Section",
    "cost_parameter_table",
    "cost_variants",
    "load_cost_params",
    "parameter_table",
    "period_bounds",
    "read_parameters",
]
