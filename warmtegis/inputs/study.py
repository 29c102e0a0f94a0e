"""Read and validate a study file (``STUDY.toml``, see ``docs`` and docs/outputs.md)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warmtegis import settings
from warmtegis.core.errors import ConfigError, InputError
from warmtegis.core.plausible import nl_bounds
from warmtegis.inputs._common import gdal_path
from warmtegis.params.parameters import Parameters, read_parameters

__all__ = ["INPUT_OPTIONS", "InputSpec", "Study", "read_study"]

#: Inputs a study may name, with the reader options each accepts besides ``path``/``layer``.
INPUT_OPTIONS: dict[str, tuple[str, ...]] = {
    "buildings": ("drop_status", "columns", "crs"),
    # BAG verblijfsobjecten: the register's units per pand (use, count, floor area)
    "verblijfsobjecten": ("columns", "crs"),
    "roads": ("width_column", "function_column", "columns", "crs"),
    "sewers": ("diameter_column", "diameter_unit", "columns", "crs"),
    "trees": (
        "height_column",
        "crown_column",
        "stem_column",
        "crs",
        "x_column",
        "y_column",
        "wkt_column",
        "columns",
    ),
    # water (BGT waterdeel), railways, ...: crossing them costs a drilling (routing)
    "barriers": ("columns", "crs"),
    # open ground where mini nets may drill (BGT begroeid/onbegroeid terreindeel)
    "terrain": ("columns", "crs"),
    # cadastral parcels (BRK perceel): a mini net drills on its members' own parcels
    "parcels": ("columns", "crs"),
    # BAG nummeraanduidingen: the addresses of the residents' page (warmtegis residents)
    "addresses": ("columns",),
    # CBS buurten: per-buurt counts (residents' page, dwelling check)
    "buurten": ("columns", "crs"),
}
# roads are optional: without them the study runs the buildings and mini-net stages only
_REQUIRED_INPUTS = ("buildings",)
_TOP_KEYS = ("study", "inputs", "source", "parameters")


@dataclass(frozen=True)
class InputSpec:
    """One input of a study: absolute path, optional layer, reader options."""

    path: Path
    layer: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A validated study.

    Attributes
    ----------
    name : str
        Study name (used for output file names).
    path : pathlib.Path
        The study file.
    inputs : dict
        Input name (``buildings``, ``roads``, ``sewers``, ``trees``, ``barriers``,
        ``terrain``, ``verblijfsobjecten``) ->
        :class:`InputSpec`.
    source : tuple of float or None
        Heat source (x, y) in EPSG:28992, or None.
    parameters : Parameters
        The validated parameters (defaults and the file's ``[parameters]``).

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> study = read_study(get_path("otterlo/study.toml"))
    >>> study.name, sorted(study.inputs), study.source
    ('otterlo', ['buildings', 'roads', 'sewers', 'terrain', 'trees'], (181200.0, 457300.0))
    """

    name: str
    path: Path
    inputs: dict[str, InputSpec]
    source: tuple[float, float] | None
    parameters: Parameters

    def require(self, names: dict[str, str], what: str) -> None:
        """Refuse the study before any stage runs when `what` needs inputs it lacks.

        `names` maps each needed input to an example entry for the study file.

        Examples
        --------
        >>> from warmtegis.datasets import get_path
        >>> read_study(get_path("otterlo/study.toml")).require(
        ...     {"addresses": 'addresses = { path = "bag.gpkg", layer = "nummeraanduiding" }'},
        ...     "the residents' page")
        Traceback (most recent call last):
        ...
        warmtegis.core.errors.ConfigError: ...study.toml: the residents' page needs the input ...
        """
        missing = [n for n in names if n not in self.inputs]
        if missing:
            raise ConfigError(
                [
                    f"{self.path}: {what} needs the input {n!r} in [inputs], e.g. {names[n]}"
                    for n in missing
                ]
            )


def _unknown(keys: Any, allowed: Any, where: str, problems: list[str]) -> None:
    for key in keys:
        if key not in allowed:
            problems.append(f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}")


