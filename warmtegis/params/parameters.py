"""Model parameters: one validated, frozen :class:`Parameters` object with a section per stage.

Every section is a frozen dataclass whose fields carry a documented default (the class
docstring says where each figure comes from). A section validates itself when it is built —
types, minimums, choices (``Literal``), shares in 0..1 and its cross-field rules — so an
object built in Python is checked exactly like one read from a study file:

>>> CorridorParams(trench_width_m=-1)
Traceback (most recent call last):
...
warmtegis._errors.ConfigError: [parameters.corridors] trench_width_m must be >= 0.05, not -1.0

:func:`read_parameters` is the one reader of a study file's ``[parameters]`` table. The
top-level ``network = "MT" | "ZLT"`` sets the coupled defaults of both networks (trench
width, design temperatures, the prices the business case uses) unless a section sets them:

>>> p = read_parameters({"network": "ZLT"})
>>> p.corridors.trench_width_m, p.routing.network, p.routing.supply_temp_c
(0.6, 'ZLT', 30.0)

The cost model's figures (value, unit and source per figure, ``warmtegis/data/costs.toml``)
are the ``costs`` section (:class:`~warmtegis.costs.CostParams`); :func:`parameter_table`
lists every effective parameter with its unit and source, as written into the GeoPackage.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import pandas as pd

from warmtegis import units
from warmtegis.core.errors import ConfigError
from warmtegis.economics.pricing import (
    CostParams,
    cost_parameter_table,
    cost_variants,
    load_cost_params,
)

__all__ = [
    "NETWORK_DEFAULTS",
    "SECTIONS",
    "BoreholeParams",
    "CollectiveLoopParams",
    "CorridorParams",
    "DemandParams",
    "DrillingParams",
    "InsulationParams",
    "MiniNetParams",
    "Network",
    "Parameters",
    "RoutingParams",
    "Section",
    "parameter_table",
    "read_parameters",
]

Network = Literal["MT", "ZLT"]

#: What the choice of network sets unless a section sets it explicitly.
#: MT: a steel pipe pair needs 1.2 m of street (docs/method.md §1); design 70/40 °C ("MT about
#: 70 °C", docs/method.md §2; 40 °C return is the usual MT design value, an assumption).
#: ZLT: flexible plastic pipes need about 0.6 m (docs/method.md §1 "flexible ZLT pipes need less";
#: two DN 110-160 PE-Xa pipes side by side with 0.15 m spacing and sides - an assumption);
#: design 30/22 °C ("ZLT below 40 °C", docs/method.md §2; 8 K spread of a source-temperature
#: network - an assumption).
NETWORK_DEFAULTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "MT": MappingProxyType(
            {"trench_width_m": 1.2, "supply_temp_c": 70.0, "return_temp_c": 40.0}
        ),
        "ZLT": MappingProxyType(
            {"trench_width_m": 0.6, "supply_temp_c": 30.0, "return_temp_c": 22.0}
        ),
    }
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Validation shared by every section
# --------------------------------------------------------------------------------------------
_HINTS: dict[Any, dict[str, Any]] = {}


def _hints(cls: Any) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _literal_choices(hint: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    return None


def _check_value(
    section: str, f: dataclasses.Field[Any], value: Any, hint: Any, problems: list[str]
) -> Any:
    """Check and normalise one field value; record problems; return the normalised value."""
    where = f"[parameters.{section}] {f.name}"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        hint = args[0] if len(args) == 1 else hint
        origin = typing.get_origin(hint)
    choices = _literal_choices(hint)
    if choices is not None:
        if value not in choices:
            problems.append(
                f"{where} must be one of {', '.join(map(repr, choices))}, not {value!r}"
            )
        return value
    if hint is float or hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a number" if hint is float else "an integer"
            problems.append(f"{where} must be {kind}, not {value!r}")
            return value
        if hint is int and not isinstance(value, int):
            if float(value) != int(value):
                problems.append(f"{where} must be an integer, not {value!r}")
                return value
            value = int(value)
        if hint is float:
            value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            problems.append(f"{where} must be a finite number, not {value!r}")
            return value
        minimum = f.metadata.get("min", 0.0 if hint is float else 0)
        maximum = f.metadata.get("max")
        if value < minimum:
            problems.append(f"{where} must be >= {minimum}, not {value!r}")
        if maximum is not None and value > maximum:
            problems.append(f"{where} must be <= {maximum}, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(f"{where} must be true or false, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            problems.append(f"{where} must be text, not {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            problems.append(f"{where} must be a list of text values, not {value!r}")
            return value
        if not all(isinstance(v, str) for v in value):
            problems.append(f"{where} must be a list of text values, not {value!r}")
        return tuple(value)
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, Mapping):
            problems.append(f"{where} must be a table, not {value!r}")
            return value
        bad = {
            k: v
            for k, v in value.items()
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0
        }
        if bad:
            problems.append(f"{where} values must be non-negative numbers; bad: {bad}")
        return MappingProxyType({str(k): float(v) for k, v in value.items() if k not in bad})
    return value  # pragma: no cover - every field type used below is handled above


class Section:
    """Base class of the parameter sections: validates every field when built.

    Subclasses are frozen dataclasses; ``name`` is the section's table name in a study file
    (``[parameters.<name>]``); :meth:`_check` adds the cross-field rules.
    """

    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        hints = _hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            new = _check_value(self.name, f, value, hints[f.name], problems)
            if new is not value:
                object.__setattr__(self, f.name, new)
        if not problems:
            problems = self._check()
        if problems:
            raise ConfigError(problems)

    def _check(self) -> list[str]:
        """Return the cross-field problems (none by default)."""
        return []


# --------------------------------------------------------------------------------------------
# The sections
# --------------------------------------------------------------------------------------------
_USABLE = (
    "rijbaan lokale weg",
    "rijbaan regionale weg",
    "rijbaan autoweg",
    "parkeervlak",
    "voetpad",
    "fietspad",
    "inrit",
    "voetgangersgebied",
    "woonerf",
)
_CARRIAGEWAY = ("rijbaan lokale weg", "rijbaan regionale weg", "rijbaan autoweg", "woonerf")
# NWB wegbeheerdersoort -> default street width (m) when no width (e.g. WKD) is given:
# R Rijk, P provincie, G gemeente, W waterschap, T other. Municipal streets are drawn at
# 6 m (carriageway plus verge/footpath space a trench can use); choose per study.
_WIDTH_BY_TYPE = MappingProxyType({"R": 12.0, "P": 9.0, "G": 6.0, "W": 5.0, "T": 4.0})


@dataclass(frozen=True)
class CorridorParams(Section):
    """Parameters of the corridor stage (``[parameters.corridors]`` in a study file).

    Attributes
    ----------
    trench_width_m : float or None
        Width of the pipe trench that must fit (m). None: from the network
        (:data:`NETWORK_DEFAULTS`: 1.2 for a steel MT pipe pair, docs/method.md §1; 0.6 for flexible
        ZLT pipes); :meth:`resolved` fills it in.
    sewer_clearance_m : float
        Clearance kept from a sewer (m), added to half its diameter when known. 1.0
        (CROW 2016: 0.5-1.0 m).
    tree_root_margin_m : float
        Margin beyond the crown projection (m). 1.5 ("kwetsbare boomzone", Handboek Bomen).
    unknown_crown_radius_m : float
        Crown radius (m) of a tree without crown diameter or height: 6.0, as the study.
    usable_functions : tuple of str
        BGT ``function`` values that count as street space a trench may use.
    carriageway_functions : tuple of str
        BGT functions whose polygons give the derived centrelines.
    road_width_by_type : mapping
        Default road width (m) per NWB ``wegbehsrt`` when the roads carry no width.
    default_road_width_m : float
        Width (m) for road types not in `road_width_by_type`.
    station_spacing_m : float
        Spacing (m) of the cross-sections along each segment.
    max_half_width_m : float
        Half-length (m) of the cross-sections on road surfaces (BGT).
    centreline_densify_m : float
        Boundary densification (m) of the carriageway skeleton: about the narrowest
        carriageway width (pygeoops' advice); the Voronoi diagram's cost grows with it.
    centreline_simplify_m : float
        Douglas-Peucker tolerance (m) applied to the carriageways before densifying: BGT
        outlines carry many near-collinear vertices that only slow the Voronoi diagram
        (Otterlo: 0.1 m removes 40 % of the points, the centreline length moves 0.2 %).
    centreline_min_branch_m : float
        Skeleton branches shorter than this (m) are pruned.
    """

    name: ClassVar[str] = "corridors"

    trench_width_m: float | None = field(default=None, metadata={"min": 0.05, "unit": "m"})
    sewer_clearance_m: float = field(default=1.0, metadata={"unit": "m"})
    tree_root_margin_m: float = field(default=1.5, metadata={"unit": "m"})
    unknown_crown_radius_m: float = field(default=6.0, metadata={"unit": "m"})
    usable_functions: tuple[str, ...] = _USABLE
    carriageway_functions: tuple[str, ...] = _CARRIAGEWAY
    road_width_by_type: Mapping[str, float] = field(
        default_factory=lambda: _WIDTH_BY_TYPE, metadata={"unit": "m"}
    )
    default_road_width_m: float = field(default=6.0, metadata={"min": 0.5, "unit": "m"})
    station_spacing_m: float = field(default=1.0, metadata={"min": 0.1, "unit": "m"})
    max_half_width_m: float = field(default=20.0, metadata={"min": 1.0, "unit": "m"})
    centreline_densify_m: float = field(default=4.0, metadata={"min": 0.2, "unit": "m"})
    centreline_simplify_m: float = field(default=0.1, metadata={"min": 0.0, "unit": "m"})
    centreline_min_branch_m: float = field(default=10.0, metadata={"unit": "m"})

    def resolved(self, network: Network = "MT") -> CorridorParams:
        """Return these parameters with the network's defaults filled in where None."""
        if self.trench_width_m is not None:
            return self
        return dataclasses.replace(
            self, trench_width_m=NETWORK_DEFAULTS[network]["trench_width_m"]
        )

    @property
    def trench_m(self) -> float:
        """The trench width in use (m): `trench_width_m`, else the MT default."""
        if self.trench_width_m is None:
            return NETWORK_DEFAULTS["MT"]["trench_width_m"]
        return self.trench_width_m


@dataclass(frozen=True)
class RoutingParams(Section):
    """Parameters of trunk routing and pipe sizing (``[parameters.routing]``).

    Attributes
    ----------
    network : {"MT", "ZLT"} or None
        Which network's prices and temperatures to use. None: the top-level
        ``[parameters] network`` (default ``"MT"``).
    snap_tolerance_m : float
        Segment end points closer than this are one junction (m). Default 1.0.
    link_components : bool
        Join separate parts of the street graph by the shortest straight link between them
        (flagged ``linked``), if shorter than ``link_max_m``. Default True.
    link_max_m : float
        Longest such link (m). Default 50.
    impassable : {"penalty", "forbid"}
        How to treat segments where the trench does not fit. Default ``"penalty"``.
    impassable_penalty : float
        Cost factor on such segments (Assumption: working around root zones and moving
        sewer house connections roughly doubles the trench cost). Default 2.0.
    crossing_eur : float
        Cost of one crossing of a barrier (water, major road) by horizontal directional
        drilling, excl. VAT (Assumption: a 30-60 m bore with two pits for a DN 100-200
        pipe pair, 20-40 kEUR in Dutch practice). Default 30,000.
    major_road_types : tuple of str
        Road types (NWB ``wegbehsrt``, OSM ``highway``) whose segments are barriers for
        service pipes: ``R`` (rijkswegen), ``P`` (provinciale wegen), motorway, trunk, primary.
    connect_categories : tuple of str
        Building categories (see :func:`~warmtegis.classify_buildings`) that are connected.
    exclude_mini_nets : bool
        Leave buildings that belong to a mini-net candidate out of the collective network.
        Default False (the collective network is designed for every building).
    service_max_m : float
        Buildings farther than this from a usable street are not connected (m); at least
        1 m. Default 100.
    source_link_warning_m : float
        A heat source farther than this from the nearest usable street is still connected, by
        a straight transport pipe priced as transport pipe, but with a warning (m). Default
        1,000 (Assumption: the reference study's own transport pipe is 1.0 km,
        docs/method.md §2; a longer straight link is beyond what the study priced and should
        be routed by hand).
    method : {"improved", "sph", "mehlhorn", "kou"}
        Steiner method (:data:`~warmtegis.steiner.METHODS`). Default ``"improved"``.
    milp_max_terminals : int
        Also solve exactly (MILP) and report the gap when there are at most this many
        connection points. Default 60.
    milp_time_limit_s : float
        Seconds HiGHS may take; an unfinished MILP reports no gap. Default 20.
    primary_min_kw : float
        Trunk pipes carrying more than this peak are ``primary``, less ``secondary``
        (docs/method.md §2: the study's secondary pipes have a capacity of 0.7 MW). Default 700.
    supply_temp_c, return_temp_c : float or None
        Design temperatures (°C). None: from the network (:data:`NETWORK_DEFAULTS`:
        70 / 40 for MT, 30 / 22 for ZLT).
    max_pressure_drop_pa_per_m : float
        Largest design pressure drop (Pa/m); the usual design value is 100 Pa/m for
        distribution pipes (Frederiksen & Werner 2013, District Heating and Cooling). Default 100.
    max_velocity_m_s : float
        Largest flow velocity (m/s). Default 3.0.
    roughness_mm : float
        Pipe wall roughness (mm; 0.01 for new steel DH pipe, EN 13941). Default 0.01.
    """

    name: ClassVar[str] = "routing"

    network: Network | None = None
    snap_tolerance_m: float = field(default=1.0, metadata={"unit": "m"})
    link_components: bool = True
    link_max_m: float = field(default=50.0, metadata={"unit": "m"})
    impassable: Literal["penalty", "forbid"] = "penalty"
    impassable_penalty: float = field(default=2.0, metadata={"min": 1.0, "unit": "factor"})
    crossing_eur: float = field(default=30000.0, metadata={"unit": "EUR excl. VAT"})
    major_road_types: tuple[str, ...] = ("R", "P", "motorway", "trunk", "primary")
    connect_categories: tuple[str, ...] = ("ground_bound", "apartments", "non_residential")
    exclude_mini_nets: bool = False
    service_max_m: float = field(default=100.0, metadata={"min": 1.0, "unit": "m"})
    source_link_warning_m: float = field(default=1000.0, metadata={"unit": "m"})
    method: Literal["improved", "sph", "mehlhorn", "kou"] = "improved"
    milp_max_terminals: int = 60
    milp_time_limit_s: float = field(default=20.0, metadata={"min": 0.1, "unit": "s"})
    primary_min_kw: float = field(default=700.0, metadata={"unit": "kW"})
    supply_temp_c: float | None = field(default=None, metadata={"min": -50.0, "unit": "°C"})
    return_temp_c: float | None = field(default=None, metadata={"min": -50.0, "unit": "°C"})
    max_pressure_drop_pa_per_m: float = field(default=100.0, metadata={"min": 1.0, "unit": "Pa/m"})
    max_velocity_m_s: float = field(default=3.0, metadata={"min": 0.1, "unit": "m/s"})
    roughness_mm: float = field(default=0.01, metadata={"unit": "mm"})

    def _check(self) -> list[str]:
        supply, ret = self.supply_temp, self.return_temp
        if supply <= ret:
            return [
                f"[parameters.routing] supply_temp_c ({supply:g}) must be higher than "
                f"return_temp_c ({ret:g})"
            ]
        return []

    @property
    def net(self) -> Network:
        """The network in use: `network`, else ``"MT"``."""
        return self.network or "MT"

    @property
    def supply_temp(self) -> float:
        """Supply temperature in use (°C)."""
        if self.supply_temp_c is None:
            return NETWORK_DEFAULTS[self.net]["supply_temp_c"]
        return self.supply_temp_c

    @property
    def return_temp(self) -> float:
        """Return temperature in use (°C)."""
        if self.return_temp_c is None:
            return NETWORK_DEFAULTS[self.net]["return_temp_c"]
        return self.return_temp_c

    def resolved(self, network: Network | None = None) -> RoutingParams:
        """Return these parameters with the network and its temperatures filled in."""
        net = self.network or network or "MT"
        return dataclasses.replace(
            self,
            network=net,
            supply_temp_c=NETWORK_DEFAULTS[net]["supply_temp_c"]
            if self.supply_temp_c is None
            else self.supply_temp_c,
            return_temp_c=NETWORK_DEFAULTS[net]["return_temp_c"]
            if self.return_temp_c is None
            else self.return_temp_c,
        )


@dataclass(frozen=True)
class MiniNetParams(Section):
    """Parameters of the buildings and mini-net stages (``[parameters.mini_nets]``).

    Attributes
    ----------
    min_dwellings, max_dwellings : int
        Group size (docs/method.md §3: 2-10 dwellings).
    min_shared_wall_m : float
        Shared boundary length that makes a party wall (m). Default 2.0.
    gap_tolerance_m : float
        Digitising gap bridged between two footprints (m). Default 0.3.
    min_footprint_m2, max_footprint_m2 : float
        Footprint range of one ground-bound dwelling when the source has no use attributes
        (BGT, LVBAG without verblijfsobjecten, OSM ``building=yes``). Defaults 35 and 250.
    in_use_statuses : tuple of str
        Building statuses that count as in use; other known statuses (building permit,
        demolition permit) are left out. A missing status counts as in use.
    join_detached_within_m : float
        Also join detached dwellings within this distance of each other into groups (m).
        Default 0 (off).
    shared_premium : float
        A group *works* (the drop-out analysis, docs/method.md §3e) while its yearly cost per
        dwelling is at most this share above what a member would pay for its own borehole
        and heat pump. Default 0.10: assumption and a policy choice, not a measured figure;
        the shared loop buys what the programme names as its advantages (one rig visit,
        room for loops a small garden lacks), and a tenth more is taken as what neighbours
        would pay for them. Set 0 to ask that the group be no dearer than going alone.
    """

    name: ClassVar[str] = "mini_nets"

    min_dwellings: int = field(default=2, metadata={"min": 2})
    max_dwellings: int = field(default=10, metadata={"min": 2})
    min_shared_wall_m: float = field(default=2.0, metadata={"unit": "m"})
    gap_tolerance_m: float = field(default=0.3, metadata={"unit": "m"})
    min_footprint_m2: float = field(default=35.0, metadata={"unit": "m2"})
    max_footprint_m2: float = field(default=250.0, metadata={"unit": "m2"})
    in_use_statuses: tuple[str, ...] = (
        "Pand in gebruik",
        "Pand in gebruik (niet ingemeten)",
        "Verbouwing pand",
        "bestaand",
        "geenWaarde",
    )
    join_detached_within_m: float = field(default=0.0, metadata={"unit": "m"})
    shared_premium: float = field(default=0.10, metadata={"max": 10.0, "unit": "share"})

    def _check(self) -> list[str]:
        problems = []
        if self.min_dwellings > self.max_dwellings:
            problems.append("[parameters.mini_nets] min_dwellings must not exceed max_dwellings")
        if self.min_footprint_m2 > self.max_footprint_m2:
            problems.append(
                "[parameters.mini_nets] min_footprint_m2 must not exceed max_footprint_m2"
            )
        return problems


def period_bounds(table: Mapping[str, float]) -> tuple[list[int], list[int], list[float]]:
    """Sorted first years, last years and values of a ``"first-last"`` period table."""
    rows = []
    for key, value in table.items():
        first, sep, last = str(key).partition("-")
        if not sep:
            raise ValueError(f"period {key!r} must look like '1974-1994', '-1945' or '2015-'")
        try:
            rows.append((int(first) if first else -10_000, int(last) if last else 10_000, value))
        except ValueError:
            raise ValueError(f"period {key!r} must hold years") from None
    rows.sort()
    firsts, lasts, values = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
    if any(f != la + 1 for f, la in zip(firsts[1:], lasts[:-1], strict=True)):
        raise ValueError("periods must follow each other without gaps or overlaps")
    return firsts, lasts, [float(v) for v in values]


@dataclass(frozen=True)
class DemandParams(Section):
    """Heat demand of the buildings (``[parameters.demand]``).

    Attributes
    ----------
    specific_gj_per_m2 : Mapping
        Construction period (``"first-last"``, open ends allowed) -> GJ per m² floor area.
        Anchored on docs/method.md §2 (42 GJ for a 1974-1994 mid-terrace house of 115 m²); the other
        periods follow the shape of RVO's Voorbeeldwoningen 2022 (assumption).
    type_factor : Mapping
        Dwelling type -> factor on the specific demand (assumption, RVO Voorbeeldwoningen).
    default_year : int
        Construction year assumed when it is unknown (BGT, OSM). Default 1980.
    storeys : float
        Floor area = footprint × storeys where the register gives none. Default 2.0.
    apartment_gj : float
        Demand per apartment in a multi-dwelling building (docs/method.md §2: 22 GJ).
    non_residential_gj : float
        Demand per non-residential building (docs/method.md §2: 70 GJ per connection).
    full_load_hours : float
        Annual demand / peak load of a building (h), the one figure every stage uses for
        peaks (pipe sizing, borehole fields). Default 1,800: peak 6.5 kW for 42 GJ.
    """

    name: ClassVar[str] = "demand"

    specific_gj_per_m2: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "-1945": 0.56,
                "1946-1964": 0.53,
                "1965-1973": 0.47,
                "1974-1994": 0.365,
                "1995-2005": 0.29,
                "2006-2014": 0.24,
                "2015-": 0.15,
            }
        ),
        metadata={"unit": "GJ/m2"},
    )
    type_factor: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "mid-terrace": 1.0,
                "end-of-terrace": 1.12,
                "semi-detached": 1.2,
                "detached": 1.45,
            }
        ),
        metadata={"unit": "factor"},
    )
    default_year: int = field(default=1980, metadata={"min": 1000, "unit": "year"})
    storeys: float = field(default=2.0, metadata={"min": 0.5, "unit": "count"})
    apartment_gj: float = field(default=22.0, metadata={"unit": "GJ/yr"})
    non_residential_gj: float = field(default=70.0, metadata={"unit": "GJ/yr"})
    full_load_hours: float = field(
        default=units.FULL_LOAD_HOURS, metadata={"min": 100.0, "max": 8760.0, "unit": "h"}
    )

    def _check(self) -> list[str]:
        problems = []
        try:
            period_bounds(self.specific_gj_per_m2)
        except ValueError as exc:
            problems.append(f"[parameters.demand] specific_gj_per_m2: {exc}")
        missing = {"mid-terrace", "end-of-terrace", "semi-detached", "detached"} - set(
            self.type_factor
        )
        if missing:
            problems.append(f"[parameters.demand] type_factor lacks {', '.join(sorted(missing))}")
        return problems


