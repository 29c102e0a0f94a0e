"""The one stage runner: buildings, corridors, mini nets, routing and costs, in that order.

:func:`run_stages` holds the stage sequence and is used by both entry points:
:func:`run_study` is *read the study file + load its inputs + run_stages*, and a batch area
(:mod:`warmtegis.national.batch`) is *split the inputs + run_stages + clip + concatenate*. Every
stage returns a typed result (:class:`~warmtegis.BuildingStock`, :class:`~warmtegis.Corridors`,
:class:`~warmtegis.MiniNets`, :class:`~warmtegis.Network`) and later stages and callers read
those, never the summary's text keys.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from warmtegis import settings
from warmtegis.buildings.classify import BuildingStock, enrich_buildings
from warmtegis.core.errors import InputError
from warmtegis.core.log import collect_warnings, log
from warmtegis.core.plausible import check_overlap
from warmtegis.corridors.analysis import Corridors, analyse_corridors, corridors_layers
from warmtegis.inputs._common import read_layer
from warmtegis.inputs.bag import read_addresses, read_buildings, read_verblijfsobjecten
from warmtegis.inputs.roads import read_roads
from warmtegis.inputs.sewers import read_sewers
from warmtegis.inputs.study import Study, read_study
from warmtegis.inputs.terrain import read_terrain
from warmtegis.inputs.trees import read_trees
from warmtegis.mini_nets.design import MiniNetDesign, design_mini_nets
from warmtegis.mini_nets.ground import exclusion_zones, open_ground
from warmtegis.mini_nets.group_design import (
    NEEDS_ROOM_TO_DRILL,
    GroupDesign,
    group_designs,
    mini_net_layers,
)
from warmtegis.mini_nets.grouping import MiniNets, mini_net_candidates
from warmtegis.mini_nets.room import RoomToDrill, placement_layers, room_to_drill
from warmtegis.network.routing import Network, network_layers, route_network
from warmtegis.params.parameters import Parameters
from warmtegis.storage.geopackage import write_geopackage
from warmtegis.storage.tables import geopackage_tables

__all__ = [
    "STAGES",
    "Inputs",
    "StageResults",
    "StudyResult",
    "load_inputs",
    "run_stages",
    "run_study",
]

#: The stages in the order :func:`run_stages` runs them.
STAGES = (
    "load", "buildings", "corridors", "mini nets", "room to drill", "mini-net design",
    "routing and costs",
)  # fmt: skip

T = TypeVar("T")


@dataclass
class Inputs:
    """The loaded, validated input layers of a study (EPSG:28992).

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> inputs = demo_result().inputs
    >>> inputs.buildings.crs.to_epsg(), inputs.roads.attrs["road_kind"]
    (28992, 'surfaces')
    """

    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None = None
    sewers: gpd.GeoDataFrame | None = None
    trees: gpd.GeoDataFrame | None = None
    barriers: gpd.GeoDataFrame | None = None
    terrain: gpd.GeoDataFrame | None = None
    parcels: gpd.GeoDataFrame | None = None
    verblijfsobjecten: gpd.GeoDataFrame | None = None
    addresses: pd.DataFrame | None = None
    buurten: gpd.GeoDataFrame | None = None


@dataclass
class StageResults:
    """Everything :func:`run_stages` produced.

    Attributes
    ----------
    inputs : Inputs
        The inputs the stages ran on.
    parameters : Parameters
        The effective parameters.
    buildings, corridors, mini_nets, drilling, design, network
        The stages' typed results (None for a stage that did not run); ``drilling`` is the
        room-to-drill stage (:class:`~warmtegis.mini_nets.room.RoomToDrill`), ``design`` the
        mini-net design (:class:`~warmtegis.mini_nets.design.MiniNetDesign`: insulation scenarios,
        drop-outs and, with the loops placed, the collective trenches).
    layers : dict
        Output layer name -> GeoDataFrame, in the order they are written.
    summary : pandas.DataFrame
        Columns ``key``, ``value``, ``unit``: the inputs' counts and every stage's figures,
        derived from the typed results when asked for (batch areas never build it).
    timings : dict
        Stage name -> seconds it took.
    notes : list of str
        Why a stage did not run (only when run with ``tolerate=True``).
    warnings : list of str
        Every warning logged while the inputs were read and the stages ran (values set to
        unknown, repaired geometries, guessed columns, a long source link, ...); counted in
        the summary and listed in the GeoPackage's ``warnings`` table.
    skipped : list of str
        Stages that did not run for want of an input (``corridors`` and ``routing and costs``
        without roads; ``room to drill`` without roads, terrain or parcels), each a
        ``skipped_<stage>`` row of the summary.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> r = demo_result()
    >>> summary = r.summary.set_index("key")["value"]
    >>> int(r.network.connections["connected"].sum()) == int(summary["connections"])
    True
    >>> list(r.layers)[:4]
    ['input_buildings', 'input_roads', 'input_sewers', 'input_trees']
    """

    inputs: Inputs
    parameters: Parameters = field(default_factory=Parameters)
    buildings: BuildingStock | None = None
    corridors: Corridors | None = None
    mini_nets: MiniNets | None = None
    drilling: RoomToDrill | None = None
    design: MiniNetDesign | None = None
    network: Network | None = None
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _designs: dict[tuple[str, ...] | None, dict[str, GroupDesign]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def group_designs(self, groups: list[str] | None = None) -> dict[str, GroupDesign]:
        """Return each group's design in every insulation scenario, computed once per run.

        Without `groups`: every group with room to drill. With `groups`: those groups; when
        they are all among the groups with room and those were designed already, their
        designs are reused, so the design package, the residents' page and the web
        application show one and the same design (and cost) for a group. See
        :func:`~warmtegis.mini_nets.group_design.group_designs`.

        Raises
        ------
        InputError
            When the run has no room-to-drill stage or trenches, or a group is unknown.

        Examples
        --------
        >>> from warmtegis.datasets import demo_result
        >>> r = demo_result()
        >>> designs = r.group_designs()
        >>> r.group_designs() is designs  # computed once
        True
        >>> len(designs) == int(r.drilling.groups["has_room"].sum())
        True
        """
        if self.drilling is None or self.design is None or self.mini_nets is None:
            raise InputError(NEEDS_ROOM_TO_DRILL)
        every = self._designs.get(None)
        if groups and every is not None and set(groups) <= set(every):
            return {gid: every[gid] for gid in dict.fromkeys(groups)}
        key = tuple(dict.fromkeys(groups)) if groups else None
        if key not in self._designs:
            self._designs[key] = group_designs(
                self.mini_nets,
                self.drilling,
                self.design,
                self.parameters,
                roads=self.inputs.roads,
                groups=list(key) if key else None,
            )
        return self._designs[key]

    @property
    def summary(self) -> pd.DataFrame:
        """The summary table: inputs, corridors, buildings and mini nets, routing and costs."""
        rows = _input_rows(self.inputs)
        if self.corridors is not None:
            rows += self.corridors.summary()
        if self.mini_nets is not None:
            rows += self.mini_nets.summary()  # with the buildings stage's counts
        elif self.buildings is not None:
            rows += self.buildings.summary()
        if self.drilling is not None and self.mini_nets is not None:
            sizes = self.mini_nets.mini_nets.set_index("mini_net_id")["n_dwellings"]
            rows += self.drilling.summary(sizes)
        if self.design is not None:
            rows += self.design.summary()
        if self.network is not None:
            rows += self.network.summary()
        rows += [(f"skipped_{k.replace(' ', '_')}", 1.0, "stage not run") for k in self.skipped]
        rows.append(("warnings", len(self.warnings), "count"))
        frame = pd.DataFrame(rows, columns=["key", "value", "unit"])
        frame["value"] = frame["value"].astype(float)
        return frame

    def to_geopackage(self, path: str | Path) -> Path:
        """Write every layer, the summary and the effective parameters to `path` atomically.

        Besides the layers the GeoPackage holds ``summary``, ``parameters`` (section, key,
        value, unit, source of every effective parameter, and the warmtegis version),
        ``layer_styles`` (a QGIS style per layer) and, when routing ran, the business case's
        ``cash_flows`` and ``cash_flow_lines``.
        """
        return write_geopackage(
            {
                **self.layers,
                **geopackage_tables(
                    self.summary,
                    self.parameters,
                    self.layers,
                    self.warnings,
                    business=self.network.business_case if self.network is not None else None,
                ),
                **(
                    {"mini_net_scenarios": self.design.scenarios} if self.design is not None else {}
                ),
            },
            path,
        )


@dataclass
class StudyResult(StageResults):
    """Everything one study run produced: :class:`StageResults` and the study it ran.

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> r = demo_result()
    >>> r.study.name, type(r).__name__
    ('otterlo', 'StudyResult')
    """

    study: Study | None = None


def load_inputs(study: Study) -> Inputs:
    """Read the study's inputs with the matching readers and their options.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> from warmtegis.inputs.study import read_study
    >>> inputs = load_inputs(read_study(get_path("otterlo/study.toml")))
    >>> len(inputs.trees), inputs.addresses is None
    (2088, True)
    """
    spec = study.inputs

    def opts(name: str) -> dict[str, Any]:
        return {"layer": spec[name].layer, **spec[name].options}

    vbo = (
        read_verblijfsobjecten(spec["verblijfsobjecten"].path, **opts("verblijfsobjecten"))
        if "verblijfsobjecten" in spec
        else None
    )
    buildings = read_buildings(spec["buildings"].path, **opts("buildings"), verblijfsobjecten=vbo)
    roads = None
    if "roads" in spec:
        roads = read_roads(spec["roads"].path, **opts("roads"))
    sewers = read_sewers(spec["sewers"].path, **opts("sewers")) if "sewers" in spec else None
    trees = read_trees(spec["trees"].path, **opts("trees")) if "trees" in spec else None

    def layer(name: str, geometry_types: tuple[str, ...], what: str) -> gpd.GeoDataFrame | None:
        """Read the optional plain layer `name` of the study, or None when it has none."""
        if name not in spec:
            return None
        return read_layer(
            spec[name].path, spec[name].layer, geometry_types=geometry_types, what=what,
            **spec[name].options,
        )  # fmt: skip

    polygons = ("Polygon", "MultiPolygon")
    barriers = layer(
        "barriers", ("LineString", "MultiLineString", *polygons), "barriers (water, railways)"
    )
    terrain = None
    if "terrain" in spec:
        terrain = read_terrain(spec["terrain"].path, **opts("terrain"))
    parcels = layer("parcels", polygons, "cadastral parcels (BRK perceel)")
    addresses = None
    if "addresses" in spec:
        addresses = read_addresses(spec["addresses"].path, **opts("addresses"))
    buurten = layer("buurten", polygons, "buurten (CBS wijk- en buurtkaart)")
    return Inputs(
        buildings=buildings,
        roads=roads,
        sewers=sewers,
        trees=trees,
        barriers=barriers,
        terrain=terrain,
        parcels=parcels,
        verblijfsobjecten=vbo,
        addresses=addresses,
        buurten=buurten,
    )


def _empty(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is None or len(gdf) == 0


def _input_rows(inputs: Inputs) -> list[tuple[str, float, str]]:
    """Return the summary rows of the inputs: counts, lengths and areas."""
    rows: list[tuple[str, float, str]] = [("buildings", len(inputs.buildings), "count")]
    if inputs.roads is not None:
        if inputs.roads.attrs.get("road_kind") == "surfaces":
            rows.append(("road_surface_area", inputs.roads.area.sum() / 1e4, "ha"))
        else:
            rows.append(("road_centreline_length", inputs.roads.length.sum() / 1000, "km"))
    if inputs.sewers is not None:
        rows.append(("sewer_length", inputs.sewers.length.sum() / 1000, "km"))
    if inputs.trees is not None:
        rows.append(("trees", len(inputs.trees), "count"))
    return rows


def _load_layers(out: StageResults) -> None:
    inputs = out.inputs
    for name in ("buildings", "roads", "sewers", "trees"):
        frame = getattr(inputs, name)
        if frame is not None:
            out.layers[f"input_{name}"] = frame


def run_stages(
    inputs: Inputs,
    parameters: Parameters | None = None,
    source: tuple[float, float] | None = None,
    *,
    route: bool = True,
    drill: bool = True,
    tolerate: bool = False,
    name: str = "study",
    layers: bool = True,
) -> StageResults:
    """Run every stage on loaded inputs: buildings, corridors, mini nets, routing and costs.

    Parameters
    ----------
    inputs
        The input layers (buildings required; roads for corridors and routing).
    parameters
        The effective parameters; the documented defaults when None.
    source
        Heat source (x, y) in EPSG:28992 for routing; the default source when None.
    route
        Route the collective network (needs roads).
    drill
        Run the room-to-drill stage for the mini nets (:mod:`warmtegis.mini_nets.room`).
    tolerate
        Turn a stage's :class:`~warmtegis.InputError` into a note in ``notes`` and skip the
        stages that need it, instead of raising (batch mode: one bad area does not stop the
        others).
    name
        For the progress bar and the log.
    layers
        Assemble the output layers (``result.layers``); False leaves only the typed
        results (batch areas read what they need from those).

    Returns
    -------
    StageResults

    Raises
    ------
    InputError
        When a layer's extent does not overlap the buildings' (not with ``tolerate``: batch
        areas are cut from layers checked as a whole), and from the stages.

    Examples
    --------
    The demo's inputs again, as a ZLT network without the room-to-drill stage:

    >>> from warmtegis.datasets import demo_result
    >>> from warmtegis.params import Parameters
    >>> r = run_stages(demo_result().inputs, Parameters(network="ZLT"), drill=False)
    >>> r.network.params.network, r.drilling is None, r.corridors.params.trench_width_m
    ('ZLT', True, 0.6)
    """
    p = parameters or Parameters()
    if not isinstance(p, Parameters):
        raise TypeError(f"parameters must be a warmtegis.Parameters, not {type(p).__name__}")
    if not tolerate:  # batch areas are cut from layers checked as a whole
        check_overlap(
            inputs.buildings,
            {
                "roads": inputs.roads,
                "sewers": inputs.sewers,
                "trees": inputs.trees,
                "barriers": inputs.barriers,
                "terrain": inputs.terrain,
                "parcels": inputs.parcels,
            },
        )
    out = StageResults(inputs=inputs, parameters=p)
    with collect_warnings(out.warnings):
        _run_stages(
            out, inputs, p, source, route=route, drill=drill, tolerate=tolerate, name=name,
            layers=layers,
        )  # fmt: skip
    # the corridor stage runs beside the mini-net stages: sorted, the warnings come out in
    # the same order in every run
    out.warnings.sort()
    return out


def _run_stages(
    out: StageResults,
    inputs: Inputs,
    p: Parameters,
    source: tuple[float, float] | None,
    *,
    route: bool,
    drill: bool,
    tolerate: bool,
    name: str,
    layers: bool = True,
) -> None:
    # Long function: the stage sequence in one place, so that its order reads at a glance (the point
    # of the stage runner)
    from tqdm.auto import tqdm

    # disable=None: no bar where stderr is no terminal (dask workers, pipes, CI logs)
    bar = tqdm(
        total=len(STAGES), desc=name, unit="stage", disable=None if settings.progress else True
    )

    def stage(label: str, fn: Callable[[], T]) -> T | None:
        bar.set_postfix_str(label)
        t = time.perf_counter()
        try:
            return fn()
        except InputError as exc:
            if not tolerate:
                raise
            out.notes.append(f"{label}: {exc}")
            return None
        finally:
            out.timings[label] = time.perf_counter() - t
            bar.update()

    try:
        stage("load", lambda: _load_layers(out))
        if not _empty(inputs.buildings):
            out.buildings = stage(
                "buildings",
                lambda: enrich_buildings(
                    inputs.buildings, params=p.mini_nets, demand_params=p.demand
                ),
            )
        roads = inputs.roads
        if _empty(roads):
            out.skipped += ["corridors", "routing and costs"] if route else ["corridors"]
            log(
                "the study has no roads (or an empty roads layer): the corridor stage, the "
                "heat network's routing and its business case are skipped; only buildings "
                "and mini nets are computed. Add [inputs] roads = ... (NWB, BGT wegdeel, OSM) "
                "for them",
                logging.WARNING,
            )
        corridors_job = None
        pool = None
        if roads is not None and len(roads):

            def corridors() -> Corridors | None:
                return stage(
                    "corridors",
                    lambda: analyse_corridors(
                        roads,
                        sewers=None if _empty(inputs.sewers) else inputs.sewers,
                        trees=None if _empty(inputs.trees) else inputs.trees,
                        params=p.corridors,
                    ),
                )

            if tolerate:  # batch areas: one thread per worker
                out.corridors = corridors()
            else:
                # a study: the corridor stage (GEOS, which releases the GIL) runs beside the
                # mini-net stages, which do not need it; routing waits for it
                from concurrent.futures import ThreadPoolExecutor

                pool = ThreadPoolExecutor(max_workers=1)
                corridors_job = pool.submit(corridors)
        try:
            _mini_net_stages(out, inputs, p, stage, drill)
        finally:
            if corridors_job is not None and pool is not None:
                pool.shutdown(wait=True)
        if corridors_job is not None:
            out.corridors = corridors_job.result()
        if out.corridors is not None:
            out.layers.update(corridors_layers(out.corridors))
        if route and out.corridors is not None and out.mini_nets is not None:
            segments, buildings = out.corridors.road_segments, out.mini_nets.buildings
            out.network = stage(
                "routing and costs",
                lambda: route_network(
                    segments,
                    buildings,
                    source=source,
                    barriers=inputs.barriers,
                    params=p.routing,
                    cost_params=p.costs,
                ),
            )
    finally:
        bar.close()
    if layers:
        _assemble_layers(out)
    log(
        f"{name}: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in out.timings.items())
        + f"; {len(out.layers)} layers"
        + (f"; {len(out.notes)} stage(s) skipped" if out.notes else "")
    )


def _mini_net_stages(
    out: StageResults, inputs: Inputs, p: Parameters, stage: Callable[..., Any], drill: bool
) -> None:
    """Run the mini-net stage, room to drill and the mini-net design (in this order)."""
    if out.buildings is not None:
        stock = out.buildings
        out.mini_nets = stage(
            "mini nets",
            lambda: mini_net_candidates(
                stock, params=p.mini_nets, borehole_params=p.boreholes, cost_params=p.costs
            ),
        )
    road_unknown = all(_empty(x) for x in (inputs.roads, inputs.terrain, inputs.parcels))
    if drill and road_unknown and not p.drilling.place_without_roads:
        out.skipped.append("room to drill")
        log(
            "room to drill is not assessed: without a road layer, BGT terrain or parcels the "
            "public road is unknown and loops could be placed in the street. Add roads "
            "(NWB, BGT wegdeel, OSM) or terrain, or set [parameters.drilling] "
            "place_without_roads = true to place them on the ground around the buildings "
            "anyway (the design sheets then say the road was unknown)",
            logging.WARNING,
        )
        drill = False
    if drill and out.mini_nets is not None and len(out.mini_nets.mini_nets):
        nets = out.mini_nets
        out.drilling = stage("room to drill", lambda: _room_to_drill(inputs, nets, p))
    if out.mini_nets is not None and len(out.mini_nets.mini_nets):
        nets, room = out.mini_nets, out.drilling
        out.design = stage("mini-net design", lambda: _design(inputs, nets, room, p))


def _assemble_layers(out: StageResults) -> None:
    """Put the stages' layers into ``out.layers``, each stage's from its own ``*_layers()``."""
    if out.mini_nets is not None:
        connected = (
            out.network.connections.set_index("building_id")["connected"]
            if out.network is not None
            else None
        )
        out.layers.update(mini_net_layers(out.mini_nets, out.drilling, out.design, connected))
    if out.network is not None:
        out.layers.update(network_layers(out.network))


def _room_to_drill(inputs: Inputs, nets: MiniNets, p: Parameters) -> RoomToDrill:
    """Run the room-to-drill stage: open ground, exclusions, placed and sized loops per group."""
    b = nets.buildings  # checked and in EPSG:28992 by the buildings stage
    roads = None if _empty(inputs.roads) else inputs.roads
    water = None if _empty(inputs.barriers) else inputs.barriers
    ground = open_ground(b, terrain=inputs.terrain, roads=roads, water=water, params=p.drilling)
    zones = exclusion_zones(
        b,
        trees=None if _empty(inputs.trees) else inputs.trees,
        sewers=None if _empty(inputs.sewers) else inputs.sewers,
        water=water,
        roads=roads,
        params=p.drilling,
        unknown_crown_radius_m=p.corridors.unknown_crown_radius_m,
    )
    room = room_to_drill(
        nets.mini_nets,
        nets.buildings,
        ground=ground,
        exclusions=zones,
        params=p.drilling,
        borehole_params=p.boreholes,
        full_load_hours=p.demand.full_load_hours,
        parcels=None if _empty(inputs.parcels) else inputs.parcels,
    )
    room.layers = placement_layers(
        terrain=not _empty(inputs.terrain),
        roads=None if roads is None else str(roads.attrs.get("road_kind", "centrelines")),
        trees=not _empty(inputs.trees),
        sewers=not _empty(inputs.sewers),
        water=water is not None,
        parcels=not _empty(inputs.parcels),
        reach_m=p.drilling.reach_m,
    )
    return room


def _design(
    inputs: Inputs, nets: MiniNets, room: RoomToDrill | None, p: Parameters
) -> MiniNetDesign:
    """Run the mini-net design stage: scenarios, drop-outs and, with placed loops, trenches."""
    kwargs = {}
    if room is not None:
        kwargs = {
            "boreholes": room.boreholes,
            "ground": room.ground,
            "exclusions": room.exclusions,
            "roads": None if _empty(inputs.roads) else inputs.roads,
        }
    return design_mini_nets(nets.mini_nets, nets.buildings, params=p, **kwargs)


def run_study(study: Study | str | Path) -> StudyResult:
    """Run a study: read the study file, load and validate its inputs, run every stage.

    A progress bar shows the stages unless ``warmtegis.settings.progress`` is False (the
    CLI's ``--quiet``); each stage logs its counts, and the seconds it took land in
    ``result.timings``.

    Parameters
    ----------
    study
        A :class:`~warmtegis.inputs.study.Study` or the path of a ``STUDY.toml``.

    Returns
    -------
    StudyResult
        Layers, summary, the stages' results and the effective parameters.

    Examples
    --------
    >>> import warmtegis as wg
    >>> from warmtegis.datasets import get_path
    >>> r = wg.run_study(get_path("otterlo/study.toml"))
    >>> int(r.network.connections["connected"].sum()), r.parameters.corridors.trench_width_m
    (284, 1.2)
    """
    t0 = time.perf_counter()
    if not isinstance(study, Study):
        study = read_study(study)
    read_warnings: list[str] = []
    with collect_warnings(read_warnings):
        inputs = load_inputs(study)
    t_read = time.perf_counter() - t0
    stages = run_stages(inputs, study.parameters, study.source, name=study.name)
    stages.warnings[:0] = read_warnings
    result = StudyResult(
        **{f.name: getattr(stages, f.name) for f in dataclasses.fields(stages) if f.init}
    )
    result.study = study
    result.timings = {"read": t_read, **result.timings}
    log(f"study {study.name!r}: {len(result.layers)} layers")
    return result
