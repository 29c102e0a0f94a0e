"""The heat company's business case (economics.business): every item by hand on small cases.

The small cases are one asset or one connection over a three-year term, recomputed here line
by line from the figures of warmtegis/data/costs.toml (Vesta MAIS 2024 key figures and the
reference study's, docs/method.md §2-2b); the study network checks the method's signs and the
definitions of the ORT per dwelling and the net ORT.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest

import warmtegis as wg
from warmtegis import ConfigError
from warmtegis.economics.business import SENSITIVITIES, business_case
from warmtegis.economics.charts import tornado_plot, waterfall
from warmtegis.params.costs import load_cost_params
from warmtegis.units import KWH_PER_GJ

LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}
ZLT_LENGTHS = {"primary": 4000, "secondary": 14800}

IDX = 1.02 ** np.arange(3)  # indexation 2 %/yr
DISC = 1.04 ** -np.arange(3)  # required return 4 %


def _three_years(**more):
    """A three-year term 2030-2032: everything built in 2030, the connection made in 2031."""
    over = {
        **_overrides_three_years(),
        "networks": {"MT": {"plant_eur": 0, "substations_eur": 0}},
    }
    for key, value in more.items():
        over.setdefault(key, {}).update(value)
    return load_cost_params(over)


def _line(bc, item):
    rows = bc.items[bc.items["item"] == item].sort_values("t")
    assert len(rows), f"no line {item!r}; lines: {sorted(set(bc.items['item']))}"
    return rows["eur"].to_numpy()


def test_one_pipe_asset_om_admin_replacement_residual_by_hand():
    """10 m of secondary pipe, lifetime 2 years, O&M 1 % and administration 2 %: three years."""
    params = _three_years(
        assets={"secondary": {"lifetime_years": 2, "admin_share": 0.02}},
        business_case={"residual_value": 1},  # the option; the default credits none (§3.2.1)
    )
    bc = business_case({"secondary": 10}, {}, "MT", params=params)
    pipe = 10 * 1280.0
    invest = np.array([-pipe, 0, 0])
    replace = np.array([0, 0, -pipe * IDX[2]])  # bought again at the end of its 2 years
    residual = np.array([0, 0, pipe * IDX[2] * (2 + 2 - 3) / 2])  # half its life is left
    om = -0.01 * pipe * IDX
    admin = -0.02 * pipe * IDX
    assert _line(bc, "secondary: investment") == pytest.approx(invest)
    assert _line(bc, "secondary: replacement") == pytest.approx(replace)
    assert _line(bc, "secondary: residual value") == pytest.approx(residual)
    assert _line(bc, "secondary: O&M") == pytest.approx(om)
    assert _line(bc, "secondary: administration") == pytest.approx(admin)
    net = invest + replace + residual + om + admin
    assert bc.cash_flows["net_eur"].to_numpy() == pytest.approx(net)
    assert bc.npv_eur == pytest.approx((net * DISC).sum())
    # no connections: no ORT per connection or per dwelling ("EUR 0 each" would be wrong)
    assert np.isnan(bc.ort_per_connection_eur) and np.isnan(bc.ort_per_dwelling_eur)
    # switched off, the replacement and the residual value are gone
    off = _three_years(
        assets={"secondary": {"lifetime_years": 2, "admin_share": 0.02}},
        business_case={"start_year": 2030, "term_years": 3, "replacements": 0,
                       "residual_value": 0},
    )  # fmt: skip
    plain = business_case({"secondary": 10}, {}, "MT", params=off)
    assert set(plain.items["category"]) == {"investment", "O&M", "administration", "electricity",
                                            "heat supply", "revenue", "subsidy"}  # fmt: skip
    assert plain.npv_eur == pytest.approx(((invest + om + admin) * DISC).sum())


def test_one_connection_every_line_by_hand():
    """One ground-bound MT connection made in 2031: connection assets, heat, revenues, ORT."""
    bc = business_case(
        {}, {"grondgebonden": 1}, "MT", params=_three_years(business_case={"residual_value": 1})
    )
    on = np.array([0.0, 1.0, 1.0])  # connected from 2031
    new = np.array([0.0, 1.0, 0.0])
    # the investment per connection split into delivery set, in-house pipes and service pipe
    aflever, in_house = 1800.0, 2700.0
    service = 10_268 - aflever - in_house
    for name, amount, om, admin in [
        ("afleverset", aflever, 0.03, 0.03),
        ("in house", in_house, 0.025, 0.0),
        ("service pipes", service, 0.01, 0.0),
    ]:
        assert _line(bc, f"{name}: investment") == pytest.approx(-amount * new * IDX)
        assert _line(bc, f"{name}: O&M") == pytest.approx(-om * amount * on * IDX)
        if admin:
            assert _line(bc, f"{name}: administration") == pytest.approx(-admin * amount * on * IDX)
    # residual value: bought in 2031 (t = 1); 15 or 40 years of life, 2 of them used
    assert _line(bc, "afleverset: residual value")[2] == pytest.approx(aflever * IDX[1] * 13 / 15)
    assert _line(bc, "service pipes: residual value")[2] == pytest.approx(
        service * IDX[1] * 38 / 40
    )
    sold = 42 * 0.9965 ** np.arange(3) * on
    fed = sold + 10.5 * on  # Vesta: 10.5 GJ lost per MT connection and year
    assert bc.cash_flows["heat_sold_gj"].to_numpy() == pytest.approx(sold)
    assert bc.cash_flows["heat_fed_gj"].to_numpy() == pytest.approx(fed)
    price = 0.98 * 30 + 0.02 * 70
    assert _line(bc, "heat bought (base + peak)") == pytest.approx(-fed * price * IDX)
    pump = -sold * 0.0072 * KWH_PER_GJ * 0.130 * IDX
    assert _line(bc, "distribution pump electricity") == pytest.approx(pump)
    assert _line(bc, "administration and customers (share of the fixed charge)") == pytest.approx(
        -504 * 0.01 * on * IDX
    )
    assert _line(bc, "fixed charges") == pytest.approx(504 * on * IDX)
    assert _line(bc, "variable charges") == pytest.approx(36 * sold * IDX)
    assert _line(bc, "subsidy per dwelling (WIS + SDE)") == pytest.approx(10_000 * new)
    flows = bc.cash_flows
    money = [
        c for c in flows.columns if c.endswith("_eur") and c not in ("net_eur", "discounted_eur")
    ]
    np.testing.assert_allclose(flows[money].sum(axis=1), flows["net_eur"])
    by_hand = bc.items.groupby("t")["eur"].sum().to_numpy()
    assert flows["net_eur"].to_numpy() == pytest.approx(by_hand)
    assert bc.npv_eur == pytest.approx((by_hand * DISC).sum())
    # over three years the subsidy and the residual values outweigh the costs: no gap
    assert bc.npv_eur > 0 and bc.ort_eur == 0 and bc.ort_per_dwelling_eur == 0
    # without the subsidy there is one; one dwelling and one connection: both ORTs are the
    # gap, and the net ORT adds 21 % VAT (MT needs no installation of the household's own)
    dry = _three_years(business_case={"start_year": 2030, "term_years": 3, "residual_value": 1,
                                      "subsidy_eur_per_dwelling": 0})  # fmt: skip
    gap = business_case({}, {"grondgebonden": 1}, "MT", params=dry)
    assert gap.npv_eur == pytest.approx(bc.npv_eur - 10_000 * DISC[1])
    assert gap.connections == gap.dwellings == 1
    assert gap.ort_per_connection_eur == gap.ort_per_dwelling_eur == pytest.approx(-gap.npv_eur)
    assert gap.ort_net_per_dwelling_eur == pytest.approx(-gap.npv_eur * 1.21)


def test_central_heat_pump_lines_by_hand():
    params = _three_years(heat_supply={"central_heat_pump": 1})
    bc = business_case({}, {"grondgebonden": 1}, "MT", params=params)
    on = np.array([0.0, 1.0, 1.0])
    fed = (42 * 0.9965 ** np.arange(3) + 10.5) * on
    # capacity: 30 % of the peak of a full year (42 + 10.5 GJ over 1,800 full-load hours)
    kw = 0.3 * (42 + 10.5) * KWH_PER_GJ / 1800
    assert _line(bc, "heat pump: investment")[0] == pytest.approx(-kw * 1250)
    assert _line(bc, "source: investment")[0] == pytest.approx(-(1_115_000 + kw * 135))
    hp = fed * 0.85  # Vesta: 85 % of the heat is not topped up by the peak boilers
    assert _line(bc, "central heat pump electricity") == pytest.approx(
        -hp / 4.4 * KWH_PER_GJ * 0.130 * IDX
    )
    assert _line(bc, "heat source electricity") == pytest.approx(
        -hp * (1 - 1 / 4.4) * 0.017 * KWH_PER_GJ * 0.130 * IDX
    )
    assert _line(bc, "heat bought for the peak") == pytest.approx(-(fed - hp) * 70 * IDX)
    assert "heat bought (base + peak)" not in set(bc.items["item"])
    assert _line(bc, "heat pump: O&M")[0] == pytest.approx(-0.035 * kw * 1250)
    assert _line(bc, "heat pump: administration")[0] == pytest.approx(-0.025 * kw * 1250)


def test_losses_as_a_share_are_the_study_variant():
    params = load_cost_params({"variant": "study_losses", **_overrides_three_years()})
    bc = business_case({}, {"grondgebonden": 1}, "MT", params=params)
    sold = bc.cash_flows["heat_sold_gj"].to_numpy()
    assert bc.cash_flows["heat_fed_gj"].to_numpy() == pytest.approx(sold / 0.85)
    assert params.variant == "study_losses"
    assert "variant 'study_losses'" in params.sources["networks.MT.losses"]


def _overrides_three_years():
    return {
        "business_case": {"start_year": 2030, "term_years": 3},
        "phasing": {
            "pipes": {"first_year": 2030, "shares": [1.0]},
            "plant": {"first_year": 2030, "shares": [1.0]},
            "substations": {"first_year": 2030, "shares": [1.0]},
            "connections": {"first_year": 2031, "shares": [1.0]},
        },
    }


def test_phasing_shares_are_input():
    params = _three_years(phasing={"pipes": {"first_year": 2030, "shares": [0.7, 0.3]}})
    bc = business_case({"secondary": 10}, {}, "MT", params=params)
    assert _line(bc, "secondary: investment") == pytest.approx(
        [-0.7 * 12_800, -0.3 * 12_800 * 1.02, 0.0]
    )
    # O&M on what is built so far
    assert _line(bc, "secondary: O&M") == pytest.approx(
        [-0.01 * 0.7 * 12_800, -0.01 * 12_800 * 1.02, -0.01 * 12_800 * 1.02**2]
    )


def test_bad_phasing_switches_and_variants_are_refused():
    with pytest.raises(ConfigError) as err:
        load_cost_params(
            {
                "phasing": {"pipes": {"shares": [0.5, 0.4]}},
                "business_case": {"replacements": 2},
            }
        )
    text = str(err.value)
    assert "phasing.pipes.shares must add up to 1, not 0.9" in text
    assert "business_case.replacements is a switch and must be 0 (off) or 1 (on)" in text
    with pytest.raises(ConfigError, match=r"phasing\.plant runs 2058-2062, outside the term"):
        load_cost_params({"phasing": {"plant": {"first_year": 2058}}})
    with pytest.raises(ConfigError, match="unknown cost variant 'cheap'; known: legacy"):
        load_cost_params({"variant": "cheap"})
    with pytest.raises(ConfigError, match=r"afleverset_eur.gestapeld \+ in_house_eur.gestapeld"):
        load_cost_params({"networks": {"MT": {"in_house_eur": {"gestapeld": 3000}}}})
    p = load_cost_params()
    short = dataclasses.replace(p.assets["plant"], lifetime_years=0)
    with pytest.raises(ConfigError, match=r"assets\.plant\.lifetime_years must be at least 1"):
        dataclasses.replace(p, assets={**p.assets, "plant": short})


def test_study_network_runs_as_documented():
    """The issue's call: MT on the study network, ZLT with primary 4,000 m."""
    mt = business_case(pipe_lengths_m=LENGTHS, connections=CONNECTIONS, network="MT")
    zlt = business_case(ZLT_LENGTHS, CONNECTIONS, "ZLT")
    for bc in (mt, zlt):
        assert bc.connections == 3080 and bc.dwellings == 3031
        assert bc.ort_per_connection_eur == pytest.approx(bc.ort_eur / 3080)
        assert bc.ort_per_dwelling_eur == pytest.approx(bc.ort_eur / 3031)
        assert bc.ort_eur == pytest.approx(max(0.0, -bc.npv_eur))
    # net ORT: incl. 21 % VAT, minus the household's own ZLT installation (incl. VAT)
    household = 2128 * 8006 + 903 * 4066
    assert zlt.household_contribution_eur_incl_vat == pytest.approx(household)
    assert zlt.ort_net_eur == pytest.approx(zlt.ort_eur * 1.21 - household)
    assert zlt.ort_net_per_dwelling_eur == pytest.approx(zlt.ort_net_eur / 3031)
    assert mt.ort_net_eur == pytest.approx(mt.ort_eur * 1.21)  # MT needs no own installation
    # the same investment as before (the study's table, within 1 %)
    assert mt.investment_eur == pytest.approx(67e6, rel=0.01)
    assert zlt.investment_eur == pytest.approx(65e6, rel=0.01)


