"""Model parameters: one validated, frozen :class:`Parameters` object with a section per stage.

Every section is a frozen dataclass whose fields carry a documented default (the class
docstring says where each figure comes from). A section validates itself when it is built —
types, minimums, choices (``Literal``), shares in 0..1 and its cross-field rules — so an
object built in Python is checked exactly like one read from a study file:

>>> CorridorParams(trench_width_m=-1)
Traceback (most recent call last):
...
warmtegis.core.errors.ConfigError: [parameters.corridors] trench_width_m must be >= 0.05, not -1.0

:func:`read_parameters` is the one reader of a study file's ``[parameters]`` table. The
top-level ``network = "MT" | "ZLT"`` sets the coupled defaults of both networks (trench
width, design temperatures, the prices the business case uses) unless a section sets them:

>>> p = read_parameters({"network": "ZLT"})
>>> p.corridors.trench_width_m, p.routing.network, p.routing.supply_temp_c
(0.6, 'ZLT', 30.0)

The cost model's figures (value, unit and source per figure, ``warmtegis/data/costs.toml``)
are the ``costs`` section (:class:`~warmtegis.params.costs.CostParams`); :func:`parameter_table`
lists every effective parameter with its unit and source, as written into the GeoPackage.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from warmtegis.core.errors import ConfigError
from warmtegis.params.base import Network
from warmtegis.params.costs import CostParams, cost_parameter_table, cost_variants, load_cost_params
from warmtegis.params.dwellings import (
    BoreholeParams,
    CollectiveLoopParams,
    DemandParams,
    DrillingParams,
    InsulationParams,
    MiniNetParams,
)
from warmtegis.params.street import CorridorParams, RoutingParams

__all__ = ["SECTIONS", "Parameters", "parameter_table", "read_parameters"]


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
        The cost model's figures (:func:`~warmtegis.params.costs.load_cost_params`).
    overrides : frozenset of str
        ``section.key`` of the values a study file set (for the ``parameters`` table).

    Examples
    --------
    >>> p = Parameters(network="ZLT")
    >>> p.corridors.trench_width_m, p.routing.network  # one choice sets both sections
    (0.6, 'ZLT')
    >>> Parameters().corridors.tree_root_margin_m == CorridorParams().tree_root_margin_m
    True
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


def read_parameters(raw: Mapping[str, Any] | None, *, location: str = "study file") -> Parameters:
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
    warmtegis.core.errors.ConfigError: study file: unknown key 'tree_margin' in [parameters.corridors]; known keys: ...
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
