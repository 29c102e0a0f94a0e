"""Outputs for people: map, raster, summary, design package and the residents' site.

``map`` (the folium map), ``raster`` (the heat-density GeoTIFF), ``summary`` (CSV and
Markdown), ``design_package`` with ``design_sheet`` (per mini net: ``design.gpkg``,
``design.html``, ``offerte-uitvraag.md``) and ``residents`` with ``residents_page`` (the
residents' static site). They present results; they never price or size anything
themselves: every figure comes from the stages' results (for the mini nets from
:class:`~warmtegis.mini_nets.group_design.GroupDesign`). Also reachable as
``warmtegis.export`` (its name before the package was laid out by stage).
"""

from warmtegis.outputs.design_package import write_design_packages
from warmtegis.outputs.map import PIPE_COLOURS, to_folium, write_map
from warmtegis.outputs.raster import heat_density, write_heat_density
from warmtegis.outputs.residents import dwelling_check, resident_records, write_residents_site
from warmtegis.outputs.summary import summary_markdown, write_summary

__all__ = [
    "PIPE_COLOURS",
    "dwelling_check",
    "heat_density",
    "resident_records",
    "summary_markdown",
    "to_folium",
    "write_design_packages",
    "write_heat_density",
    "write_map",
    "write_residents_site",
    "write_summary",
]
