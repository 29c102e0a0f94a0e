"""LVBAG deliveries as Kadaster and PDOK ship them: every XML part of one object type.

A municipality or national extract is a zip of per-type zips (``9999PND15092020.zip``), and
each of those holds the type's XML in parts of 10,000 objects (``0221PND15092020-000001.xml``,
``-000002.xml``, ...). GDAL's LVBAG driver reads one part at a time: given the zip or the
unpacked folder of several parts it reports no features at all. :func:`lvbag_parts` lists the
parts of one object type in a zip, a zip of zips, a folder (also of zips) or one XML file, as
paths GDAL opens; the readers read each and stack them (:func:`read_parts`), then keep the
current version of every object (:func:`current_versions`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.inputs._common import gdal_path, is_vsi

__all__ = ["current_versions", "lvbag_parts", "read_parts"]


def _is_part(name: str, code: str) -> bool:
    """Tell an LVBAG file of type `code`: ``0221PND15092020-000001.xml``, ``9999PND....zip``."""
    stem = Path(name).name.upper()
    return len(stem) > 7 and stem[4:7] == code and stem.endswith((".XML", ".ZIP"))


def _zip_parts(zf: zipfile.ZipFile, prefix: str, code: str, depth: int) -> list[str]:
    """List the XML parts of type `code` in an open zip, as GDAL paths under `prefix`."""
    parts = []
    for name in sorted(zf.namelist()):
        if name.endswith("/") or not _is_part(name, code):
            continue
        if name.upper().endswith(".XML"):
            parts.append(f"{prefix}/{name}")
        elif depth < 3:  # a zip of zips (of zips)
            try:
                with zipfile.ZipFile(io.BytesIO(zf.read(name))) as inner:
                    parts += _zip_parts(inner, f"/vsizip/{{{prefix}/{name}}}", code, depth + 1)
            except zipfile.BadZipFile as exc:
                raise InputError(f"{prefix}/{name} is not a readable zip archive ({exc})") from exc
    return parts


def lvbag_parts(path: Path, code: str) -> list[Path]:
    """List the files GDAL reads for LVBAG object type `code` (``PND``, ``VBO``, ``NUM``).

    A zip, a zip of zips or a folder holding parts of that type gives every part; anything else
    (a GeoPackage, a shapefile, one XML file, a zip without LVBAG parts) is returned as the one
    path to read, a zip as GDAL's ``/vsizip/`` path.

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> [p.name for p in lvbag_parts(get_path("lvbag/BAGNLDL-15092020-small.zip"), "PND")]
    ['0221PND15092020-000001.xml']
    """
    path = gdal_path(path)
    if is_vsi(path):
        return _vsi_parts(path, code)
    if path.is_dir():
        parts: list[Path] = []
        for file in sorted(p for p in path.rglob("*") if p.is_file() and _is_part(p.name, code)):
            if file.suffix.lower() == ".zip":
                parts += lvbag_parts(file, code)
            else:
                parts.append(file)
        return parts or [path]
    if path.suffix.lower() != ".zip" or not path.is_file():
        return [path]
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            found = _zip_parts(zf, f"/vsizip/{{{path.resolve()}}}", code, 1)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"cannot open {path} as a zip archive: {exc}") from exc
    if not names:
        raise InputError(f"{path} is an empty zip archive")
    return [Path(p) for p in found] or [Path(f"/vsizip/{{{path.resolve()}}}")]


def _vsi_parts(path: Path, code: str) -> list[Path]:
    """List the parts in a zip inside a zip given as ``/vsizip/{outer.zip}/inner.zip``."""
    m = re.fullmatch(r"/vsizip/\{(.+?)\}/(.+\.zip)", str(path), flags=re.IGNORECASE)
    if m is None:
        return [path]
    try:
        with (
            zipfile.ZipFile(m.group(1)) as outer,
            zipfile.ZipFile(io.BytesIO(outer.read(m.group(2)))) as inner,
        ):
            found = _zip_parts(inner, f"/vsizip/{{{path}}}", code, 2)
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise InputError(f"cannot open {path} as a zip archive in a zip: {exc}") from exc
    return [Path(p) for p in found] or [Path(f"/vsizip/{{{path}}}")]


def read_parts(
    path: Path, code: str, read: Callable[[Path], pd.DataFrame], what: str
) -> pd.DataFrame:
    """Read every LVBAG part of `code` in `path` with `read` and stack them in one frame.

    The frame keeps the first part's ``attrs`` with ``source_path`` set to `path`.
    """
    parts = lvbag_parts(path, code)
    if len(parts) == 1:
        return read(parts[0])
    frames = [read(p) for p in parts]
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {**frames[0].attrs, "source_path": str(path)}
    log(f"{path}: read {len(out)} {what} from {len(parts)} LVBAG parts")
    return out


def current_versions(frame: pd.DataFrame, id_col: str, location: str) -> pd.DataFrame:
    """Keep one row per object: the latest ``voorkomenIdentificatie`` (or ``beginGeldigheid``).

    An LVBAG extract with history, or parts from two deliveries, holds several versions
    (voorkomens) of one object; the latest is the current one. Without those columns the frame
    is returned as it is.

    Examples
    --------
    >>> f = pd.DataFrame({"identificatie": ["a", "a", "b"], "voorkomenIdentificatie": [1, 2, 1],
    ...                   "x": [10, 20, 30]})
    >>> current_versions(f, "identificatie", "f")["x"].tolist()
    [20, 30]
    """
    order = next(
        (c for c in ("voorkomenIdentificatie", "beginGeldigheid") if c in frame.columns), None
    )
    if order is None or id_col not in frame.columns or not frame[id_col].duplicated().any():
        return frame
    key = pd.to_numeric(frame[order], errors="coerce") if order[0] == "v" else frame[order]
    latest = (
        frame.assign(_order=key).sort_values("_order", kind="stable").index.to_series()
        .groupby(frame[id_col]).last()
    )  # fmt: skip
    keep = frame.index.isin(latest.to_numpy())
    log(f"{location}: kept the current version of {int(frame[id_col].nunique())} objects, "
        f"left out {int((~keep).sum())} earlier versions (voorkomens)")  # fmt: skip
    return frame[keep]
