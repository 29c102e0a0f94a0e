"""Model parameters: typed, validated sections that a study file's ``[parameters]`` overrides.

Each stage registers one frozen dataclass per section (``[parameters.corridors]``, ...) whose
fields carry a documented default, a unit and its source. :func:`parse_parameters` checks a
study's overrides against them: unknown sections or keys, wrong types and out-of-range values
are all reported together as one :class:`~warmtegis.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import ConfigError

__all__ = ["PARSERS", "SECTIONS", "parse_parameters", "register", "register_parser"]

#: Registered parameter sections: name -> frozen dataclass with defaults.
SECTIONS: dict[str, type] = {}
#: Sections with their own nested file format: name -> parser(overrides, location=...) that
#: returns the section's object and raises ConfigError (e.g. ``costs``, a nested TOML file).
PARSERS: dict[str, Callable[..., Any]] = {}


def register(name: str) -> Any:
    """Class decorator registering a frozen dataclass as parameter section `name`."""

    def wrap(cls: type) -> type:
        SECTIONS[name] = cls
        return cls

    return wrap


def register_parser(name: str, parser: Callable[..., Any]) -> None:
    """Register `parser(overrides, location=...)` as the reader of section `name`."""
    PARSERS[name] = parser


def _check_value(
    section: str, field: dataclasses.Field[Any], value: Any, hint: Any, problems: list[str]
) -> Any:
    origin = typing.get_origin(hint)
    where = f"[parameters.{section}] {field.name}"
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where} must be a number, not {value!r}")
            return value
        value = float(value)
        minimum = field.metadata.get("min", 0.0)
        if value < minimum:
            problems.append(f"{where} must be >= {minimum}, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where} must be an integer, not {value!r}")
        elif value < field.metadata.get("min", 0):
            problems.append(f"{where} must be >= {field.metadata.get('min', 0)}, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(f"{where} must be true or false, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            problems.append(f"{where} must be text, not {value!r}")
        choices = field.metadata.get("choices")
        if choices and value not in choices:
            problems.append(f"{where} must be one of {', '.join(choices)}, not {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where} must be a list of text values, not {value!r}")
            return value
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
        return types.MappingProxyType({str(k): float(v) for k, v in value.items() if k not in bad})
    return value  # pragma: no cover - every registered field type is handled above


def parse_parameters(
    raw: Mapping[str, Any] | None, *, location: str = "study file"
) -> dict[str, Any]:
    """Build every registered parameter section from defaults and the study's overrides.

    Parameters
    ----------
    raw
        The ``[parameters]`` table of a study file: section name -> {key: value}.
    location
        Where `raw` comes from, for messages.

    Returns
    -------
    dict
        Section name -> frozen dataclass instance, for every registered section.

    Raises
    ------
    ConfigError
        Listing every unknown section or key and every bad value.
    """
    raw = dict(raw or {})
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, parser in PARSERS.items():
        try:
            out[name] = parser(raw.get(name), location=f"{location} [parameters.{name}]")
        except ConfigError as exc:
            problems.extend(exc.problems)
    for name in raw:
        if name in PARSERS:
            continue
        if name not in SECTIONS:
            problems.append(
                f"{location}: unknown parameter section [parameters.{name}]; "
                f"known sections: {', '.join(sorted([*SECTIONS, *PARSERS])) or '(none)'}"
            )
        elif not isinstance(raw[name], Mapping):
            problems.append(f"{location}: [parameters.{name}] must be a table of key = value")
    for name, cls in SECTIONS.items():
        given = raw.get(name, {})
        if not isinstance(given, Mapping):
            continue
        fields = {f.name: f for f in dataclasses.fields(cls)}
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for key, value in given.items():
            if key not in fields:
                problems.append(
                    f"{location}: unknown key {key!r} in [parameters.{name}]; "
                    f"known keys: {', '.join(sorted(fields))}"
                )
                continue
            kwargs[key] = _check_value(name, fields[key], value, hints[key], problems)
        if not problems:
            out[name] = cls(**kwargs)
    if problems:
        raise ConfigError(problems)
    return out
