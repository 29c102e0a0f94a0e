"""BAG panden and verblijfsobjecten: PDOK, LVBAG deliveries, BAG exports, BGT, OSM buildings."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.plausible import in_range, unique_ids
from warmtegis.core.types import PathLike
from warmtegis.core.validate import Problems, where
from warmtegis.inputs._common import (
    POLYGONS,
    choose_layer,
    id_column,
    read_layer,
    rename_columns,
    to_float,
    to_int,
    to_str_ids,
)
from warmtegis.inputs.lvbag import current_versions, read_parts
from warmtegis.inputs.osm import is_osm, read_osm_buildings

__all__ = [
    "BAG_DROP_STATUS",
    "PDOK_SHORT_NAMES",
    "PDOK_VBO_NAMES",
    "attach_verblijfsobjecten",
    "read_addresses",
    "read_buildings",
    "read_verblijfsobjecten",
]

#: Status values of buildings that do not (or no longer) exist and are dropped on reading:
#: OSM ``building`` values that carry a life-cycle state, as the BAG status they stand for
#: (``demolished``, ``destroyed`` and ``ruins`` are dropped as not existing)
_OSM_STATUS = {
    "construction": "Bouw gestart",
    "demolished": "demolished",
    "destroyed": "destroyed",
    "ruins": "ruins",
    "disused": "Pand buiten gebruik",
    "abandoned": "Pand buiten gebruik",
}

#: BAG ``status`` values and the BGT ``bgt-status`` value ``historie``.
BAG_DROP_STATUS: tuple[str, ...] = (
    "Niet gerealiseerd pand",
    "Pand gesloopt",
    "Pand ten onrechte opgevoerd",
    "historie",
)


def _bag_id(values: pd.Series) -> pd.Series:
    """Normalise BAG pand ids to 16 digits ('NL.IMBAG.Pand.0221...' and lost zeros)."""
    text = to_str_ids(values).str.replace(r"^NL\.IMBAG\.Pand\.", "", regex=True)
    digits = text.str.fullmatch(r"\d{1,16}")
    return text.where(~digits, text.str.zfill(16))


def read_buildings(
    path: PathLike,
    *,
    layer: str | None = None,
    drop_status: Iterable[str] = BAG_DROP_STATUS,
    columns: Mapping[str, str] | None = None,
    crs: str | None = None,
    verblijfsobjecten: PathLike | gpd.GeoDataFrame | None = None,
    verblijfsobjecten_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read building footprints: BAG pand, LVBAG, BGT pand or OpenStreetMap buildings.

    The kind is recognised from the columns: BAG (``identificatie`` with ``bouwjaar``),
    LVBAG (``oorspronkelijkBouwjaar``), BGT (``bag_pand_id``), an ``.osm`` file, or any
    polygon layer. Buildings whose status says they do not exist (`drop_status`; BAG
    ``status``, BGT ``bgt-status``, OSM ``building=demolished``) and historical LVBAG
    versions (``eindGeldigheid`` set) are dropped with a count in the log.

    Parameters
    ----------
    path
        GeoPackage/GML/shapefile of footprints, or an OSM XML file (``.osm``, ``.osm.bz2``).
    layer
        Layer name; optional for single-layer files or a layer called ``pand``.
    drop_status
        Status values to drop.
    columns
        ``{BAG name: column in the file}`` for columns under other names, e.g.
        ``{"identificatie": "pand_id", "aantal_verblijfsobjecten": "n_vbo"}``. The
        10-character names of PDOK's shapefile export (``identifica``, ``gebruiksdo``,
        ``oppervlakt``, ``oppervla_1``, ``aantal_ver``, ``oorspronke``) are recognised
        without it, with a warning.
    verblijfsobjecten
        BAG verblijfsobjecten (a file or a frame, :func:`read_verblijfsobjecten`): each
        pand's use, number of units and floor area are then counted from them, which is the
        register's own count (panden without a verblijfsobject have none).
    verblijfsobjecten_layer
        Layer of the verblijfsobjecten file.

    Returns
    -------
    geopandas.GeoDataFrame
        Footprints in EPSG:28992 with the normalised building columns (see module docs).

    Examples
    --------
    >>> from warmtegis.datasets import get_path
    >>> b = read_buildings(get_path("wageningen/bag_pand.gpkg"))
    >>> len(b), b.crs.to_epsg(), bool(b["building_id"].str.len().eq(16).all())
    (1000, 28992, True)
    """
    # Long function: one reader for every building source (BAG, LVBAG, PDOK shapefile, BGT, OSM),
    # whose branches end in the same checks
    path = Path(path)
    if is_osm(path):
        gdf = read_osm_buildings(path)
        location = str(path)
    else:
        gdf = read_parts(
            path,
            "PND",
            lambda part: read_layer(
                part,
                layer,
                geometry_types=POLYGONS,
                preferred_layers=("pand", "Pand", "buildings", "building"),
                what="buildings",
                columns=columns,
                crs=crs,
            ),
            "buildings",
        )
        location = where(path, gdf.attrs.get("source_layer"))
        gdf = current_versions(gdf, "identificatie", location)
        gdf = _pdok_names(gdf, location)
    out = gdf.copy()
    cols = set(gdf.columns)
    if is_osm(path):
        kind = "osm"
        out["building_id"] = gdf["osm_id"]
        year = (
            gdf["start_date"].astype("string").str.extract(r"(\d{4})")[0]
            if "start_date" in cols
            else pd.Series(pd.NA, index=gdf.index)
        )
        out["year_built"] = to_int(year)
        # OSM has no register status: only its lifecycle values say a building is not in
        # use; the building tag itself (house, apartments, school) is read by the classifier
        tag = gdf["building"].astype("string").str.lower()
        out["status"] = tag.map(_OSM_STATUS).astype("string")
        out["use"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
        flats = gdf["building:flats"] if "building:flats" in cols else pd.NA
        out["n_units"] = to_int(pd.Series(flats, index=gdf.index))
    else:
        if "oorspronkelijkbouwjaar" in cols and "oorspronkelijkBouwjaar" not in cols:
            out = out.rename(columns={"oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar"})
            gdf = gdf.rename(columns={"oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar"})
            cols = set(gdf.columns)
        if "oorspronkelijkBouwjaar" in cols:
            kind, year_col = "lvbag", "oorspronkelijkBouwjaar"
        elif "bouwjaar" in cols:
            kind, year_col = "bag", "bouwjaar"
        elif "bag_pand_id" in cols:
            kind, year_col = "bgt", None
        else:
            kind, year_col = "polygons", None
        id_col = {"lvbag": "identificatie", "bag": "identificatie", "bgt": "bag_pand_id"}.get(kind)
        if id_col is not None and id_col not in cols:
            raise InputError(
                f"{location} looks like {kind.upper()} data but has no column "
                f"{id_col!r} (the pand id); columns present: "
                f"{', '.join(map(str, gdf.columns))}"
            )
        if id_col is not None:
            ids = _bag_id(gdf[id_col])
            if "lokaalID" in cols:
                # BGT: several polygons may share a pand id, and '...9999999999' means
                # "no BAG link"; those get their unique BGT lokaalID instead
                shared = ids.duplicated(keep=False) | (ids == "") | ids.str.endswith("99999999")
                ids = ids.where(~shared, gdf["lokaalID"].astype(str))
            out["building_id"] = ids
            odd = ~ids.str.fullmatch(r"\d{16}")
            if kind != "bgt" and odd.any():
                log(
                    f"{location}: {int(odd.sum())} buildings have an id in {id_col!r} that is "
                    f"not a 16-digit BAG pand id, e.g. {ids[odd].iloc[0]!r}",
                    logging.WARNING,
                )
        else:
            out["building_id"] = id_column(
                gdf, ("identificatie", "lokaalID", "gml_id", "id", "fid"), location
            )
        year = gdf[year_col] if year_col else pd.Series(pd.NA, index=gdf.index)
        if year_col:
            year = in_range(to_float(year, location, year_col), "year_built", location, year_col)
        out["year_built"] = to_int(year)
        status_col = (
            "status" if "status" in cols else ("bgt-status" if "bgt-status" in cols else None)
        )
        out["status"] = gdf[status_col].astype("string") if status_col else pd.NA
        out["use"] = gdf["gebruiksdoel"].astype("string") if "gebruiksdoel" in cols else pd.NA
        out["n_units"] = (
            to_int(
                in_range(
                    to_float(gdf["aantal_verblijfsobjecten"], location, "aantal_verblijfsobjecten"),
                    "n_units",
                    location,
                    "aantal_verblijfsobjecten",
                )
            )
            if "aantal_verblijfsobjecten" in cols
            else pd.Series(pd.NA, index=gdf.index, dtype="Int64")
        )
        if kind == "bag":
            lacking = [c for c in ("gebruiksdoel", "aantal_verblijfsobjecten") if c not in cols]
            if lacking:
                log(
                    f"{location} looks like BAG panden but has no column "
                    f"{' or '.join(map(repr, lacking))}: use and dwellings per pand will be "
                    "guessed from the footprint (counted in the buildings stage); name the "
                    "columns with columns = {...} or give the verblijfsobjecten",
                    logging.WARNING,
                )
    for src, dst in (
        ("oppervlakte_min", "floor_area_min_m2"),
        ("oppervlakte_max", "floor_area_max_m2"),
    ):
        out[dst] = (
            in_range(to_float(gdf[src], location, src), "floor_area_m2", location, src)
            if src in cols
            else np.nan
        )
    out["footprint_m2"] = out.geometry.area
    out["source"] = kind
    out["n_units"] = out["n_units"].astype("Int64")
    out["year_built"] = out["year_built"].astype("Int64")

    drop = out["status"].isin(list(drop_status)).fillna(False).astype(bool)
    if kind == "osm":
        drop |= out["status"].isin(["demolished", "destroyed", "ruins"]).fillna(False).astype(bool)
    if "eindGeldigheid" in cols:
        drop |= gdf["eindGeldigheid"].notna()
    if drop.any():
        counts = out.loc[drop, "status"].fillna("ended (eindGeldigheid set)").value_counts()
        detail = ", ".join(f"{n} {s!r}" for s, n in counts.items())
        log(f"{location}: dropped {int(drop.sum())} buildings that do not exist: {detail}")
        out = out.loc[~drop]
    if len(out) == 0:
        raise InputError(
            f"{location}: no existing buildings left after dropping status "
            f"values {list(drop_status)}"
        )
    out["building_id"] = unique_ids(out["building_id"], location, "building_id")
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=gdf.geometry.name, crs=settings.crs)
    if verblijfsobjecten is not None:
        vbo = (
            verblijfsobjecten
            if isinstance(verblijfsobjecten, gpd.GeoDataFrame)
            else read_verblijfsobjecten(verblijfsobjecten, layer=verblijfsobjecten_layer)
        )
        out = attach_verblijfsobjecten(out, vbo)
    log(f"buildings: {len(out)} {kind} footprints, {out['footprint_m2'].sum() / 1e4:.1f} ha")
    return out


