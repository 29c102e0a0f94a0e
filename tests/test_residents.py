"""The residents' page (outputs.residents): records, the CBS check, the site in Chromium."""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from warmtegis.datasets import get_path

STUDY = get_path("voorburg/study.toml")


@pytest.fixture(scope="module")
def voorburg():
    from warmtegis import run_study

    return run_study(STUDY)


@pytest.fixture(scope="module")
def site(voorburg, tmp_path_factory):
    from warmtegis.outputs.residents import write_residents_site

    return write_residents_site(voorburg, tmp_path_factory.mktemp("site") / "site")


def test_records_follow_the_layers(voorburg):
    from warmtegis.outputs.residents import resident_records

    rec = resident_records(voorburg)
    b = voorburg.layers["buildings"].set_index("building_id")
    nets = voorburg.layers["mini_nets"].set_index("mini_net_id")
    # every address of a dwelling in a group names the building's group, eligible or not
    g = rec[rec["status"].isin(["g", "n"])]
    assert len(g) > 300
    assert (g["mini_net_id"].to_numpy() == b.loc[g["building_id"], "mini_net_id"].to_numpy()).all()
    assert nets.loc[g.loc[g["status"] == "g", "mini_net_id"], "eligible"].all()
    assert not nets.loc[g.loc[g["status"] == "n", "mini_net_id"], "eligible"].any()
    assert (g.loc[g["status"] == "n", "reason"] != "").all()
    det = rec[rec["status"] == "d"]
    assert len(det) and (b.loc[det["building_id"], "dwelling_type"] == "detached").all()
    apt = rec[rec["status"] == "a"]
    assert (b.loc[apt["building_id"], "category"] == "apartments").all()
    # a dwelling's demand is its building's share
    one = rec[rec["status"] == "g"].iloc[0]
    assert one["heat_demand_gj"] == pytest.approx(b.loc[one["building_id"], "heat_demand_gj"])
    # the individual air-source heat pump's yearly cost at that demand, by the cost model
    from warmtegis.economics.pricing import price_mini_nets

    frame = pd.DataFrame(
        {
            "n_dwellings": [1],
            "n_boreholes": [1],
            "borehole_depth_m": [100.0],
            "trench_length_m": [0.0],
            "heat_demand_gj": [one["heat_demand_gj"]],
        }
    )
    assert one["air_source_annual_eur"] == pytest.approx(
        price_mini_nets(frame)["air_source_annual_eur"].iloc[0]
    )


def test_dwellings_per_buurt_against_cbs_households(voorburg):
    from warmtegis.outputs.residents import dwelling_check

    check = dwelling_check(voorburg).set_index("buurtcode")
    assert set(check.index) == {"BU19160803", "BU19160902", "BU19161000"}
    # Bovenveen noord counts 22 % more units than CBS households: the units in panden built
    # in 2022, after CBS's count of 1 January 2022; counted independently here
    p = gpd.read_file(get_path("voorburg/bag_buurten.gpkg"), layer="pand")
    v = gpd.read_file(get_path("voorburg/bag_buurten.gpkg"), layer="verblijfsobject")
    bu = gpd.read_file(get_path("voorburg/cbs_buurten.gpkg"))
    year = p.set_index(p["identificatie"].str.replace("NL.IMBAG.Pand.", ""))[
        "oorspronkelijkbouwjaar"
    ]
    v = v[v["gebruiksdoel"].str.contains("woonfunctie")]
    v = v[~v["status"].isin(["Verblijfsobject ingetrokken", "Niet gerealiseerd verblijfsobject"])]
    v["pand"] = v["pandref"].str.strip("{}").str.split(",").str[0].str.replace("NL.IMBAG.Pand.", "")
    bov = bu[bu["buurtcode"] == "BU19161000"].geometry.iloc[0]
    inside = v[v.within(bov)]
    new = int((inside["pand"].map(year) >= 2022).sum())
    assert check.loc["BU19161000", "built_since_cbs"] == new == 229
    assert check.loc["BU19161000", "dwellings"] == len(inside)
    assert check.loc["BU19161000", "difference_pct"] > 10
    # without the new units, every buurt is within 10 % of CBS's households
    assert (check["difference_existing_pct"].abs() < 10).all()


def _addresses(site: Path, status: str) -> list[tuple[str, str]]:
    out = []
    for f in sorted((site.parent / "data" / "adressen").glob("*.js")):
        text = f.read_text(encoding="utf-8")
        data = json.loads(text[text.index(",") + 1 : text.rindex(")")])
        out += [
            (pc, k) for pc, streets in data.items() for k, r in streets.items() if r[0] == status
        ]
    return out


def test_first_view_is_small_and_loads_nothing_else(site):
    assert site.stat().st_size < 300_000
    html = site.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # nothing from the internet
    assert "<script src" not in html and "<link" not in html


def _search(driver, postcode, number, extra=""):
    from selenium.webdriver.common.by import By

    for field, value in (("postcode", postcode), ("huisnummer", number), ("toevoeging", extra)):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    for _ in range(40):
        text = driver.find_element(By.ID, "antwoord").text
        if text and "Even zoeken" not in text:
            return text
        time.sleep(0.1)
    return driver.find_element(By.ID, "antwoord").text


