"""Sewers: any line layer with a diameter, SUFRIB 2.1 inspection files (.RIB)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import check_coordinates, in_range
from warmtegis.core.types import PathLike
from warmtegis.core.validate import find_column, where
from warmtegis.inputs._common import LINES, id_column, read_layer, rename_columns, to_float

__all__ = ["read_sewers", "read_sufrib"]


def _rib_xy(text: str) -> tuple[float, float] | None:
    """``'141406.38/486672.00'`` -> (x, y); blank or malformed -> None."""
    parts = text.strip().replace(",", ".").split("/")
    if len(parts) != 2:
        return None
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (x, y) if np.isfinite(x) and np.isfinite(y) else None


def _rib_mm(text: str) -> float:
    text = text.strip()
    return float(text) if text.isdigit() else np.nan


def read_sufrib(paths: PathLike | Sequence[PathLike]) -> gpd.GeoDataFrame:
    """Read sewer pipes from SUFRIB 2.1 inspection files (``.RIB``, docs/inputs.md).

    Each ``*RIOO`` record is one pipe from its start to its end node; a node's coordinate
    comes from its ``*PUT`` record when there is one, else from the pipe record. Pipes seen
    in several files (re-inspections) are kept once (the unordered node pair). Pipes without
    two coordinates are skipped and counted. Of several files, one that is no SUFRIB file
    (no ``*ALGE`` header: a fragment, an empty file) is skipped with a warning naming it.

    Parameters
    ----------
    paths
        One ``.RIB`` file or several of one area.

    Returns
    -------
    geopandas.GeoDataFrame
        Lines in EPSG:28992 with ``sewer_id`` (the pipe reference), ``node_from``,
        ``node_to``, ``street``, ``profile`` (shape code), ``height_mm``, ``width_mm`` and
        ``diameter_mm`` (the profile width, else its height).
    """
    # Long function: the fixed-width SUFRIB records parsed file by file, then joined and
    # checked in one place
    files = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    rows: list[dict[str, Any]] = []
    puts: dict[str, tuple[float, float]] = {}
    skipped = 0
    skipped_files: list[str] = []
    for file in files:
        try:
            text = file.read_bytes().decode("latin-1")
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from exc
        lines = text.splitlines()
        if not lines or not lines[0].startswith("*ALGE"):
            problem = (
                f"{file} is not a SUFRIB file: it must start with an *ALGE record "
                f"(found {lines[0][:20]!r} )"
                if lines
                else f"{file} is empty"
            )
            if len(files) == 1:
                raise InputError(problem)
            # a folder as shipped may hold a fragment (a cut-off copy of another file's
            # records): the other files still give their pipes
            log(f"{problem}; skipped, the other files are read", logging.WARNING)
            skipped_files.append(file.name)
            continue
        for line in lines:  # node coordinates are applied once every file is read
            if line.startswith("*PUT"):
                xy = _rib_xy(line[36:55])
                if xy is not None:
                    puts[line[5:35].strip()] = xy
                continue
            if not line.startswith("*RIOO"):
                continue
            rows.append(
                {
                    "sewer_id": line[6:36].strip(),
                    "node_from": line[88:118].strip(),
                    "xy_from": _rib_xy(line[119:138]),
                    "node_to": line[139:169].strip(),
                    "xy_to": _rib_xy(line[170:189]),
                    "street": line[200:230].strip(),
                    "profile": line[396:398].strip(),
                    "height_mm": _rib_mm(line[399:403]),
                    "width_mm": _rib_mm(line[404:408]),
                    "file": file.name,
                }
            )
    if not rows:
        raise InputError(f"{', '.join(map(str, files))}: no *RIOO (pipe) records")
    files = [f for f in files if f.name not in skipped_files]
    frame = pd.DataFrame(rows)
    for end in ("from", "to"):
        frame[f"xy_{end}"] = [
            puts.get(n, xy) for n, xy in zip(frame[f"node_{end}"], frame[f"xy_{end}"], strict=True)
        ]
    ok = frame["xy_from"].notna() & frame["xy_to"].notna()
    skipped = int((~ok).sum())
    frame = frame[ok]
    ends = zip(frame["node_from"], frame["node_to"], frame["sewer_id"], strict=True)
    pair = [
        "|".join(sorted((a, b))) if a and b else f"{sid}#{i}" for i, (a, b, sid) in enumerate(ends)
    ]
    dup = pd.Series(pair, index=frame.index).duplicated()
    frame = frame[~dup.to_numpy()]
    coords = np.stack(
        [np.array(frame["xy_from"].tolist()), np.array(frame["xy_to"].tolist())], axis=1
    )
    geoms = shapely.linestrings(coords)
    frame = frame.drop(columns=["xy_from", "xy_to"])
    frame["diameter_mm"] = frame["width_mm"].where(frame["width_mm"] > 0, frame["height_mm"])
    location = ", ".join(map(str, files))
    if skipped or dup.any():
        log(
            f"{location}: {skipped} pipes without two coordinates skipped, "
            f"{int(dup.sum())} repeated pipes (re-inspections) kept once",
            logging.WARNING if skipped else logging.INFO,
        )
    gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geoms, crs=settings.crs)
    zero = gdf.length.to_numpy() == 0
    if zero.any():
        log(f"{location}: {int(zero.sum())} pipes of zero length skipped", logging.WARNING)
        gdf = gdf[~zero].reset_index(drop=True)
    gdf = check_coordinates(gdf, location)
    gdf.attrs["source_path"] = location
    log(f"SUFRIB: {len(gdf)} pipes from {len(files)} file(s), {gdf.length.sum() / 1000:.2f} km")
    return gdf


def read_sewers(
    path: PathLike,
    *,
    layer: str | None = None,
    diameter_column: str | None = None,
    diameter_unit: Literal["auto", "mm", "m"] = "auto",
    columns: Mapping[str, str] | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read sewer pipes: any line layer (GWSW extract, 3Di ``leiding``) or SUFRIB ``.RIB``.

    Parameters
    ----------
    path
        Vector file with sewer lines, a SUFRIB 2.1 ``.RIB`` file or a folder of them
        (:func:`read_sufrib`; diameters in mm).
    layer
        Layer name; optional for single-layer files or layers called ``leiding``/``riool``.
    diameter_column
        Column with the pipe diameter or width. Default: the first of ``diameter_m,
        diameter, diameter_mm, breedte_leiding, cross_section_width, leidingdiameter`` that
        exists; no such column gives ``diameter_m = NaN``.
    diameter_unit
        ``"mm"``, ``"m"`` or ``"auto"``: values with a median above 10 are millimetres
        (sewers are 0.1-3 m wide), otherwise metres. The choice is logged. Diameters outside
        0.05-5 m are read as unknown and counted in a warning.
    columns
        ``{name warmtegis looks for: column in the file}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Sewer lines in EPSG:28992 with ``sewer_id`` and ``diameter_m``.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> s = read_sewers(get_path("bergermeer/riool_leidingen.gpkg"))
    >>> s.crs.to_epsg(), bool(s["diameter_m"].dropna().between(0.05, 5).all())
    (28992, True)
    """
    path = Path(path)
    if diameter_unit not in ("auto", "mm", "m"):
        raise InputError(f"diameter_unit must be 'auto', 'mm' or 'm', not {diameter_unit!r}")
    if path.suffix.lower() == ".rib" or (path.is_dir() and list(path.glob("*.[rR][iI][bB]"))):
        ribs = sorted(path.glob("*.[rR][iI][bB]")) if path.is_dir() else [path]
        gdf = rename_columns(read_sufrib(ribs), columns, str(path))
        location = str(path)
        if diameter_column is None and "diameter_mm" in gdf:
            diameter_column, diameter_unit = "diameter_mm", "mm"
    else:
        gdf = read_layer(
            path,
            layer,
            geometry_types=LINES,
            required_columns=[diameter_column] if diameter_column else [],
            preferred_layers=("leiding", "riool", "sewers", "rioolleiding"),
            what="sewer lines",
            columns=columns,
            crs=crs,
        )
        location = where(path, gdf.attrs.get("source_layer"))
    dcol = find_column(
        gdf,
        diameter_column,
        (
            "diameter_m",
            "diameter",
            "diameter_mm",
            "breedte_leiding",
            "cross_section_width",
            "leidingdiameter",
            "dn",
        ),
    )
    out = gdf.copy()
    candidates = ("sewer_id", "code", "lokaalID", "gml_id", "id", "fid")
    out["sewer_id"] = id_column(gdf, candidates, location)
    if dcol is None:
        out["diameter_m"] = np.nan
        log(f"{location}: no diameter column; sewer diameters unknown")
    else:
        values = to_float(gdf[dcol], location, dcol)
        unit = diameter_unit
        if unit == "auto":
            median = values.median()
            unit = "mm" if (pd.notna(median) and median > 10) or dcol.endswith("_mm") else "m"
        values = values / 1000.0 if unit == "mm" else values
        out["diameter_m"] = in_range(values, "diameter_m", location, f"{dcol} ({unit})")
        log(
            f"{location}: sewer diameter from column {dcol!r} read as {unit} "
            f"(median {out['diameter_m'].median():.3f} m)"
        )
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    log(f"sewers: {len(out)} lines, {out.length.sum() / 1000:.2f} km")
    return out
