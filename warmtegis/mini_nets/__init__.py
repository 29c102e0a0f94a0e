"""Mini heat networks.

Grouping dwellings, borehole sizing and its g-function tables, room to
drill (open ground, loop placement, layout g-functions), the collective loop and the design
of every group (one :class:`~warmtegis.mini_nets.group_design.GroupDesign` per group).
"""