def test_every_line_has_its_source():
    bc = business_case(LENGTHS, CONNECTIONS, "MT")
    lines = bc.lines
    assert (lines["source"].str.len() > 10).all(), lines[lines["source"].str.len() <= 10]
    assert lines["npv_eur"].sum() == pytest.approx(bc.npv_eur)
    # each opex and replacement item is a line
    cats = set(lines["category"])
    assert {"O&M", "administration", "replacement", "electricity"} <= cats
    assert bc.by_asset_class.sum().sum() == pytest.approx(
        bc.items.loc[bc.items["asset_class"] != "", "eur"].sum()
    )


def test_legacy_variant_is_the_earlier_model():
    """The earlier model's figures (docs/costs.md before issue 16): 7,174 and 18,955 EUR."""
    old = load_cost_params(variant="legacy")
    mt = business_case(LENGTHS, CONNECTIONS, "MT", params=old)
    zlt = business_case(LENGTHS, CONNECTIONS, "ZLT", params=old)
    assert round(mt.ort_per_connection_eur) == 7174
    assert round(zlt.ort_per_connection_eur) == 18955
    assert round(mt.npv_eur / 1e4) == -2209  # -22.09 M EUR


def test_waterfall_walks_from_the_earlier_model_to_this_one():
    for network, lengths in (("MT", LENGTHS), ("ZLT", LENGTHS)):
        table = waterfall(lengths, CONNECTIONS, network)
        now = business_case(lengths, CONNECTIONS, network)
        old = business_case(
            lengths, CONNECTIONS, network, params=load_cost_params(variant="legacy")
        )
        assert table["ort_per_connection_eur"].iloc[0] == pytest.approx(old.ort_per_connection_eur)
        assert table["ort_per_connection_eur"].iloc[-2] == pytest.approx(now.ort_per_connection_eur)
        steps = table["change_per_connection_eur"].iloc[:-1].sum()
        assert steps == pytest.approx(now.ort_per_connection_eur - old.ort_per_connection_eur)
        assert table["ort_per_connection_eur"].iloc[-1] == pytest.approx(now.ort_per_dwelling_eur)


