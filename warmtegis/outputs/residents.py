"""The residents' page: postcode + huisnummer -> what fits my home (a static site, in Dutch).

:func:`resident_records` gives every address of the study's dwellings what the page shows:
its mini-net group (or why it has none) and the individual options with their costs, all
from the run's layers (the GeoPackage's figures, one source of truth).
:func:`write_residents_site` writes a self-contained static site (no server, no internet,
no tracking; opens from disk):

- ``index.html``: the search form, the steps of the standard approach, and a small script;
  the postcode areas it covers (each PC4 with the first letters that follow it) are inline,
  so an address outside the area is answered without a request;
- ``data/adressen/<PC4><letter>.js``: the addresses of one postcode sector (``2274K``:
  2274 KA-KZ), loaded when a resident asks for one (as a script, which browsers allow from
  disk where they refuse ``fetch``);
- ``data/groepen/<mini_net_id>.js``: one group's dwellings, loops, trench and costs;
- with ``design=True`` the groups' design packages under ``ontwerp/`` (the page links the
  tender request).

The first view is ``index.html`` alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.core.version import __version__
from warmtegis.economics.pricing import heat_network_bill, individual_heat_pump_costs
from warmtegis.mini_nets.design import SCENARIOS
from warmtegis.mini_nets.group_design import GroupDesign
from warmtegis.outputs.design_package import write_design_packages
from warmtegis.outputs.residents_page import page_html
from warmtegis.storage.atomic import atomic_dir

__all__ = ["STATUS", "dwelling_check", "resident_records", "write_residents_site"]

#: Status codes of an address on the page.
STATUS = {
    "g": "in a mini-net candidate group",
    "n": "in a group without room to drill or without a trench route",
    "d": "detached house",
    "a": "apartment",
    "b": "ground-bound, but no neighbours to form a group with",
    "o": "dwelling in a building with other uses",
    "x": "not a dwelling",
}


def _dutch_reason(reason: str) -> str:
    """Return the page's words for a room or trench reason of the mini_nets layer."""
    m = re.match(r"no room: (\d+) of (\d+) loops fit", reason)
    if m:
        return (
            f"er passen maar {m.group(1)} van de {m.group(2)} bodemlussen in de tuinen en "
            "erven van de groep (met de afstand tot gebouwen, bomen, riool en water)"
        )
    m = re.match(r"no room: its loops would need (\d+) m each \(max (\S+) m\)", reason)
    if m:
        return (
            f"de bodemlussen zouden elk {m.group(1)} m diep moeten, meer dan de "
            f"{m.group(2)} m die toegestaan is (de buurlussen staan dicht bij elkaar)"
        )
    if reason.startswith("no trench route"):
        return "de leidingen kunnen niet door open terrein naar alle woningen van de groep"
    return "er is geen ruimte voor de bodemlussen"