def test_site_answers_in_headless_chromium(voorburg, site):
    from _browser import headless_page, skip_without
    from selenium.webdriver.common.by import By

    skip_without("chromium")
    member = _addresses(site, "g")[0]
    detached = _addresses(site, "d")[0]
    rec = json.loads(
        (lambda t: t[t.index(",") + 1 : t.rindex(")")])(
            (site.parent / "data" / "adressen" / f"{member[0][:5]}.js").read_text()
        )
    )[member[0]][member[1]]
    gid = rec[1]
    nets = voorburg.layers["mini_nets"].set_index("mini_net_id")
    # the group's one design: the figure of its design sheet and tender request
    capex = voorburg.group_designs()[gid].scenarios["as built"].costs["capex_per_dwelling_eur"]
    expected_cost = f"€ {round(capex):,}".replace(",", ".")
    with headless_page(site, width=390, height=1600) as driver:
        # typing tolerant of spaces and case
        pc = member[0][:4] + " " + member[0][4:].lower()
        number = "".join(ch for ch in member[1] if ch.isdigit())
        _search(driver, pc, number, member[1][len(number) :].lower())
        assert driver.find_element(By.ID, "groep-id").text == gid
        assert int(driver.find_element(By.ID, "buren").text) == nets.loc[gid, "n_dwellings"] - 1
        cost = driver.find_element(By.ID, "kosten-per-woning").text.replace("\u00a0", " ")
        assert cost == expected_cost
        assert driver.find_elements(By.CSS_SELECTOR, "#antwoord svg polygon[data-own]")
        # the page fits a phone: no sideways scrolling
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        text = _search(driver, detached[0], detached[1])
        assert "vrijstaand" in driver.find_element(By.ID, "waarom").text
        assert "Eigen lucht-waterwarmtepomp" in text
        text = _search(driver, "1011 AB", "1")
        assert "niet in het gebied" in driver.find_element(By.ID, "onbekend").text
        _search(driver, member[0], "99999")
        assert "staat niet in de gegevens" in driver.find_element(By.ID, "onbekend").text
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []


def test_site_passes_axe_core(site):
    from _browser import asset, headless_page, skip_without

    skip_without("chromium", "axe")
    axe = asset("axe").read_text(encoding="utf-8")
    member = _addresses(site, "g")[0]
    detached = _addresses(site, "d")[0]
    run = (
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa']}}).then(function (r) { done(r.violations.map(function (v) {"
        " return [v.id, v.impact, v.nodes.length]; })); });"
    )
    with headless_page(site, width=1200, height=1400) as driver:
        found = []
        for case in (None, member, detached, ("1011AB", "1")):
            if case is not None:
                _search(
                    driver,
                    case[0],
                    "".join(ch for ch in case[1] if ch.isdigit()),
                    "".join(ch for ch in case[1] if not ch.isdigit()),
                )
            driver.execute_script(axe)
            found += driver.execute_async_script(run)
    serious = [v for v in found if v[1] in ("serious", "critical")]
    assert serious == [], serious


def test_residents_cli_and_a_study_without_addresses(tmp_path):
    from warmtegis.cli import main

    res = CliRunner().invoke(
        main, ["-q", "residents", str(STUDY), "--out-dir", str(tmp_path / "site")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "site" / "index.html").exists()
    check = pd.read_csv(tmp_path / "site" / "buurten.csv")
    assert len(check) == 3 and np.isfinite(check["difference_pct"]).all()
    res = CliRunner().invoke(
        main,
        [
            "-q",
            "residents",
            str(get_path("otterlo/study.toml")),
            "--out-dir",
            str(tmp_path / "other"),
        ],
    )
    assert res.exit_code == 2 and "addresses" in res.output
    assert not (tmp_path / "other").exists()


def test_the_page_shows_the_design_sheets_costs(voorburg, tmp_path):
    """Page and design package read one design per group: the same euro in both files."""
    import re

    from warmtegis.outputs.residents import write_residents_site

    site = write_residents_site(voorburg, tmp_path / "site", design=True).parent
    sheets = sorted((site / "ontwerp").glob("*/design.html"))
    assert sheets, "no design package written for the eligible groups"
    for sheet in sheets:
        gid = sheet.parent.name
        row = re.search(r"Mininet: investering</td>(.*?)</tr>", sheet.read_text(encoding="utf-8"))
        assert row, sheet
        cells = re.findall(r"<td class=n>(.*?)</td>", row.group(1))
        text = (site / "data" / "groepen" / f"{gid}.js").read_text(encoding="utf-8")
        page = json.loads(text[text.index(",") + 1 : text.rindex(")")])["scenarios"]
        assert "as built" in page, gid  # an eligible group's own design fits
        for cell, scenario in zip(cells, ("as built", "standaard", "streef"), strict=True):
            if scenario in page:  # the page shows only designs that fit
                assert cell == f"€ {page[scenario]['capex']:,}".replace(",", "."), (gid, scenario)