@dataclass(frozen=True)
class BoreholeParams(Section):
    """Ground, borehole and design parameters of borehole fields (``[parameters.boreholes]``).

    Attributes
    ----------
    ground_conductivity_w_mk : float
        Ground thermal conductivity (W/m·K). Default 2.0: water-saturated Dutch sands and
        clays lie at 1.5-2.5 (ISSO 73 ranges); assumption.
    ground_heat_capacity_j_m3k : float
        Volumetric heat capacity (J/m³·K). Default 2.4e6, saturated sediments.
    ground_temperature_c : float
        Undisturbed ground temperature (°C). Default 11.0: 10-12 °C at 20-150 m in NL.
    borehole_resistance_mk_w : float
        Effective borehole thermal resistance Rb* (m·K/W). Default 0.10: grouted single/double
        U-tube in a small-diameter borehole (0.08-0.12 typical); assumption.
    borehole_radius_m : float
        Borehole radius (m). Default 0.065.
    buried_depth_m : float
        Depth of the top of the loop (m). Default 1.0.
    spacing_m : float
        Distance between loops (m), drilled in a line along the group. Default 6.0.
    min_fluid_temperature_c : float
        Design minimum mean fluid temperature during a peak (°C). Default -2.0: brine with
        antifreeze; assumption within the usual -3..0 °C.
    max_fluid_temperature_c : float
        Design maximum mean fluid temperature (°C). Default 25.0 (only matters with cooling).
    simulation_years : int
        Years the field must keep the fluid within limits. Default 25.
    seasonal_performance_factor : float
        SPF of the water-water heat pump: the ground supplies ``1 - 1/SPF`` of the heat.
        Default 4.5; assumption.
    hot_water_share : float
        Share of the annual demand for hot water, spread evenly over the months. Default 0.2.
    peak_duration_hours : float
        Duration of the peak load (h). Default 6, GHEtool's default.
    dwellings_per_loop : int
        Starting layout: one loop per this many dwellings (docs/method.md §3: 2-3). Default 3.
    max_depth_m, min_depth_m : float
        Allowed loop length (m); a deeper requirement adds a loop. Defaults 200 and 30.
    """

    name: ClassVar[str] = "boreholes"

    ground_conductivity_w_mk: float = field(default=2.0, metadata={"min": 0.1, "unit": "W/m/K"})
    ground_heat_capacity_j_m3k: float = field(
        default=2.4e6, metadata={"min": 1e5, "unit": "J/m3/K"}
    )
    ground_temperature_c: float = field(default=11.0, metadata={"min": -50.0, "unit": "°C"})
    borehole_resistance_mk_w: float = field(default=0.10, metadata={"unit": "m K/W"})
    borehole_radius_m: float = field(default=0.065, metadata={"min": 0.01, "unit": "m"})
    buried_depth_m: float = field(default=1.0, metadata={"unit": "m"})
    spacing_m: float = field(default=6.0, metadata={"min": 1.0, "unit": "m"})
    min_fluid_temperature_c: float = field(default=-2.0, metadata={"min": -50.0, "unit": "°C"})
    max_fluid_temperature_c: float = field(default=25.0, metadata={"min": -50.0, "unit": "°C"})
    simulation_years: int = field(default=25, metadata={"min": 1, "unit": "year"})
    seasonal_performance_factor: float = field(default=4.5, metadata={"min": 1.01, "unit": "ratio"})
    hot_water_share: float = field(default=0.2, metadata={"max": 1.0, "unit": "share"})
    peak_duration_hours: float = field(default=6.0, metadata={"min": 1.0, "unit": "h"})
    dwellings_per_loop: int = field(default=3, metadata={"min": 1, "unit": "count"})
    max_depth_m: float = field(default=200.0, metadata={"min": 10.0, "unit": "m"})
    min_depth_m: float = field(default=30.0, metadata={"min": 1.0, "unit": "m"})

    def _check(self) -> list[str]:
        problems = []
        if self.min_fluid_temperature_c >= self.ground_temperature_c:
            problems.append(
                "[parameters.boreholes] min_fluid_temperature_c must lie below "
                "ground_temperature_c, or no borehole can deliver heat"
            )
        if self.min_depth_m > self.max_depth_m:
            problems.append("[parameters.boreholes] min_depth_m must not exceed max_depth_m")
        return problems


