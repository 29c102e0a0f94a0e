"""Parameters of the street stages: trench corridors and the routing of the trunk."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal

from warmtegis.params.base import NETWORK_DEFAULTS, Network, Section

__all__ = ["CorridorParams", "RoutingParams"]


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

    Examples
    --------
    >>> p = CorridorParams(tree_root_margin_m=2.0)
    >>> p.tree_root_margin_m, p.trench_width_m  # None: the network's trench (1.2 m MT, 0.6 m ZLT)
    (2.0, None)
    >>> from warmtegis.params import Parameters
    >>> Parameters(corridors=p).corridors.trench_width_m  # resolved in the whole parameter set
    1.2
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
        return dataclasses.replace(self, trench_width_m=NETWORK_DEFAULTS[network]["trench_width_m"])

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
        Steiner method (:data:`~warmtegis.network.steiner.METHODS`). Default ``"improved"``.
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

    Examples
    --------
    >>> p = RoutingParams(network="ZLT").resolved()
    >>> p.network, p.supply_temp_c, p.return_temp_c  # the ZLT design temperatures follow
    ('ZLT', 30.0, 22.0)
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