def resident_records(result: Any) -> pd.DataFrame:
    """One row per address of the study: the address, its dwelling and what the page says.

    Needs the study inputs ``addresses`` (BAG nummeraanduidingen) and ``verblijfsobjecten``.

    Returns
    -------
    pandas.DataFrame
        ``postcode``, ``huisnummer``, ``suffix`` (huisletter + toevoeging, upper case),
        ``building_id``, ``status`` (a key of :data:`STATUS`), ``mini_net_id`` ("" if none),
        ``reason`` (Dutch text, "" for a group member), ``heat_demand_gj`` (the dwelling's),
        ``air_source_annual_eur``, ``ground_source_annual_eur`` and, where the study routed a
        heat network and the building is connected, ``heat_network_annual_eur``.
    """
    inputs = result.inputs
    if inputs.addresses is None or inputs.verblijfsobjecten is None:
        raise InputError(
            "the residents' page needs the study inputs addresses (BAG nummeraanduiding) and "
            'verblijfsobjecten (BAG verblijfsobject), e.g. addresses = { path = "bag.gpkg", '
            'layer = "nummeraanduiding" }'
        )
    addr = inputs.addresses
    vbo = inputs.verblijfsobjecten.drop_duplicates("address_id")
    b = result.layers["buildings"].set_index("building_id")
    nets = result.layers["mini_nets"].set_index("mini_net_id")
    rows = addr.merge(
        pd.DataFrame(vbo[["address_id", "pand_id", "use"]]), on="address_id", how="left"
    )
    rows["suffix"] = (rows["huisletter"] + rows["toevoeging"]).str.replace(
        r"[^A-Z0-9]", "", regex=True
    )
    pand = rows["pand_id"].astype("string")
    known = pand.isin(b.index).fillna(False).to_numpy(bool)
    get = b.reindex(pand.fillna(""))
    category = get["category"].astype("string").fillna("").to_numpy()
    dtype = get["dwelling_type"].astype("string").fillna("").to_numpy()
    group = get["mini_net_id"].astype("string").fillna("").to_numpy()
    dwellings = pd.to_numeric(get["dwellings"], errors="coerce").fillna(1).clip(lower=1)
    gj = (pd.to_numeric(get["heat_demand_gj"], errors="coerce") / dwellings).to_numpy(float)
    living = rows["use"].astype("string").str.contains("woonfunctie").fillna(False).to_numpy()
    eligible = (
        nets["eligible"].astype(bool).reindex(group).fillna(False).to_numpy(bool)
        if len(nets)
        else np.zeros(len(rows), bool)
    )
    status = np.full(len(rows), "x", dtype=object)
    reason = np.full(len(rows), "", dtype=object)
    ground = living & known & (category == "ground_bound")
    status[living & known & (category == "apartments")] = "a"
    status[living & known & (category == "non_residential")] = "o"
    status[ground & (dtype == "detached") & (group == "")] = "d"
    status[ground & (dtype != "detached") & (group == "")] = "b"
    status[ground & (group != "") & eligible] = "g"
    no_room = ground & (group != "") & ~eligible
    status[no_room] = "n"
    if no_room.any():
        room = nets["room_reason"].astype(str) if "room_reason" in nets else pd.Series(dtype=str)
        trench = (
            nets["trench_reason"].astype(str) if "trench_reason" in nets else pd.Series(dtype=str)
        )
        text = [
            _dutch_reason(str(room.get(g, "")) or str(trench.get(g, ""))) for g in group[no_room]
        ]
        reason[no_room] = text
    ind = individual_heat_pump_costs(np.nan_to_num(gj), params=result.parameters.costs)
    out = pd.DataFrame(
        {
            "postcode": rows["postcode"].to_numpy(),
            "huisnummer": rows["huisnummer"].to_numpy(int),
            "suffix": rows["suffix"].to_numpy(),
            "building_id": pand.fillna("").to_numpy(),
            "status": status,
            "mini_net_id": np.where(np.isin(status, ["g", "n"]), group, ""),
            "reason": reason,
            "heat_demand_gj": gj,
            "air_source_annual_eur": ind["air_source_annual_eur"].to_numpy(),
            "ground_source_annual_eur": ind["ground_source_annual_eur"].to_numpy(),
        }
    )
    out["heat_network_annual_eur"] = np.nan
    if result.network is not None:
        conn = result.network.connections.set_index("building_id")["connected"]
        on = out["building_id"].map(conn).fillna(False).astype(bool).to_numpy()
        on &= living
        out.loc[on, "heat_network_annual_eur"] = heat_network_bill(
            gj[on], result.parameters.net, params=result.parameters.costs
        )
    return out


def dwelling_check(result: Any) -> pd.DataFrame:
    """Dwellings per buurt from the verblijfsobjecten against CBS's household count.

    Counts the units with a woonfunctie per buurt (their point in the buurt) and compares
    them with ``aantal_huishoudens``. Two kinds of unit cannot be a CBS household yet, and
    are counted apart: units being built (``Verblijfsobject gevormd``) and units in panden
    built in or after the CBS year (the buurten layer's ``jaar``: CBS counts households on
    1 January of that year).

    Returns
    -------
    pandas.DataFrame
        ``buurtcode``, ``buurtnaam``, ``dwellings`` (units in use), ``being_built``,
        ``built_since_cbs``, ``households`` (CBS), ``difference_pct`` ((dwellings -
        households) / households) and ``difference_existing_pct`` (the same without the
        units built since the CBS count).
    """
    buurten, vbo = result.inputs.buurten, result.inputs.verblijfsobjecten
    if buurten is None or vbo is None:
        raise InputError("the dwelling check needs the study inputs buurten and verblijfsobjecten")
    need = {"buurtcode", "aantal_huishoudens"}
    if not need <= set(buurten.columns):
        raise InputError(
            f"buurten: columns {sorted(need - set(buurten.columns))} missing (CBS wijk- en "
            f"buurtkaart: buurtcode, buurtnaam, aantal_huishoudens); columns present: "
            f"{', '.join(map(str, buurten.columns))}"
        )
    units = vbo.drop_duplicates("vbo_id")
    units = units[units["use"].astype("string").str.contains("woonfunctie").fillna(False)]
    tree = shapely.STRtree(buurten.geometry.values)
    pi, bi = tree.query(units.geometry.values, predicate="within")
    units = units.iloc[pi]
    cbs_year = (
        pd.to_numeric(buurten["jaar"], errors="coerce").to_numpy()[bi]
        if "jaar" in buurten
        else np.full(len(bi), np.inf)
    )
    year = units["pand_id"].map(result.layers["buildings"].set_index("building_id")["year_built"])
    frame = pd.DataFrame(
        {
            "buurtcode": buurten["buurtcode"].to_numpy()[bi],
            "being_built": units["status"]
            .astype("string")
            .str.contains("gevormd")
            .fillna(False)
            .to_numpy(bool),
            "new": (pd.to_numeric(year, errors="coerce").to_numpy(float) >= cbs_year),
        }
    )
    frame["new"] &= ~frame["being_built"]
    counts = frame.groupby("buurtcode").agg(
        units=("being_built", "size"), being_built=("being_built", "sum"), new=("new", "sum")
    )
    out = buurten[["buurtcode"]].copy()
    out["buurtnaam"] = buurten.get("buurtnaam", "")
    out = out.join(counts, on="buurtcode").fillna({"units": 0, "being_built": 0, "new": 0})
    out["dwellings"] = (out["units"] - out["being_built"]).astype(int)
    out["being_built"] = out["being_built"].astype(int)
    out["built_since_cbs"] = out["new"].astype(int)
    hh = pd.to_numeric(buurten["aantal_huishoudens"], errors="coerce")
    out["households"] = hh.where(hh >= 0).to_numpy()  # CBS writes -99999997 for "secret"
    out["difference_pct"] = 100 * (out["dwellings"] - out["households"]) / out["households"]
    existing = out["dwellings"] - out["built_since_cbs"]
    out["difference_existing_pct"] = 100 * (existing - out["households"]) / out["households"]
    columns = [
        "buurtcode",
        "buurtnaam",
        "dwellings",
        "being_built",
        "built_since_cbs",
        "households",
        "difference_pct",
        "difference_existing_pct",
    ]
    return out.loc[out["units"] > 0, columns].reset_index(drop=True)