@dataclass(frozen=True)
class DrillingParams(Section):
    """Where a mini net may drill its loops (``[parameters.drilling]``, docs/method.md §3b).

    Attributes
    ----------
    building_clearance_m : float
        Distance kept from every building footprint (m). Default 2.0: assumption; a drilling
        rig of a small closed loop needs about 1.5-2 m of working room beside a facade and the
        borehole must stay clear of the foundation.
    sewer_clearance_m : float
        Distance kept from a sewer (m), added to half its diameter when known. Default 1.0, as
        the trench corridors (CROW 2016: 0.5-1.0 m).
    tree_clearance_m : float
        Margin beyond a tree's crown projection (m). Default 1.5, as the trench corridors
        ("kwetsbare boomzone", Handboek Bomen): a borehole is a root-zone disturbance like a
        trench.
    water_clearance_m : float
        Distance kept from open water (BGT waterdeel, barriers) (m). Default 2.0: assumption;
        a bank must stay stable under the rig.
    road_clearance_m : float
        Distance kept from a road surface (m). Default 0.5: assumption; loops are drilled in
        gardens, yards and verges, not under the carriageway.
    reach_m : float
        A group may use open ground within this distance of its dwellings' footprints (m),
        when no parcels are given. Default 15.0: assumption, the depth of a Dutch front plus
        back garden of a row house (about 5 + 10 m).
    interference_radius_m : float
        Other groups' loops within this distance of a group's loops share its ground (their
        interference is in its g-function) (m). Default 20.0: assumption; at 20 m the
        temperature effect of a loop after 25 years is a few percent of its own.
    grid_m : float
        Spacing of the candidate positions loops are placed on (m). Default 1.0.
    """

    name: ClassVar[str] = "drilling"

    building_clearance_m: float = field(default=2.0, metadata={"unit": "m"})
    sewer_clearance_m: float = field(default=1.0, metadata={"unit": "m"})
    tree_clearance_m: float = field(default=1.5, metadata={"unit": "m"})
    water_clearance_m: float = field(default=2.0, metadata={"unit": "m"})
    road_clearance_m: float = field(default=0.5, metadata={"unit": "m"})
    reach_m: float = field(default=15.0, metadata={"min": 0.1, "unit": "m"})
    interference_radius_m: float = field(default=20.0, metadata={"unit": "m"})
    grid_m: float = field(default=1.0, metadata={"min": 0.1, "unit": "m"})