def test_sensitivities_move_the_right_way():
    bc = business_case(LENGTHS, CONNECTIONS, "MT")
    s = bc.sensitivities.set_index("case")
    assert len(s) == 1 + 2 * len(SENSITIVITIES)
    base = s.loc["base", "ort_per_dwelling_eur"]
    assert base == pytest.approx(bc.ort_per_dwelling_eur)
    assert s.loc["participation -20 points", "dwellings"] == pytest.approx(3031 * 0.6 / 0.8)
    # the study: more participation spreads the fixed network over more dwellings
    assert s.loc["participation -20 points", "ort_per_dwelling_eur"] > base
    assert s.loc["participation +20 points", "ort_per_dwelling_eur"] < base
    # the study: a lower heat demand raises the MT ORT, because MT earns a margin per GJ
    # (variable charge 36 EUR/GJ against 30.8 EUR/GJ bought, losses fixed per connection)
    assert s.loc["heat demand -10 %", "ort_per_dwelling_eur"] > base
    assert s.loc["heat demand +10 %", "ort_per_dwelling_eur"] < base
    for lever in ("heat purchase price", "investment", "O&M"):
        up = next(c for c in s.index if c.startswith(lever) and "+" in c)
        down = next(c for c in s.index if c.startswith(lever) and "-" in c)
        assert s.loc[up, "ort_per_dwelling_eur"] > base > s.loc[down, "ort_per_dwelling_eur"]
    # ZLT sells heat for a fixed charge only: less demand, less to buy, a lower ORT
    z = business_case(ZLT_LENGTHS, CONNECTIONS, "ZLT").sensitivities.set_index("case")
    assert z.loc["heat demand -10 %", "ort_eur"] < z.loc["base", "ort_eur"]


