"""What every parameter section shares: the validated, frozen :class:`Section` base class.

A section validates itself when it is built -- types, minimums, choices (``Literal``), shares in
0..1 and its cross-field rules -- so an object built in Python is checked exactly like one read
from a study file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from warmtegis.core.errors import ConfigError

__all__ = ["NETWORK_DEFAULTS", "Network", "Section"]


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