@dataclass(frozen=True)
class InsulationParams(Section):
    """Insulation scenarios of the mini-net design (``[parameters.insulation]``, method §3c).

    Three scenarios per group: ``as built`` (the buildings stage's demand), ``standaard``
    (insulated to RVO's *standaard voor woningisolatie*) and ``streef`` (every component at
    RVO's *streefwaarden*). The insulation's cost per dwelling is in the cost model
    (``[parameters.costs.insulation]``).

    Attributes
    ----------
    standard_saving : float
        Share of a dwelling's heat demand saved by insulating to the standard. Default 0.30:
        docs/method.md §2, the reference study's saving of ZLT dwellings insulated to the
        standard.
    standard_from_year : int
        Dwellings built from this year are taken to meet the standard already (no saving, no
        cost). Default 2006: assumption; the building code's Rc 2.5 for new dwellings (2003)
        and the 2006 EPC tightening bring new-build near the standard's demand.
    target_gj_per_m2 : float
        Demand per m² floor area of a mid-terrace dwelling at the target values (the type
        factors of ``[parameters.demand]`` apply). Default 0.15: assumption; the target
        values are new-build component values (RVO), so the dwelling is taken to use what
        the demand model gives a dwelling built from 2015 (``specific_gj_per_m2["2015-"]``).
    """

    name: ClassVar[str] = "insulation"

    standard_saving: float = field(default=0.30, metadata={"max": 0.95, "unit": "share"})
    standard_from_year: int = field(default=2006, metadata={"min": 1000, "unit": "year"})
    target_gj_per_m2: float = field(default=0.15, metadata={"min": 0.0, "unit": "GJ/m2"})