def read_study(path: str | Path) -> Study:
    """Read a ``STUDY.toml`` and check it completely before any data is read.

    Paths of inputs are relative to the study file. Every problem (unknown key, missing
    file, wrong type, missing required input, bad parameter) is collected and raised once.

    Parameters
    ----------
    path
        The study file.

    Returns
    -------
    Study
        The validated study.

    Raises
    ------
    ConfigError
        Listing every problem found.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> study = read_study(get_path("wageningen/study.toml"))
    >>> study.inputs["roads"].path.name
    'nwb_wegvakken.gpkg'
    """
    # Long function: each section of the study file checked in turn, every problem collected into
    # one error
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"study file not found: {path}; check the path and the file name")
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise ConfigError(
            f"cannot read the study file {path}: permission denied; make it readable "
            f"(chmod u+r {path.name}) or copy it to a folder of yours"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if not text.strip():
        raise ConfigError(
            f"the study file {path} is empty ({len(text.encode())} bytes); it needs at least "
            '[inputs] buildings = "..." (see the bundled otterlo/study.toml)'
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    problems: list[str] = []
    _unknown(data, _TOP_KEYS, str(path), problems)

    meta = data.get("study", {})
    if not isinstance(meta, dict):
        problems.append(f"{path}: [study] must be a table")
        meta = {}
    _unknown(meta, ("name", "description"), f"{path} [study]", problems)
    name = meta.get("name", path.stem)
    if not isinstance(name, str) or not name:
        problems.append(f"{path} [study] name must be non-empty text")
        name = path.stem

    inputs: dict[str, InputSpec] = {}
    raw_inputs = data.get("inputs", {})
    if not isinstance(raw_inputs, dict):
        problems.append(f"{path}: [inputs] must be a table")
        raw_inputs = {}
    _unknown(raw_inputs, tuple(INPUT_OPTIONS), f"{path} [inputs]", problems)
    for key in _REQUIRED_INPUTS:
        if key not in raw_inputs:
            problems.append(f"{path} [inputs]: {key!r} is required (a file path)")
    for key, value in raw_inputs.items():
        if key not in INPUT_OPTIONS:
            continue
        where = f"{path} [inputs] {key}"
        if isinstance(value, str):
            value = {"path": value}
        if not isinstance(value, dict) or "path" not in value:
            problems.append(f"{where} must be a path or a table with path = ...")
            continue
        allowed = ("path", "layer", *INPUT_OPTIONS[key])
        _unknown(value, allowed, where, problems)
        raw_path = str(value["path"])
        if raw_path.startswith("/vsi"):  # a GDAL virtual path (/vsizip/...): GDAL checks it
            try:
                file = gdal_path(raw_path)
            except InputError as exc:
                problems.append(f"{where}: {exc}")
                continue
        else:
            file = (path.parent / raw_path).resolve()
            if not file.exists():
                problems.append(
                    f"{where}: file not found: {file} (paths are relative to the study file)"
                )
            elif not os.access(file, os.R_OK):
                problems.append(
                    f"{where}: cannot read {file}: permission denied; make it readable "
                    "(chmod u+r) or copy it to a folder of yours"
                )
        columns = value.get("columns")
        if columns is not None and not (
            isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())
        ):
            problems.append(
                f"{where}: columns must be a table of names, e.g. "
                'columns = { identificatie = "pand_id" }'
            )
        layer = value.get("layer")
        if layer is not None and not isinstance(layer, str):
            problems.append(f"{where}: layer must be text")
        options = {k: v for k, v in value.items() if k in INPUT_OPTIONS[key]}
        inputs[key] = InputSpec(path=file, layer=layer, options=options)

    source = None
    raw_source = data.get("source")
    if raw_source is not None:
        if not isinstance(raw_source, dict):
            problems.append(f"{path}: [source] must be a table with x and y")
        else:
            _unknown(raw_source, ("x", "y", "name"), f"{path} [source]", problems)
            x, y = raw_source.get("x"), raw_source.get("y")
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
                problems.append(f"{path} [source]: x and y must be numbers (EPSG:28992 metres)")
            else:
                source = (float(x), float(y))  # type: ignore[arg-type]

                x0, y0, x1, y1 = nl_bounds()
                sx, sy = source
                if settings.within_netherlands and not (x0 <= sx <= x1 and y0 <= sy <= y1):
                    problems.append(
                        f"{path} [source]: ({x}, {y}) lies outside the Netherlands "
                        f"(EPSG:28992's area of use, x {x0:,.0f} to {x1:,.0f}, y {y0:,.0f} to "
                        f"{y1:,.0f}); give x and y in RD metres (EPSG:28992), not degrees"
                    )

    try:
        parameters = read_parameters(data.get("parameters"), location=str(path))
    except ConfigError as exc:
        problems.extend(exc.problems)
        parameters = Parameters()
    if problems:
        raise ConfigError(problems)
    return Study(name=name, path=path, inputs=inputs, source=source, parameters=parameters)
