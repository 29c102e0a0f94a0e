"""Run a study through the stages and collect every layer and the summary in one result."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import settings
from ._errors import ConfigError
from ._log import log
from .clusters import MiniNets, mini_net_candidates
from .corridors import CorridorParams, Corridors, analyse_corridors, corridors_layers
from .io import read_buildings, read_layer, read_roads, read_sewers, read_trees, write_geopackage
from .routing import Network, route_network
from .study import Study, read_study

__all__ = ["STAGES", "Inputs", "StudyResult", "load_inputs", "run_study"]


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
    corridors, mini_nets, network
        The stages' own results (:class:`~warmtegis.Corridors`, :class:`~warmtegis.MiniNets`,
        :class:`~warmtegis.Network`).
    summary : pandas.DataFrame
        Columns ``key``, ``value``, ``unit``.
    timings : dict
        Stage name -> seconds it took.
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
    timings: dict[str, float] = field(default_factory=dict)

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


def _load(result: StudyResult) -> None:
    study, inputs = result.study, result.inputs
    _check_source(study, inputs)
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


def _corridors(result: StudyResult) -> None:
    inputs = result.inputs
    result.corridors = analyse_corridors(
        inputs.roads,
        sewers=inputs.sewers,
        trees=inputs.trees,
        params=result.study.parameters.get("corridors", CorridorParams()),
    )
    result.layers.update(corridors_layers(result.corridors))
    result.add_summary(result.corridors.summary())


def _mini_nets(result: StudyResult) -> None:
    p = result.study.parameters
    result.mini_nets = mini_net_candidates(
        result.inputs.buildings,
        params=p.get("mini_nets"),
        demand_params=p.get("demand"),
        borehole_params=p.get("boreholes"),
        cost_params=p.get("costs"),
    )
    result.add_summary(result.mini_nets.summary())


def _routing(result: StudyResult) -> None:
    if result.corridors is None or result.mini_nets is None:
        raise RuntimeError("routing needs the corridor and mini-net stages first")
    result.network = route_network(
        result.corridors.road_segments,
        result.mini_nets.buildings,
        source=result.study.source,
        barriers=result.inputs.barriers,
        params=result.study.parameters.get("routing"),
        cost_params=result.study.parameters.get("costs"),
    )
    buildings = result.mini_nets.buildings.copy()
    connected = result.network.connections.set_index("building_id")["connected"]
    buildings["connected"] = buildings["building_id"].map(connected).fillna(False).astype(bool)
    result.layers["buildings"] = buildings
    result.layers["mini_nets"] = result.mini_nets.mini_nets
    result.layers["pipes"] = result.network.pipes
    result.add_summary(result.network.summary())


#: The stages after reading, in order: name -> function filling the result.
STAGES = {
    "load": _load,
    "corridors": _corridors,
    "mini nets": _mini_nets,
    "routing and costs": _routing,
}


def run_study(study: Study | str | Path) -> StudyResult:
    """Run a study: read and validate the inputs, then every stage in order.

    Stages: load (inputs into layers and summary), free trench corridors, mini-net
    candidates (with borehole sizing and costs), trunk routing with pipe sizing and the
    heat company's business case. A progress bar shows the stages unless
    ``warmtegis.settings.progress`` is False (the CLI's ``--quiet``); each stage logs its
    counts, and the seconds it took land in ``result.timings``.

    Parameters
    ----------
    study
        A :class:`~warmtegis.study.Study` or the path of a ``STUDY.toml``.

    Returns
    -------
    StudyResult
        Layers and summary.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    if not isinstance(study, Study):
        study = read_study(study)
    result = StudyResult(study=study, inputs=load_inputs(study))
    result.timings["read"] = time.perf_counter() - t0
    bar = tqdm(STAGES.items(), desc=study.name, unit="stage", disable=not settings.progress)
    for name, stage in bar:
        bar.set_postfix_str(name)
        t = time.perf_counter()
        stage(result)
        result.timings[name] = time.perf_counter() - t
    log(
        "stages: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        + f"; {len(result.layers)} layers"
    )
    return result