def test_tornado_plot_bars_are_the_table():
    import matplotlib

    matplotlib.use("Agg")
    bc = business_case(LENGTHS, CONNECTIONS, "MT")
    s = bc.sensitivities
    ax = tornado_plot(s)
    bars = ax.patches
    assert len(bars) == 2 * len(SENSITIVITIES)
    base = bc.ort_per_dwelling_eur
    widths = {(round(b.get_y(), 3), round(b.get_width(), 6)) for b in bars}
    table = s.set_index("case")["ort_per_dwelling_eur"] - base
    assert {round(w, 6) for _, w in widths} == {round(v, 6) for v in table.drop("base")}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    spans = {lever: float(table[table.index.str.startswith(lever)].max()
                          - table[table.index.str.startswith(lever)].min())
             for lever in SENSITIVITIES}  # fmt: skip
    assert labels[-1] == max(spans, key=spans.get)  # the widest bar on top


def test_geopackage_holds_the_cash_flows(otterlo, tmp_path):
    out = otterlo.to_geopackage(tmp_path / "o.gpkg")
    flows = gpd.read_file(out, layer="cash_flows")
    lines = gpd.read_file(out, layer="cash_flow_lines")
    bc = otterlo.network.business_case
    summary = otterlo.summary.set_index("key")["value"]
    assert flows["discounted_eur"].sum() == pytest.approx(summary[f"{bc.network}_npv"])
    assert len(flows) == 30 and flows["year"].tolist() == list(range(2030, 2060))
    assert {"cost_secondary_eur", "cost_afleverset_eur", "om_eur", "replacements_eur"} <= set(
        flows.columns
    )
    assert lines["npv_eur"].sum() == pytest.approx(bc.npv_eur)
    assert (lines["source"].str.len() > 10).all()
    assert summary[f"{bc.network}_ort_per_dwelling"] == pytest.approx(bc.ort_per_dwelling_eur)
    assert wg.business_case is business_case