#: The 10-character field names of PDOK's BAG shapefile export and what they stand for.
PDOK_SHORT_NAMES: Mapping[str, str] = {
    "identifica": "identificatie",
    "gebruiksdo": "gebruiksdoel",
    "oppervlakt": "oppervlakte_min",
    "oppervla_1": "oppervlakte_max",
    "aantal_ver": "aantal_verblijfsobjecten",
    "oorspronke": "oorspronkelijkBouwjaar",
    "oorspronkelijkbouwjaar": "oorspronkelijkBouwjaar",
}

#: The same for PDOK's verblijfsobject layer (WFS names and their shapefile truncations):
#: ``pandidentificatie`` is the pand the unit lies in (the LVBAG's ``pandref``).
PDOK_VBO_NAMES: Mapping[str, str] = {
    "identifica": "identificatie",
    "pandidentificatie": "pandref",
    "pandidenti": "pandref",
    "gebruiksdo": "gebruiksdoel",
    "oppervlakt": "oppervlakte",
}


def _pdok_names(
    gdf: gpd.GeoDataFrame, location: str, names: Mapping[str, str] = PDOK_SHORT_NAMES
) -> gpd.GeoDataFrame:
    """Rename PDOK's truncated shapefile names to the BAG names, with a warning."""
    rename = {
        short: full
        for short, full in names.items()
        if short in gdf.columns and full not in gdf.columns
    }
    if not rename:
        return gdf
    log(
        f"{location}: read the truncated column names of a shapefile export as BAG names: "
        + ", ".join(f"{a!r} as {b!r}" for a, b in rename.items())
        + " (give columns = {...} if that guess is wrong)",
        logging.WARNING if any(len(k) == 10 for k in rename) else logging.INFO,
    )
    return gdf.rename(columns=rename)


