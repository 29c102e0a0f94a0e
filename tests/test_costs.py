"""Cost model: parameters, study investment totals from docs/method.md §2, pipe prices, mini nets.

The business case over the term is tested in tests/test_business.py.
"""

from __future__ import annotations

import math
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from warmtegis import ConfigError, read_study
from warmtegis.economics.business import business_case
from warmtegis.economics.pricing import (
    annualised_cost,
    mini_net_capex,
    network_capex,
    price_mini_nets,
    price_pipes,
)
from warmtegis.params.costs import cost_parameter_table, load_cost_params

# docs/method.md §2: the study's network at 80 % participation
LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}
# investment per connection (docs/method.md §2), the same in both variants
CONNECTION_EUR = 2128 * 10_268 + 903 * 3_560 + 49 * 67_428


def test_mt_investment_matches_the_study():
    bc = business_case(pipe_lengths_m=LENGTHS, connections=CONNECTIONS, network="MT")
    by_item = bc.capex.set_index("item")["cost_eur"]
    # each line against the study's table (M EUR, rounded to 0.1 there)
    for item, study in [
        ("transport", 1.9e6),
        ("primary", 11.6e6),
        ("secondary", 19.0e6),
        ("heat plant", 3.4e6),
        ("substations", 2.8e6),
    ]:
        assert by_item[item] == pytest.approx(study, abs=0.06e6)
    expected = (1.9 + 11.6 + 19.0 + 3.4 + 2.8) * 1e6 + CONNECTION_EUR
    assert bc.investment_eur == pytest.approx(expected, rel=0.002)
    assert bc.investment_eur == pytest.approx(67e6, rel=0.01)  # "MT about EUR 67 M"


def test_zlt_investment_matches_the_study():
    bc = business_case(pipe_lengths_m=LENGTHS, connections=CONNECTIONS, network="ZLT")
    by_group = bc.capex.groupby("group")["cost_eur"].sum()
    # the study's ZLT primary (15.5 M EUR, 4.0 km) covers MT transport + primary
    assert by_group["pipes"] == pytest.approx((15.5 + 17.9) * 1e6, rel=0.005)
    assert by_group["plant"] == pytest.approx(2.9e6)
    assert bc.investment_eur == pytest.approx(65e6, rel=0.01)  # "ZLT about EUR 65 M"


def test_parameter_validation_collects_every_problem():
    with pytest.raises(ConfigError) as err:
        load_cost_params(
            {
                "networks": {"MT": {"losses": 1.5, "pipe_eur_per_m": {"secundary": 1}}},
                "mini_net": {"drilling_eur_per_m": -65},
                "business_case": {"term_years": 2.5},
            }
        )
    text = str(err.value)
    assert "4 problems" in text
    assert "networks.MT.losses is a share" in text
    assert "'networks.MT.pipe_eur_per_m.secundary'" in text
    assert "mini_net.drilling_eur_per_m must not be negative" in text
    assert "whole number of years" in text