@dataclass(frozen=True)
class CollectiveLoopParams(Section):
    """A mini net's collective loop: trench and PE pipes (``[parameters.collective_loop]``).

    Attributes
    ----------
    grid_m : float
        Spacing of the grid the trench is routed on (m). Default 1.0.
    wall_reach_m : float
        A dwelling's trench starts at the nearest routable point within this distance of its
        wall (m). Default 3.0: assumption, a wall entry and a short feed along the facade.
    brine_delta_t_k : float
        Temperature difference between the brine leaving and returning to the heat pumps (K).
        Default 3.0: assumption, the usual 3-4 K of a brine evaporator.
    brine_density_kg_m3, brine_heat_capacity_j_kgk, brine_viscosity_pa_s : float
        25 % monoethylene glycol at 0 °C: 1,040 kg/m³, 3,750 J/kg·K, 0.0045 Pa·s
        (assumption: rounded from the glycol property tables of the ASHRAE Handbook
        Fundamentals).
    max_pressure_drop_pa_per_m : float
        Pipes are sized to the smallest PE100 SDR 11 diameter
        (:data:`warmtegis.collective_loop.PE_OUTER_MM`) within this pressure drop (Pa/m).
        Default 150: assumption, the 100-200 Pa/m usual for ground loops.
    roughness_mm : float
        Pipe roughness (mm). Default 0.007, smooth PE.
    """

    name: ClassVar[str] = "collective_loop"

    grid_m: float = field(default=1.0, metadata={"min": 0.25, "unit": "m"})
    wall_reach_m: float = field(default=3.0, metadata={"min": 0.5, "unit": "m"})
    brine_delta_t_k: float = field(default=3.0, metadata={"min": 0.5, "unit": "K"})
    brine_density_kg_m3: float = field(default=1040.0, metadata={"min": 500.0, "unit": "kg/m3"})
    brine_heat_capacity_j_kgk: float = field(
        default=3750.0, metadata={"min": 100.0, "unit": "J/kg/K"}
    )
    brine_viscosity_pa_s: float = field(default=0.0045, metadata={"min": 1e-5, "unit": "Pa s"})
    max_pressure_drop_pa_per_m: float = field(default=150.0, metadata={"min": 1.0, "unit": "Pa/m"})
    roughness_mm: float = field(default=0.007, metadata={"unit": "mm"})


