"""Run a study through the stages and collect every layer and the summary in one result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import ConfigError
from ._log import log
from .clusters import MiniNets, mini_net_candidates
from .corridors import CorridorParams, Corridors, analyse_corridors, corridors_layers
from .io import read_buildings, read_layer, read_roads, read_sewers, read_trees, write_geopackage
from .routing import Network, route_network
from .study import Study, read_study

__all__ = ["Inputs", "StudyResult", "load_inputs", "run_study"]


@dataclass
class Inputs:
    """The loaded, validated input layers of a study (EPSG:28992)."""

    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    sewers: gpd.GeoDataFrame | None = None
    trees: gpd.GeoDataFrame | None = None
    barriers: gpd.GeoDataFrame | None = None


@dataclass
class StudyResult:
    """Everything one study run produced.

    Attributes
    ----------
    study : Study
        The study that was run.
    inputs : Inputs
        The loaded inputs.
    layers : dict
        Output layer name -> GeoDataFrame, in the order they are written.
    summary : pandas.DataFrame
        Columns ``key``, ``value``, ``unit``.
    """

    study: Study
    inputs: Inputs
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    corridors: Corridors | None = None
    mini_nets: MiniNets | None = None
    network: Network | None = None
    summary: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["key", "value", "unit"])
    )

    def add_summary(self, rows: list[tuple[str, float, str]]) -> None:
        """Append ``(key, value, unit)`` rows to the summary."""
        new = pd.DataFrame(rows, columns=["key", "value", "unit"])
        new["value"] = new["value"].astype(float)
        self.summary = (
            new if self.summary.empty else pd.concat([self.summary, new], ignore_index=True)
        )

    def to_geopackage(self, path: str | Path) -> Path:
        """Write every layer and the ``summary`` table to `path` atomically."""
        return write_geopackage({**self.layers, "summary": self.summary}, path)


def load_inputs(study: Study) -> Inputs:
    """Read the study's inputs with the matching readers and their options."""
    spec = study.inputs

    def opts(name: str) -> dict:
        return {"layer": spec[name].layer, **spec[name].options}

    buildings = read_buildings(spec["buildings"].path, **opts("buildings"))
    roads = read_roads(spec["roads"].path, **opts("roads"))
    sewers = read_sewers(spec["sewers"].path, **opts("sewers")) if "sewers" in spec else None
    trees = read_trees(spec["trees"].path, **opts("trees")) if "trees" in spec else None
    barriers = None
    if "barriers" in spec:
        barriers = read_layer(
            spec["barriers"].path,
            spec["barriers"].layer,
            geometry_types=("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
            what="barriers (water, railways)",
        )
    return Inputs(buildings=buildings, roads=roads, sewers=sewers, trees=trees, barriers=barriers)


def _check_source(study: Study, inputs: Inputs) -> None:
    if study.source is None:
        return
    xmin, ymin, xmax, ymax = inputs.roads.total_bounds
    x, y = study.source
    if not (xmin <= x <= xmax and ymin <= y <= ymax):
        raise ConfigError(
            f"{study.path} [source]: the heat source ({x:.1f}, {y:.1f}) lies outside the "
            f"roads of the study area (x {xmin:.0f}-{xmax:.0f}, y {ymin:.0f}-{ymax:.0f}, "
            "EPSG:28992)"
        )


def run_study(study: Study | str | Path) -> StudyResult:
    """Run a study: load and validate the inputs, then every stage that exists.

    Parameters
    ----------
    study
        A :class:`~warmtegis.study.Study` or the path of a ``STUDY.toml``.

    Returns
    -------
    StudyResult
        Layers and summary.
    """
    if not isinstance(study, Study):
        study = read_study(study)
    inputs = load_inputs(study)
    _check_source(study, inputs)
    result = StudyResult(study=study, inputs=inputs)
    result.layers["input_buildings"] = inputs.buildings
    result.layers["input_roads"] = inputs.roads
    rows: list[tuple[str, float, str]] = [("buildings", len(inputs.buildings), "count")]
    if inputs.roads.attrs.get("road_kind") == "surfaces":
        rows.append(("road_surface_area", inputs.roads.area.sum() / 1e4, "ha"))
    else:
        rows.append(("road_centreline_length", inputs.roads.length.sum() / 1000, "km"))
    if inputs.sewers is not None:
        result.layers["input_sewers"] = inputs.sewers
        rows.append(("sewer_length", inputs.sewers.length.sum() / 1000, "km"))
    if inputs.trees is not None:
        result.layers["input_trees"] = inputs.trees
        rows.append(("trees", len(inputs.trees), "count"))
    result.add_summary(rows)
    log(f"study {study.name!r}: loaded {len(result.layers)} input layers")

    params = study.parameters.get("corridors", CorridorParams())
    result.corridors = analyse_corridors(
        inputs.roads, sewers=inputs.sewers, trees=inputs.trees, params=params
    )
    result.layers.update(corridors_layers(result.corridors))
    result.add_summary(result.corridors.summary())

    result.mini_nets = mini_net_candidates(
        inputs.buildings,
        params=study.parameters.get("mini_nets"),
        demand_params=study.parameters.get("demand"),
        borehole_params=study.parameters.get("boreholes"),
        cost_params=study.parameters.get("costs"),
    )
    result.add_summary(result.mini_nets.summary())

    result.network = route_network(
        result.corridors.road_segments,
        result.mini_nets.buildings,
        source=study.source,
        barriers=inputs.barriers,
        params=study.parameters.get("routing"),
        cost_params=study.parameters.get("costs"),
    )
    buildings = result.mini_nets.buildings.copy()
    connected = result.network.connections.set_index("building_id")["connected"]
    buildings["connected"] = buildings["building_id"].map(connected).fillna(False).astype(bool)
    result.layers["buildings"] = buildings
    result.layers["mini_nets"] = result.mini_nets.mini_nets
    result.layers["pipes"] = result.network.pipes
    result.add_summary(result.network.summary())
    return result
