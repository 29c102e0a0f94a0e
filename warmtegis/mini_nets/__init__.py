"""Mini heat networks.

Grouping dwellings, borehole sizing and its g-function tables, room to
drill (open ground, loop placement, layout g-functions), the collective loop and the design
of every group (one :class:`~warmtegis.mini_nets.group_design.GroupDesign` per group).
"""

from warmtegis.mini_nets.boreholes import (
    HEATING_DEGREE_DAY_SHARE,
    BoreholeSizing,
    ground_loads,
    line_field,
    rebuild_shipped_tables,
    size_borefield,
    size_mini_nets,
    unit_terms,
)
from warmtegis.mini_nets.collective_loop import (
    PE_OUTER_MM,
    TRENCH_PRICE,
    Trench,
    route_trench,
    route_trenches,
    size_pe,
    trench_blocked,
    trench_ground,
)
from warmtegis.mini_nets.design import (
    HEAT_PUMP_SIZES_KW,
    SCENARIOS,
    MiniNetDesign,
    bill_of_quantities,
    design_mini_nets,
    dropouts,
    heat_pump_size_kw,
    insulation_scenarios,
    klic_polygon,
    scenario_demand,
    scenario_summary,
)
from warmtegis.mini_nets.ground import (
    LINE_HALF_WIDTH_M,
    TILE_M,
    cut_tiles,
    exclusion_zones,
    open_ground,
    own_area,
    subtract_zones,
)
from warmtegis.mini_nets.group_design import (
    NEEDS_ROOM_TO_DRILL,
    GroupDesign,
    ScenarioDesign,
    group_designs,
    mini_net_layers,
)
from warmtegis.mini_nets.grouping import (
    MiniNets,
    mini_net_candidates,
    partition_block,
    partition_blocks,
)
from warmtegis.mini_nets.layouts import layout_capacity, layout_gfunction, size_on_positions
from warmtegis.mini_nets.placement import grid_points, place_loops
from warmtegis.mini_nets.room import RoomToDrill, room_to_drill

__all__ = [
    "HEATING_DEGREE_DAY_SHARE",
    "HEAT_PUMP_SIZES_KW",
    "LINE_HALF_WIDTH_M",
    "NEEDS_ROOM_TO_DRILL",
    "PE_OUTER_MM",
    "SCENARIOS",
    "TILE_M",
    "TRENCH_PRICE",
    "BoreholeSizing",
    "GroupDesign",
    "MiniNetDesign",
    "MiniNets",
    "RoomToDrill",
    "ScenarioDesign",
    "Trench",
    "bill_of_quantities",
    "cut_tiles",
    "design_mini_nets",
    "dropouts",
    "exclusion_zones",
    "grid_points",
    "ground_loads",
    "group_designs",
    "heat_pump_size_kw",
    "insulation_scenarios",
    "klic_polygon",
    "layout_capacity",
    "layout_gfunction",
    "line_field",
    "mini_net_candidates",
    "mini_net_layers",
    "open_ground",
    "own_area",
    "partition_block",
    "partition_blocks",
    "place_loops",
    "rebuild_shipped_tables",
    "room_to_drill",
    "route_trench",
    "route_trenches",
    "scenario_demand",
    "scenario_summary",
    "size_borefield",
    "size_mini_nets",
    "size_on_positions",
    "size_pe",
    "subtract_zones",
    "trench_blocked",
    "trench_ground",
    "unit_terms",
]