#: The sections of :class:`Parameters` that are plain :class:`Section` dataclasses.
SECTIONS: Mapping[str, Any] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            CorridorParams,
            RoutingParams,
            MiniNetParams,
            DemandParams,
            BoreholeParams,
            DrillingParams,
            InsulationParams,
            CollectiveLoopParams,
        )
    }
)


@functools.cache
def _default_costs() -> CostParams:
    return load_cost_params()


@dataclass(frozen=True)
class Parameters:
    """Every model parameter of a run, validated and frozen.

    Build it from a study file with :func:`read_parameters`, or in Python
    (``Parameters(network="ZLT", corridors=CorridorParams(tree_root_margin_m=2.0))``): both
    are validated the same way. The network's coupled defaults (trench width, design
    temperatures) are filled into the sections where they are None.

    Attributes
    ----------
    network : {"MT", "ZLT"} or None
        The collective network variant. None: the routing section's, else ``"MT"``.
    corridors, routing, mini_nets, demand, boreholes, drilling, insulation, collective_loop
        The stage sections (:class:`CorridorParams`, ...).
    costs : CostParams
        The cost model's figures (:func:`~warmtegis.costs.load_cost_params`).
    overrides : frozenset of str
        ``section.key`` of the values a study file set (for the ``parameters`` table).
    """

    network: Network | None = None
    corridors: CorridorParams = field(default_factory=CorridorParams)
    routing: RoutingParams = field(default_factory=RoutingParams)
    mini_nets: MiniNetParams = field(default_factory=MiniNetParams)
    demand: DemandParams = field(default_factory=DemandParams)
    boreholes: BoreholeParams = field(default_factory=BoreholeParams)
    drilling: DrillingParams = field(default_factory=DrillingParams)
    insulation: InsulationParams = field(default_factory=InsulationParams)
    collective_loop: CollectiveLoopParams = field(default_factory=CollectiveLoopParams)
    costs: CostParams = field(default_factory=_default_costs)
    overrides: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, cls in {**SECTIONS, "costs": CostParams}.items():
            if not isinstance(getattr(self, name), cls):
                raise TypeError(
                    f"Parameters.{name} must be a {cls.__name__}, "
                    f"not {type(getattr(self, name)).__name__}"
                )
        if self.network is not None and self.network not in typing.get_args(Network):
            raise ConfigError(f"[parameters] network must be 'MT' or 'ZLT', not {self.network!r}")
        given = self.routing.network
        if self.network is not None and given is not None and given != self.network:
            raise ConfigError(
                f"[parameters] network = {self.network!r} but [parameters.routing] network = "
                f"{given!r}; set the network once, at the top of [parameters]"
            )
        net: Network = self.network or given or "MT"
        object.__setattr__(self, "network", net)
        object.__setattr__(self, "corridors", self.corridors.resolved(net))
        object.__setattr__(self, "routing", self.routing.resolved(net))

    @property
    def net(self) -> Network:
        """The network variant in use."""
        return self.network or "MT"