# ---------------------------------------------------------------------------- the site
def _round(xy: np.ndarray, origin: np.ndarray) -> list[Any]:
    return list(np.round(xy - origin, 1).tolist())


def _group_payload(
    result: Any, gid: str, design_link: str | None, designs: Mapping[str, GroupDesign]
) -> dict[str, Any]:
    """Return one group's data for the page (coordinates from its lower-left corner)."""
    nets = result.layers["mini_nets"].set_index("mini_net_id")
    row = nets.loc[gid]
    b = result.layers["buildings"]
    members = b[b["mini_net_id"].astype(object) == gid]
    x0, y0, x1, y1 = shapely.total_bounds(members.geometry.values)
    bh = result.layers.get("boreholes")
    loops = (
        shapely.get_coordinates(bh.geometry.values[(bh["mini_net_id"] == gid).to_numpy()])
        if bh is not None
        else np.zeros((0, 2))
    )
    tr = result.layers.get("mini_net_trenches")
    lines = []
    if tr is not None:
        for geom in tr.geometry.values[(tr["mini_net_id"] == gid).to_numpy()]:
            lines += [shapely.get_coordinates(part) for part in shapely.get_parts(geom)]
    everything = [shapely.get_coordinates(g) for g in members.geometry.values] + lines
    if len(loops):
        everything.append(loops)
    allxy = np.vstack(everything)
    lo, hi = allxy.min(axis=0) - 3, allxy.max(axis=0) + 3
    homes = []
    for bid, geom in zip(members["building_id"].astype(str), members.geometry.values, strict=True):
        for part in shapely.get_parts(geom):
            homes.append([bid, _round(np.asarray(part.exterior.coords)[:, :2], lo)])
    scen = {}
    design = designs.get(gid)
    if design is not None:  # the group's one design (the design sheet's and tender's figures)
        for name in SCENARIOS:
            d = design.scenarios[name]
            if not d.fits:
                continue  # no cost for a design that does not fit
            scen[name] = {
                "loops": d.n_loops,
                "per_loop": round(d.dwellings_per_loop, 2),
                "capex": round(d.costs["capex_per_dwelling_eur"]),
                "insulation": round(d.costs["insulation_per_dwelling_eur"]),
                "annual": round(d.costs["annual_per_dwelling_eur"]),
                "air": round(d.costs["air_source_annual_eur"]),
                "ground": round(d.costs["ground_source_annual_eur"]),
            }
    drop = {}
    for k in (1, 2):
        v = row.get(f"annual_{k}_out_eur", np.nan)
        drop[str(k)] = None if pd.isna(v) else round(float(v))
    return {
        "id": gid,
        "n": int(row["n_dwellings"]),
        "eligible": bool(row.get("eligible", True)),
        "size": [round(float(hi[0] - lo[0]), 1), round(float(hi[1] - lo[1]), 1)],
        "homes": homes,
        "loops": _round(loops, lo) if len(loops) else [],
        "trench": [_round(line, lo) for line in lines],
        "scenarios": scen,
        "dropout": drop,
        "falls_apart": bool(row.get("falls_apart_with_one_dropout", False)),
        "tender": design_link,
        "_bounds": [x0, y0, x1, y1],
    }


