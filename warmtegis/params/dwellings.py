"""Parameters of the dwelling stages.

Mini-net grouping, heat demand, boreholes, room to drill, insulation and the collective loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from warmtegis import units
from warmtegis.params.base import Section

__all__ = [
    "BoreholeParams",
    "CollectiveLoopParams",
    "DemandParams",
    "DrillingParams",
    "InsulationParams",
    "MiniNetParams",
    "period_bounds",
]


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

    Examples
    --------
    >>> p = MiniNetParams(max_dwellings=6)
    >>> p.min_dwellings, p.max_dwellings
    (2, 6)
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

    Examples
    --------
    >>> p = DemandParams()
    >>> p.full_load_hours  # annual demand / full-load hours = the design peak
    1800.0
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

    Examples
    --------
    The documented defaults, and a value out of range refused as from a study file:

    >>> p = BoreholeParams()
    >>> p.ground_conductivity_w_mk, p.spacing_m
    (2.0, 6.0)
    >>> BoreholeParams(spacing_m=-1)
    Traceback (most recent call last):
    ...
    warmtegis.core.errors.ConfigError: [parameters.boreholes] spacing_m must be >= 1.0, not -1.0
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
    place_without_roads : bool
        Without a road layer, BGT terrain or parcels nothing tells where the public road is,
        and loops placed on the ground around the buildings may land in the street: by default
        (false) room to drill is then not assessed (a counted warning). True places them on
        that ground anyway, and the design sheet and tender say the road was unknown.
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
    place_without_roads: bool = False


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
        (:data:`warmtegis.mini_nets.collective_loop.PE_OUTER_MM`) within this pressure drop (Pa/m).
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