def read_parameters(
    raw: Mapping[str, Any] | None, *, location: str = "study file"
) -> Parameters:
    """Build :class:`Parameters` from a study file's ``[parameters]`` table.

    Parameters
    ----------
    raw
        ``network`` and section name -> {key: value} (``[parameters.corridors]``, ...).
    location
        Where `raw` comes from, for messages.

    Returns
    -------
    warmtegis.Parameters
        Validated and frozen.

    Raises
    ------
    ConfigError
        Listing every unknown section or key and every bad value.

    Examples
    --------
    >>> read_parameters({"corridors": {"tree_root_margin_m": 2.0}}).corridors.tree_root_margin_m
    2.0
    >>> read_parameters({"corridors": {"tree_margin": 2.0}})
    Traceback (most recent call last):
    ...
    warmtegis._errors.ConfigError: study file: unknown key 'tree_margin' in [parameters.corridors]; known keys: ...
    """  # noqa: E501
    raw = dict(raw or {})
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    overrides: set[str] = set()
    known = ["network", *SECTIONS, "costs"]
    for name, value in raw.items():
        if name not in known:
            problems.append(
                f"{location}: unknown parameter section [parameters.{name}]; "
                f"known: {', '.join(known)}"
            )
        elif name != "network" and not isinstance(value, Mapping):
            problems.append(f"{location}: [parameters.{name}] must be a table of key = value")
    if "network" in raw:
        kwargs["network"] = raw["network"]
        overrides.add("network")
        if raw["network"] not in typing.get_args(Network):
            problems.append(
                f"{location}: [parameters] network must be 'MT' or 'ZLT', not {raw['network']!r}"
            )
    for name, cls in SECTIONS.items():
        given = raw.get(name)
        if not isinstance(given, Mapping):
            continue
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in given if k not in fields]
        for key in unknown:
            problems.append(
                f"{location}: unknown key {key!r} in [parameters.{name}]; "
                f"known keys: {', '.join(sorted(fields))}"
            )
        try:
            kwargs[name] = cls(**{k: v for k, v in given.items() if k in fields})
        except ConfigError as exc:
            problems.extend(f"{location}: {p}" for p in exc.problems)
        overrides.update(f"{name}.{k}" for k in given if k in fields)
    if isinstance(raw.get("costs"), Mapping):
        try:
            kwargs["costs"] = load_cost_params(
                raw["costs"], location=f"{location} [parameters.costs]"
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
        flat: dict[str, Any] = {}
        _flatten(raw["costs"], "costs.", flat)
        overrides.update(flat)
    if problems:
        raise ConfigError(problems)
    try:
        return Parameters(**kwargs, overrides=frozenset(overrides))
    except ConfigError as exc:
        raise ConfigError([f"{location}: {p}" for p in exc.problems]) from None


def _flatten(node: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        if isinstance(value, Mapping) and "value" not in value:
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value


@functools.cache
def _attribute_notes(cls: Any) -> dict[str, str]:
    """Field name -> its description in the class docstring's Attributes section."""
    doc = (cls.__doc__ or "").split("Attributes\n", 1)[-1]
    notes: dict[str, str] = {}
    names: list[str] = []
    for line in doc.splitlines():
        head = re.match(r"^    ([a-z_, 0-9]+) : ", line)
        if head:
            names = [n.strip() for n in head.group(1).split(",")]
            for n in names:
                notes[n] = ""
        elif names and line.startswith("        "):
            for n in names:
                notes[n] = (notes[n] + " " + line.strip()).strip()
    return notes


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(
            f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}" for k, v in value.items()
        )
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameter_table(parameters: Parameters | None = None) -> pd.DataFrame:
    """Every effective parameter: ``section``, ``key``, ``value``, ``unit``, ``source``, ``origin``.

    ``value`` is text (numbers, lists and tables written out); ``source`` is the documented
    source or reasoning of the figure; ``origin`` says whether the study set it
    (``"study"``), the network chose it (``"network MT"``) or it is the default.

    Examples
    --------
    >>> t = parameter_table(Parameters(network="ZLT"))
    >>> t.set_index(["section", "key"]).loc[("corridors", "trench_width_m"), ["value", "origin"]].tolist()
    ['0.6', 'network ZLT']
    """  # noqa: E501
    p = parameters or Parameters()
    rows: list[tuple[str, str, str, str, str, str]] = []
    rows.append(("", "network", p.net, "", "MT (about 70 °C) or ZLT (below 40 °C), method §2",
                 "study" if "network" in p.overrides else "default"))  # fmt: skip
    from_network = {"corridors.trench_width_m", "routing.network", "routing.supply_temp_c",
                    "routing.return_temp_c"}  # fmt: skip
    for name, cls in SECTIONS.items():
        section = getattr(p, name)
        notes = _attribute_notes(cls)
        for f in dataclasses.fields(cls):
            key = f"{name}.{f.name}"
            if key in p.overrides:
                origin = "study"
            elif key in from_network:
                origin = f"network {p.net}"
            else:
                origin = "default"
            rows.append((name, f.name, _text(getattr(section, f.name)),
                         f.metadata.get("unit", ""), notes.get(f.name, ""), origin))  # fmt: skip
    costs = cost_parameter_table(p.costs)
    variant = p.costs.variant
    if variant:
        rows.append(("costs", "variant", variant, "", cost_variants()[variant]["description"],
                     "study" if "costs.variant" in p.overrides else "default"))  # fmt: skip
    for row in costs.itertuples(index=False):
        key = f"costs.{row.key}"
        if key in p.overrides:
            origin = "study"
        elif variant and str(row.source).startswith(f"variant {variant!r}"):
            origin = f"variant {variant}"
        else:
            origin = "default"
        rows.append(("costs", str(row.key), _text(row.value), str(row.unit), str(row.source),
                     origin))  # fmt: skip
    return pd.DataFrame(rows, columns=["section", "key", "value", "unit", "source", "origin"])