def test_parameter_file_needs_every_value(tmp_path):
    from importlib import resources

    text = resources.files("warmtegis").joinpath("data", "costs.toml").read_text("utf-8")
    broken = "\n".join(line for line in text.splitlines() if not line.startswith("peak_share"))
    path = tmp_path / "costs.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"missing value: networks\.MT\.peak_share"):
        load_cost_params(path=path)
    path.write_text("[mini_net]\ndrilling_eur_per_m = 65\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="value, unit and source"):
        load_cost_params(path=path)


def test_every_parameter_has_unit_and_source():
    import tomllib
    from importlib import resources

    raw = tomllib.loads(resources.files("warmtegis").joinpath("data", "costs.toml").read_text())

    def leaves(node):
        if "value" in node:
            return 1
        return sum(leaves(v) for v in node.values())

    table = cost_parameter_table()
    assert len(table) == leaves(raw)
    assert (table["unit"].str.len() > 0).all()
    assert (table["source"].str.len() > 10).all()
    assert table.set_index("key").loc["networks.MT.pipe_eur_per_m.primary", "value"] == 3877


def test_study_file_overrides_costs(tmp_path):
    from warmtegis.datasets import get_path

    otterlo = get_path("otterlo/study.toml").parent
    study = tmp_path / "study.toml"
    study.write_text(
        textwrap.dedent(
            f"""
            [inputs]
            buildings = {{ path = "{otterlo / "bgt_pand.gpkg"}", layer = "pand" }}
            roads = {{ path = "{otterlo / "bgt_wegdeel.gpkg"}", layer = "wegdeel" }}
            [parameters.costs.networks.MT.pipe_eur_per_m]
            secondary = 1350
            """
        ),
        encoding="utf-8",
    )
    params = read_study(study).parameters.costs
    assert params.networks["MT"].pipe_eur_per_m["secondary"] == 1350
    assert params.networks["ZLT"].pipe_eur_per_m["secondary"] == 1204
    study.write_text(study.read_text().replace("secondary", "secundary"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[parameters.costs\]: unknown cost parameter"):
        read_study(study)


def test_price_pipes():
    pipes = gpd.GeoDataFrame(
        {"pipe_class": ["primary", "secondary", "service"], "length_m": [100.0, 50.0, 12.0]},
        geometry=[LineString([(0, 0), (100, 0)])] * 3,
        crs="EPSG:28992",
    )
    priced = price_pipes(pipes, "MT")
    assert priced["cost_eur"].to_list() == [387_700.0, 64_000.0, 0.0]
    assert "cost_eur" not in pipes.columns  # the caller's frame is not changed
    assert price_pipes(pipes, "ZLT")["cost_eur"].iloc[0] == 388_600.0
    with pytest.raises(ConfigError, match="unknown pipe_class"):
        price_pipes(pipes.assign(pipe_class="trunk"), "MT")


def test_network_capex_scales_plant_with_connections():
    half = {k: v / 2 for k, v in CONNECTIONS.items()}
    table = network_capex(LENGTHS, half, "MT").set_index("item")["cost_eur"]
    assert table["heat plant"] == pytest.approx(1.7e6)
    assert table["substations"] == pytest.approx(1.4e6)


# -------------------------------------------------------------------------------------------
# Mini nets
# -------------------------------------------------------------------------------------------
def test_mini_net_two_dwellings_cost_more_each_than_three_on_one_loop():
    two = mini_net_capex(2, 1, 150, 10)
    three = mini_net_capex(3, 1, 150, 15)
    assert two["capex_per_dwelling"] > three["capex_per_dwelling"]
    # by hand: rig 3000 + 150 m x 65 + loop head 750 + manifold 2500 + trench 10 m x 120
    #          + 2 x (heat pump 11000 + in-home 1500)
    assert two["capex"] == pytest.approx(3000 + 150 * 65 + 750 + 2500 + 10 * 120 + 2 * 12_500)


def test_rig_is_paid_once_per_site():
    one_loop = mini_net_capex(4, 1, 150, 20)
    two_loops = mini_net_capex(4, 2, 150, 20)
    assert two_loops["rig"] == one_loop["rig"] == 3000
    assert two_loops["capex"] - one_loop["capex"] == pytest.approx(150 * 65 + 750)


def test_individual_ground_source_calibration():
    # one dwelling, one 130 m loop: no manifold or trench; close to the reference study's EUR 25,500
    single = mini_net_capex(1, 1, 130)
    assert single["manifold"] == 0
    assert single["capex"] == pytest.approx(25_500, rel=0.05)


def test_annualised_cost_by_hand():
    # EUR 1000 lasting 15 years over 30 years: bought in year 0 and 15, no residual
    a = annualised_cost({"x": (1000.0, 15)}, horizon_years=30, discount_rate=0.04, indexation=0.02)
    pv = 1000 * (1 + (1.02 / 1.04) ** 15)
    assert a == pytest.approx(pv * 0.04 / (1 - 1.04**-30))
    # a 50-year asset: bought once, 20/50 of it left at year 30
    b = annualised_cost({"x": (1000.0, 50)}, horizon_years=30, discount_rate=0.04, indexation=0.0)
    pv = 1000 - 1000 * 0.4 / 1.04**30
    assert b == pytest.approx(pv * 0.04 / (1 - 1.04**-30))
    # running cost of EUR 100 a year without indexation or discounting is EUR 100 a year
    c = annualised_cost({}, yearly=100.0, horizon_years=30, discount_rate=0.0, indexation=0.0)
    assert c == pytest.approx(100.0)


def test_price_mini_nets_adds_columns_and_compares():
    nets = pd.DataFrame(
        {
            "mini_net_id": ["a", "b"],
            "n_dwellings": [2, 6],
            "n_boreholes": [1, 2],
            "borehole_depth_m": [150.0, 180.0],
            "trench_length_m": [10.0, 40.0],
            "heat_demand_gj": [84.0, 252.0],
        }
    )
    priced = price_mini_nets(nets)
    assert list(nets.columns) == [
        "mini_net_id",
        "n_dwellings",
        "n_boreholes",
        "borehole_depth_m",
        "trench_length_m",
        "heat_demand_gj",
    ]
    per = priced["capex_per_dwelling_eur"].to_numpy()
    assert per == pytest.approx(priced["capex_eur"].to_numpy() / np.array([2, 6]))
    # the larger group spreads the rig and manifold: cheaper per dwelling
    assert per[1] < per[0]
    # air-source: EUR 14,125 replaced after 15 years plus 42 GJ / SPF 3 at EUR 0.30/kWh
    growth = (1.02 / 1.04) ** np.arange(30)
    power = 42 / 0.0036 / 3.0 * 0.30
    air = (14_125 * (1 + growth[15]) + power * growth.sum()) * 0.04 / (1 - 1.04**-30)
    assert priced["air_source_annual_eur"].to_numpy() == pytest.approx([air, air])
    assert set(priced["cheapest"]) <= {"mini_net", "air_source", "ground_source"}
    with pytest.raises(ConfigError, match="no column heat_demand_gj"):
        price_mini_nets(nets.drop(columns="heat_demand_gj"))


def test_mini_net_capex_rejects_nonsense():
    with pytest.raises(ConfigError, match="at least one dwelling"):
        mini_net_capex(0, 1, 100)
    with pytest.raises(ConfigError, match="non-negative"):
        mini_net_capex(2, 1, -100)
    assert math.isclose(float(mini_net_capex(2, 0, 0)["rig"]), 0.0)


def test_method_note_is_current():
    """docs/costs.md is generated; it must show what the code computes today."""
    import runpy
    from pathlib import Path

    script = Path(__file__).parents[1] / "docs" / "make_costs_note.py"
    render = runpy.run_path(str(script))["render"]
    committed = script.with_name("costs.md").read_text(encoding="utf-8")
    assert committed == render(), "run python docs/make_costs_note.py"


def test_cost_params_built_in_python_are_checked_like_the_file():
    """dataclasses.replace or a hand-built CostParams runs the same rules as load_cost_params."""
    import dataclasses

    p = load_cost_params()
    bc = dataclasses.replace(p.business_case, participation=1.5)
    with pytest.raises(ConfigError) as py:
        dataclasses.replace(p, business_case=bc)
    with pytest.raises(ConfigError) as toml:
        load_cost_params({"business_case": {"participation": 1.5}})
    strip = lambda e, pre: [m.removeprefix(pre) for m in e.value.problems]  # noqa: E731
    assert strip(py, "CostParams: ") == strip(toml, "[parameters.costs]: ")
    assert "business_case.participation is a share" in str(py.value)
    late = dataclasses.replace(p.phasing["pipes"], first_year=2100)
    with pytest.raises(ConfigError, match=r"CostParams: phasing.pipes runs 2100-2104, outside"):
        dataclasses.replace(p, phasing={**p.phasing, "pipes": late})
    mt = dataclasses.replace(p.networks["MT"], losses=1.0)
    with pytest.raises(ConfigError, match=r"networks.MT.losses must be below 1"):
        dataclasses.replace(p, networks={**p.networks, "MT": mt})
    assert dataclasses.replace(p, units={}).business_case == p.business_case  # valid stays valid