_VBO_GONE = (
    "Niet gerealiseerd verblijfsobject",
    "Verblijfsobject ingetrokken",
    "Verblijfsobject ten onrechte opgevoerd",
)


def _as_list(value: Any) -> list[str]:
    """Return a BAG list field as a list: from a list (LVBAG) or ``{a,b}`` text (export)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value if v is not None]
    text = str(value).strip().strip("{}[]")
    return [t.strip().strip('"') for t in text.split(",") if t.strip()]


def _column_lookup(
    frame: pd.DataFrame, location: str, need: Mapping[str, str], *, hint: bool = False
) -> tuple[Any, dict[str, Any]]:
    """Find columns by lower-case name; raise for every one of `need` (name -> why) missing.

    Returns ``col(name)`` (the column, or all-missing when absent) and the lower-case map.
    With `hint` each message says how to name a differently called column.
    """
    lower = {str(c).lower(): c for c in frame.columns}
    problems = Problems()
    for key, why in need.items():
        if key not in lower:
            problems.add(
                f"{location} has no column {key!r}{f' ({why})' if why else ''}; columns present: "
                f"{', '.join(map(str, frame.columns))}"
                + (f' (give columns = {{ {key} = "..." }})' if hint else "")
            )
    problems.raise_if_any()

    def col(name: str) -> pd.Series:
        return frame[lower[name]] if name in lower else pd.Series(pd.NA, index=frame.index)

    return col, lower


def read_verblijfsobjecten(
    path: PathLike,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read BAG verblijfsobjecten: the register's units, their use, floor area and pand.

    Reads a GeoPackage/shapefile layer (``verblijfsobject``), an LVBAG delivery (zip of
    zips, ``9999VBO*.zip``, XML) or a ``/vsizip/`` path. List fields may be lists (LVBAG)
    or text such as ``{woonfunctie,winkelfunctie}`` (a BAG database export).

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``vbo_id``, ``pand_id`` (16 digits; a unit in several panden has one row
        per pand), ``use`` (uses joined with ``,``), ``floor_area_m2``, ``status`` and
        ``address_id`` (hoofdadres nummeraanduiding, 16 digits). Withdrawn, never realised
        and ended (``eindGeldigheid`` set) units are dropped with a count.
    """
    # Long function: every LVBAG part read, then each column checked and parsed in the order
    # of the output frame
    path = Path(path)
    gdf = read_parts(
        path,
        "VBO",
        lambda part: read_layer(
            part,
            layer,
            geometry_types=("Point", "MultiPoint", "Polygon", "MultiPolygon"),
            preferred_layers=("verblijfsobject", "Verblijfsobject"),
            what="verblijfsobjecten",
            columns=columns,
            crs=crs,
        ),
        "verblijfsobjecten",
    )
    location = where(path, gdf.attrs.get("source_layer"))
    gdf = _pdok_names(gdf, location, PDOK_VBO_NAMES)
    gdf = current_versions(gdf, "identificatie", location)
    col, lower = _column_lookup(
        gdf,
        location,
        {"identificatie": "the unit id", "pandref": "the pand it lies in"},
        hint=True,
    )

    keep = ~col("status").astype("string").isin(_VBO_GONE).fillna(False).astype(bool)
    if "eindgeldigheid" in lower:
        keep &= col("eindgeldigheid").isna()
    if (~keep).any():
        log(f"{location}: dropped {int((~keep).sum())} withdrawn or ended verblijfsobjecten")
    gdf = gdf[keep]
    if gdf.geom_type.isin(POLYGONS).any():
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
    vbo_id = (
        col("identificatie")[gdf.index]
        .astype("string")
        .str.replace(r"^NL\.IMBAG\.Verblijfsobject\.", "", regex=True)
    )
    use = col("gebruiksdoel")[gdf.index].map(lambda v: ",".join(_as_list(v)))
    area = in_range(
        to_float(col("oppervlakte")[gdf.index], location, "oppervlakte"),
        "floor_area_m2",
        location,
        "oppervlakte",
    )
    address = (
        col("hoofdadresnummeraanduidingref")[gdf.index]
        .astype("string")
        .str.replace(r"^NL\.IMBAG\.Nummeraanduiding\.", "", regex=True)
    )
    panden = col("pandref")[gdf.index].map(_as_list)
    out = gpd.GeoDataFrame(
        {
            "vbo_id": unique_ids(vbo_id, location, "identificatie").to_numpy(),
            "pand_id": panden.to_numpy(),
            "use": use.astype("string").to_numpy(),
            "floor_area_m2": area.to_numpy(),
            "status": col("status")[gdf.index].astype("string").to_numpy(),
            "address_id": address.to_numpy(),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=settings.crs,
    ).explode("pand_id", ignore_index=True)
    no_pand = out["pand_id"].isna()
    if no_pand.any():
        log(
            f"{location}: {int(no_pand.sum())} verblijfsobjecten name no pand (pandref) "
            "and are left out",
            logging.WARNING,
        )
        out = out[~no_pand]
    out["pand_id"] = _bag_id(out["pand_id"].astype(str))
    out = out.reset_index(drop=True)
    out.attrs["source_path"] = str(path)
    log(f"verblijfsobjecten: {out['vbo_id'].nunique()} units in {out['pand_id'].nunique()} panden")
    return out


def attach_verblijfsobjecten(
    buildings: gpd.GeoDataFrame, vbo: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Count each pand's units, uses and floor area from its verblijfsobjecten.

    Sets ``n_units`` (units per pand; 0 for a pand without one: a shed, a garage),
    ``n_dwelling_units`` (those whose use includes woonfunctie: the dwellings), ``use``
    (the units' uses, joined with ``,``) and ``floor_area_min_m2``/``floor_area_max_m2``,
    as the BAG's own pand view does. Units whose pand is not among the buildings are
    counted in a warning (the two layers may be cut differently).
    """
    ids = buildings["building_id"].astype(str)
    inside = vbo["pand_id"].isin(set(ids))
    if not inside.any():
        raise InputError(
            f"the verblijfsobjecten ({vbo.attrs.get('source_path', 'given')}) name none of the "
            f"{len(buildings)} panden ({buildings.attrs.get('source_path', 'buildings')}) in "
            "their pandref; are they from the same area and the same BAG delivery?"
        )
    if (~inside).any():
        log(
            f"{int((~inside).sum())} of {len(vbo)} verblijfsobjecten lie in panden that are "
            "not among the buildings (cut differently?); they are left out",
            logging.WARNING,
        )
    v = vbo[inside]
    grouped = v.groupby("pand_id")
    n = grouped.size()
    uses = grouped["use"].agg(
        lambda s: ",".join(sorted({u for x in s.dropna() for u in str(x).split(",") if u}))
    )
    out = buildings.copy()
    out["n_units"] = ids.map(n).fillna(0).astype("Int64").to_numpy()
    dwelling = v["use"].astype("string").str.contains("woonfunctie", regex=False).fillna(False)
    n_dwelling = dwelling.groupby(v["pand_id"]).sum()
    out["n_dwelling_units"] = ids.map(n_dwelling).fillna(0).astype("Int64").to_numpy()
    out["use"] = ids.map(uses).astype("string").to_numpy()
    out["floor_area_min_m2"] = ids.map(grouped["floor_area_m2"].min()).astype(float).to_numpy()
    out["floor_area_max_m2"] = ids.map(grouped["floor_area_m2"].max()).astype(float).to_numpy()
    log(
        f"verblijfsobjecten: {int(n.sum())} units in {len(n)} of {len(out)} panden; "
        f"{int((out['n_units'] == 0).sum())} panden hold none"
    )
    return out


def _clean_text(values: pd.Series) -> pd.Series:
    """Text with surrounding spaces removed; missing and blank as ""."""
    s = values.astype("string").str.strip().fillna("")
    return s.where(s.str.lower() != "nan", "")


def read_addresses(
    path: PathLike,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read BAG nummeraanduidingen: postcode, huisnummer, huisletter and toevoeging.

    Reads a GeoPackage layer or attribute table (``nummeraanduiding``) or an LVBAG delivery
    (zip of zips, ``9999NUM*.zip``). The verblijfsobjecten name their main address
    (``hoofdadresnummeraanduidingref``, :func:`read_verblijfsobjecten`'s ``address_id``).

    Returns
    -------
    pandas.DataFrame
        ``address_id`` (16 digits), ``postcode`` (``"2271AB"``: upper case, no space),
        ``huisnummer`` (int), ``huisletter`` and ``toevoeging`` (text, "" when none) and
        ``object_type`` (``typeadresseerbaarobject``). Rows without a valid postcode or
        number are dropped with a count; withdrawn addresses too.
    """
    import pyogrio

    def read_part(part: Path) -> pd.DataFrame:
        name = choose_layer(
            part, layer, ("nummeraanduiding", "Nummeraanduiding"), "addresses (nummeraanduiding)"
        )
        try:
            df = pyogrio.read_dataframe(str(part), layer=name, read_geometry=False)
        except Exception as exc:
            raise InputError(f"cannot read {where(part, name)} ({exc})") from exc
        df.attrs["source_layer"] = name
        return df

    path = Path(path)
    df = read_parts(path, "NUM", read_part, "addresses")
    location = where(path, df.attrs.get("source_layer"))
    df = rename_columns(df, columns, location)
    df = current_versions(df, "identificatie", location)
    col, _ = _column_lookup(
        df, location, dict.fromkeys(("identificatie", "postcode", "huisnummer"), ""), hint=True
    )

    postcode = _clean_text(col("postcode")).str.replace(" ", "", regex=False).str.upper()
    number = pd.to_numeric(col("huisnummer"), errors="coerce")
    gone = col("status").astype("string").str.contains("ingetrokken", case=False).fillna(False)
    ok = postcode.str.fullmatch(r"[1-9][0-9]{3}[A-Z]{2}").fillna(False) & number.gt(0) & ~gone
    if (~ok).any():
        log(f"{location}: left out {int((~ok).sum())} addresses without a valid postcode and "
            "number, or withdrawn")  # fmt: skip
    ids = (
        col("identificatie").astype("string")
        .str.replace(r"^NL\.IMBAG\.Nummeraanduiding\.", "", regex=True)
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "address_id": ids[ok].to_numpy(),
            "postcode": postcode[ok].to_numpy(),
            "huisnummer": number[ok].astype(int).to_numpy(),
            "huisletter": _clean_text(col("huisletter"))[ok].str.upper().to_numpy(),
            "toevoeging": _clean_text(col("huisnummertoevoeging"))[ok].str.upper().to_numpy(),
            "object_type": _clean_text(col("typeadresseerbaarobject"))[ok].to_numpy(),
        }
    )
    out = out.drop_duplicates("address_id").reset_index(drop=True)
    log(f"addresses: {len(out)} nummeraanduidingen read from {location}")
    return out