def test_study_file_picks_a_variant_and_the_parameters_table_says_so():
    params = wg.read_parameters({"network": "MT", "costs": {"variant": "study_losses"}})
    assert params.costs.variant == "study_losses"
    assert params.costs.networks["MT"].losses == 0.15
    table = wg.parameter_table(params).set_index(["section", "key"])
    assert table.loc[("costs", "variant"), "value"] == "study_losses"
    assert table.loc[("costs", "variant"), "origin"] == "study"
    assert table.loc[("costs", "networks.MT.losses"), "origin"] == "variant study_losses"
    assert table.loc[("costs", "networks.MT.peak_share"), "origin"] == "default"
    # a figure set next to the variant wins over it
    both = wg.read_parameters(
        {"costs": {"variant": "study_losses", "networks": {"MT": {"losses": 0.1}}}}
    )
    assert both.costs.networks["MT"].losses == 0.1


def test_vesta4_etm_variant_prices_pipe_upkeep_at_three_percent():
    params = load_cost_params({"variant": "vesta4_etm", **_overrides_three_years()})
    bc = business_case({"secondary": 10}, {}, "MT", params=params)
    assert _line(bc, "secondary: O&M") == pytest.approx(-0.03 * 12_800 * IDX)
    assert params.sources["assets.secondary.om_share"].startswith("variant 'vesta4_etm'")