def _records_by_pc4(records: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Group the records by postcode sector (PC4 + first letter): one small file each."""
    out: dict[str, dict[str, Any]] = {}
    for r in records.itertuples(index=False):
        pc4 = r.postcode[:5]
        key = f"{r.huisnummer}{r.suffix}"
        rec = [
            r.status,
            r.mini_net_id,
            r.reason,
            None if not np.isfinite(r.heat_demand_gj) else round(float(r.heat_demand_gj), 1),
            round(float(r.air_source_annual_eur)),
            round(float(r.ground_source_annual_eur)),
            None
            if not np.isfinite(r.heat_network_annual_eur)
            else round(float(r.heat_network_annual_eur)),
            r.building_id,
        ]
        out.setdefault(pc4, {}).setdefault(r.postcode, {})[key] = rec
    return out


def _data_date(result: Any) -> str:
    study = getattr(result, "study", None)
    if study is None:
        return ""
    paths = [s.path for k, s in study.inputs.items() if k in ("addresses", "buildings")]
    stamps = [p.stat().st_mtime for p in paths if p.exists()]
    return date.fromtimestamp(max(stamps)).isoformat() if stamps else ""


def write_residents_site(result: Any, out_dir: str | Path, *, design: bool = False) -> Path:
    """Write the residents' static site for a study run into `out_dir` (replaced as a whole).

    Parameters
    ----------
    result
        A :class:`~warmtegis.pipeline.StudyResult` with the addresses and verblijfsobjecten
        inputs (the room-to-drill stage shows the loops and trench on the map).
    out_dir
        The site's folder; written under a temporary name and swapped in whole
        (:func:`~warmtegis.outputs.atomic_dir`).
    design
        Also write every eligible group's design package (``ontwerp/<id>/``) and link its
        tender request.

    Returns
    -------
    pathlib.Path
        ``out_dir/index.html``.

    Examples
    --------
    The Voorburg study bundles the addresses and verblijfsobjecten the page needs:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from warmtegis.datasets import get_path
    >>> from warmtegis.pipeline import run_study
    >>> r = run_study(get_path("voorburg/study.toml"))
    >>> page = write_residents_site(r, Path(tempfile.mkdtemp()) / "site")
    >>> page.name, (page.parent / "data" / "adressen").is_dir()
    ('index.html', True)
    """
    records = resident_records(result)
    by_pc4 = _records_by_pc4(records)
    groups = sorted(set(records.loc[records["mini_net_id"] != "", "mini_net_id"]))
    meta = {
        "study": getattr(getattr(result, "study", None), "name", "") or "",
        "version": __version__,
        "run_date": date.today().isoformat(),
        "data_date": _data_date(result),
        "network": result.network is not None,
        "net": result.parameters.net,
        "individual_eur": {
            "air": result.parameters.costs.reference.air_source_eur,
            "ground": result.parameters.costs.reference.ground_source_eur,
        },
    }
    # every group's one design, shared with the design packages below (computed once)
    designs = result.group_designs() if result.drilling is not None else {}
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        linked: set[str] = set()
        if design and result.drilling is not None:
            nets = result.layers["mini_nets"]
            ok = nets.loc[nets["eligible"].astype(bool), "mini_net_id"].astype(str).tolist()
            if ok:
                folders = write_design_packages(result, tmp / "ontwerp", groups=ok)
                linked = {f.name for f in folders}
        (tmp / "data" / "adressen").mkdir(parents=True)
        (tmp / "data" / "groepen").mkdir(parents=True)
        for pc4, data in by_pc4.items():
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            (tmp / "data" / "adressen" / f"{pc4}.js").write_text(
                f'wgAdressen("{pc4}",{text});\n', encoding="utf-8"
            )
        for gid in groups:
            link = f"ontwerp/{gid}/offerte-uitvraag.md" if gid in linked else None
            payload = _group_payload(result, gid, link, designs)
            payload.pop("_bounds")
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            (tmp / "data" / "groepen" / f"{gid}.js").write_text(
                f'wgGroep("{gid}",{text});\n', encoding="utf-8"
            )
        sectors: dict[str, str] = {}
        for key in sorted(by_pc4):
            sectors[key[:4]] = sectors.get(key[:4], "") + key[4:]
        (tmp / "index.html").write_text(page_html(sectors, meta), encoding="utf-8")
    log(
        f"residents: {len(records)} addresses in {len(by_pc4)} postcode sectors, "
        f"{len(groups)} groups, written to {out_dir}"
    )
    return out_dir / "index.html"