# ---- the heat company's business case by the study's own definitions (§3.2.1, D.2)
STUDY_LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
STUDY_CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}


def test_default_business_case_credits_no_residual_value():
    """§3.2.1: investment against sales, charges and subsidy over 30 years; nothing left over."""
    bc = business_case(STUDY_LENGTHS, STUDY_CONNECTIONS, "MT")
    assert "residual value" not in set(bc.items["category"])
    assert bc.cash_flows["residual_value_eur"].eq(0).all()
    on = business_case(
        STUDY_LENGTHS, STUDY_CONNECTIONS, "MT",
        params=load_cost_params({"business_case": {"residual_value": 1}}),
    )  # fmt: skip
    credit = float(on.cash_flows["residual_value_eur"].sum())
    # the option credits what outlives the term in the last year, and only that changes
    assert credit > 0
    assert on.npv_eur - bc.npv_eur == pytest.approx(
        credit * on.cash_flows["discount_factor"].iloc[-1]
    )


def test_subsidy_is_paid_per_dwelling():
    """D.2: 10,000 EUR per dwelling (3,031), not per connection (3,080, Table 54's header)."""
    bc = business_case(STUDY_LENGTHS, STUDY_CONNECTIONS, "MT")
    assert bc.cash_flows["subsidy_eur"].sum() == pytest.approx(10_000 * (2128 + 903))
    both = business_case(
        STUDY_LENGTHS, STUDY_CONNECTIONS, "MT",
        params=load_cost_params({"business_case": {"subsidy_non_residential": 1}}),
    )  # fmt: skip
    assert both.cash_flows["subsidy_eur"].sum() == pytest.approx(10_000 * 3080)
    # 49 connections x 10,000 EUR, paid evenly over 2035-2038 (t = 5..8), discounted at 4 %
    extra = 49 * 10_000 / 4 * sum(1.04**-t for t in range(5, 9))
    assert both.npv_eur - bc.npv_eur == pytest.approx(extra)


def test_insurance_is_a_share_of_the_assets_in_place():
    """0.1 %/yr of 10 m of secondary pipe built in 2030, indexed: three years by hand."""
    params = _three_years(operations={"insurance_share": 0.001})
    bc = business_case({"secondary": 10}, {}, "MT", params=params)
    pipe = 10 * 1280.0
    assert _line(bc, "insurance (share of the assets in place)") == pytest.approx(
        -0.001 * pipe * IDX
    )
    assert "insurance (share of the assets in place)" not in set(
        business_case({"secondary": 10}, {}, "MT", params=_three_years()).items["item"]
    )  # the default: no sourced rate, no line
