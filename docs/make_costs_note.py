"""Write docs/costs.md (the business case's method note) and docs/business_case_tornado.png.

Run ``python docs/make_costs_note.py``; a test checks the committed note is what this writes,
so the numbers in the note are always those of the code and the parameter file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from warmtegis.economics.business import SENSITIVITIES, BusinessCase, business_case
from warmtegis.economics.charts import waterfall
from warmtegis.params.costs import cost_parameter_table, cost_variants, load_cost_params

LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
ZLT_LENGTHS = {"primary": 4000, "secondary": 14800}
CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}
OUT = Path(__file__).with_name("costs.md")
TORNADO = Path(__file__).with_name("business_case_tornado.png")


def _md(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    left = ("", "network", "item", "unit", "case", "step", "category", "source", "lever", "variant",
            "reading of the heat bought", "yearly cost of the heat company (NPLW)",
            "in the model as", "rate")  # fmt: skip
    rule = "|" + "|".join("---" if c in left else "---:" for c in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _k(x: float) -> str:
    return f"{round(x / 1000):,d}"


def _e(x: float) -> str:
    return f"{x:,.0f}"


def cases() -> tuple[BusinessCase, BusinessCase]:
    """Return the study network's MT and ZLT business cases."""
    return (
        business_case(LENGTHS, CONNECTIONS, "MT"),
        business_case(ZLT_LENGTHS, CONNECTIONS, "ZLT"),
    )


def _results(mt: BusinessCase, zlt: BusinessCase) -> str:
    rows = [
        ("investment (M EUR, start-year prices)", "investment_eur", 1e-6, "{:,.2f}"),
        ("NPV at 4 % (M EUR)", "npv_eur", 1e-6, "{:,.2f}"),
        ("onrendabele top, gross (M EUR excl. VAT)", "ort_eur", 1e-6, "{:,.2f}"),
        ("connections", "connections", 1, "{:,.0f}"),
        ("dwellings connected", "dwellings", 1, "{:,.0f}"),
        ("gross ORT per connection (EUR excl. VAT)", "ort_per_connection_eur", 1, "{:,.0f}"),
        ("gross ORT per dwelling (EUR excl. VAT)", "ort_per_dwelling_eur", 1, "{:,.0f}"),
        ("households' own installation (M EUR incl. VAT)",
         "household_contribution_eur_incl_vat", 1e-6, "{:,.2f}"),
        ("net ORT per dwelling (EUR incl. VAT)", "ort_net_per_dwelling_eur", 1, "{:,.0f}"),
        ("net ORT per connection (EUR incl. VAT)", "ort_net_per_connection_eur", 1, "{:,.0f}"),
    ]  # fmt: skip
    return _md(
        pd.DataFrame(
            [
                (name, fmt.format(s * getattr(mt, a)), fmt.format(s * getattr(zlt, a)))
                for name, a, s, fmt in rows
            ],
            columns=["", "MT", "ZLT"],
        )
    )


def _waterfall(network: str, lengths: dict) -> str:
    w = waterfall(lengths, CONNECTIONS, network)
    return _md(
        pd.DataFrame(
            {
                "step": w["step"],
                "change per connection (EUR)": w["change_per_connection_eur"].map(
                    lambda v: f"{v:+,.0f}" if v else "-"
                ),
                "ORT per connection (EUR)": w["ort_per_connection_eur"].map(_e),
            }
        )
    )


def _heat_pump(mt: BusinessCase) -> tuple[str, float, float]:
    """MT with the central heat pump: the table of its supply lines and its cost per GJ."""
    hp = business_case(
        LENGTHS, CONNECTIONS, "MT", params=load_cost_params(variant="central_heat_pump")
    )
    own = hp.items[
        hp.items["asset_class"].isin(["heat_pump", "source"])
        | hp.items["item"].isin(
            ["heat bought for the peak", "central heat pump electricity", "heat source electricity"]
        )
    ]
    flows = hp.cash_flows
    index = (1 + load_cost_params().business_case.indexation) ** flows["t"]
    # discounted GJ valued at the start-year price: cost per GJ in start-year prices
    gj = float((flows["heat_fed_gj"] * index * flows["discount_factor"]).sum())
    per_gj = -float(own["discounted_eur"].sum()) / gj
    lines = own.groupby(["item", "category"], sort=False)["discounted_eur"].sum().reset_index()
    table = _md(
        pd.DataFrame(
            {
                "item": lines["item"],
                "category": lines["category"],
                "NPV (k EUR)": lines["discounted_eur"].map(_k),
                "EUR per GJ fed in": (-lines["discounted_eur"] / gj).map("{:.2f}".format),
            }
        )
    )
    return table, per_gj, hp.ort_per_dwelling_eur


def _sensitivities(mt: BusinessCase, zlt: BusinessCase) -> tuple[str, str]:
    sens = pd.concat(
        [mt.sensitivities.assign(network="MT"), zlt.sensitivities.assign(network="ZLT")]
    )
    table = _md(
        pd.DataFrame(
            {
                "network": sens["network"],
                "case": sens["case"],
                "dwellings": sens["dwellings"].map(_e),
                "NPV (k EUR)": sens["npv_eur"].map(_k),
                "ORT per dwelling (EUR)": sens["ort_per_dwelling_eur"].map(_e),
            }
        )
    )
    notes = []
    for bc in (mt, zlt):
        s = bc.sensitivities
        spans = {
            lever: float(
                s.loc[s["lever"] == lever, "ort_per_dwelling_eur"].max()
                - s.loc[s["lever"] == lever, "ort_per_dwelling_eur"].min()
            )
            for lever in SENSITIVITIES
        }
        order = sorted(spans, key=spans.get, reverse=True)
        notes.append(
            f"{bc.network}: "
            + ", ".join(f"{lever} {spans[lever]:,.0f}" for lever in order)
            + " EUR per dwelling from low to high"
        )
    return table, "\n".join(f"- {n}." for n in notes)


def _ort(network: str, params: object | None = None, **kw: object) -> BusinessCase:
    lengths = LENGTHS if network == "MT" else ZLT_LENGTHS
    return business_case(lengths, CONNECTIONS, network, params=params, **kw)  # type: ignore[arg-type]


def _definitions(mt: BusinessCase, zlt: BusinessCase) -> str:
    """Tabulate the study's own definitions and the two inputs that differ from its stated ones."""
    rows = [("this model's defaults", mt, zlt)]
    for label, over in (
        ("with a residual value credited (variant `residual_value`, App. E's reading)",
         {"variant": "residual_value"}),
        ("with the subsidy also paid to the 49 non-residential connections (Table 54's header)",
         {"business_case": {"subsidy_non_residential": 1}}),
        ("MT losses as the study states them: 15 % of the heat fed in (variant `study_losses`)",
         {"variant": "study_losses"}),
        ("ZLT heat volume as the study's 67 TJ (variant `study_zlt_volume`, saving 41.3 %)",
         {"variant": "study_zlt_volume"}),
        ("insurance 0.1 %/yr of the assets in place (no sourced rate; default 0)",
         {"operations": {"insurance_share": 0.001}}),
    ):  # fmt: skip
        p = load_cost_params(over)
        rows.append((label, _ort("MT", p), _ort("ZLT", p)))
    table = pd.DataFrame(
        [
            (label,
             _e(a.ort_per_connection_eur), _e(a.ort_per_connection_eur - mt.ort_per_connection_eur),
             _e(b.ort_per_connection_eur),
             _e(b.ort_per_connection_eur - zlt.ort_per_connection_eur))
            for label, a, b in rows
        ],
        columns=["case", "MT ORT per connection", "MT change", "ZLT ORT per connection",
                 "ZLT change"],
    )  # fmt: skip
    return _md(table)


#: The NPLW template's yearly costs of the heat company and where the model holds each.
NPLW_LINES = (
    ("O&M of the pipes (transport, primary, secondary)", "`O&M` of each pipe asset class",
     "1 %/yr of the investment", "Vesta MAIS 2024 (FO 4.0 A.8 tables 34, 43)"),
    ("O&M of the heat plant", "`plant: O&M`", "3 %/yr", "Vesta MAIS 2024 (table 30)"),
    ("O&M of the substations", "`substations: O&M`", "3 %/yr", "Vesta MAIS 2024 (table 31)"),
    ("O&M of the connections", "`service pipes`, `in house`, `afleverset: O&M`",
     "1 %, 2.5 %, 3 %/yr", "Vesta MAIS 2024 (tables 43, 39, 36)"),
    ("metering", "`afleverset: administration` (the delivery set holds the heat meter)",
     "3 %/yr", "Vesta MAIS 2024 (table 37)"),
    ("customer administration", "`administration and customers`", "1 % of the fixed charge",
     "Vesta MAIS 2024 (table 38)"),
    ("insurance", "`insurance (share of the assets in place)`", "0 by default: no sourced rate",
     "none found (the study and Vesta's key figures give none); the table above gives the ORT "
     "at 0.1 %/yr"),
    ("pumping energy", "`distribution pump electricity`",
     "0.0072 GJ electricity per GJ sold, 0.130 EUR/kWh",
     "Vesta MAIS 2024 (`Pompenergie_Wnet`; KEV 2019 price)"),
)  # fmt: skip


def _nplw_lines() -> str:
    return _md(
        pd.DataFrame(
            NPLW_LINES,
            columns=["yearly cost of the heat company (NPLW)", "in the model as", "rate", "source"],
        )
    )


def _heat_price_readings() -> str:
    """Tabulate the ±25 % heat-price lever per connection under readings of the heat bought."""
    readings = (
        ("this model: losses 10.5 GJ per connection (Vesta), price indexed 2 %/yr", {}),
        ("losses 15 % of the heat fed in (the study's figure), indexed",
         {"variant": "study_losses"}),
        ("losses 10.5 GJ, price not indexed", {"business_case": {"indexation": 0.0}}),
        ("losses 15 %, price not indexed",
         {"variant": "study_losses", "business_case": {"indexation": 0.0}}),
        ("no losses (heat bought = heat sold), indexed",
         {"networks": {"MT": {"loss_gj_per_connection": 0.0}}}),
        ("no losses, price not indexed",
         {"networks": {"MT": {"loss_gj_per_connection": 0.0}},
          "business_case": {"indexation": 0.0}}),
    )  # fmt: skip
    rows = []
    for label, over in readings:
        p = load_cost_params(over)
        base, lo, hi = (_ort("MT", p, heat_price_factor=f) for f in (1.0, 0.75, 1.25))
        lines = base.lines
        bought = -float(lines.loc[lines["category"] == "heat supply", "npv_eur"].sum())
        half = (hi.ort_eur - lo.ort_eur) / 2
        rows.append((label, _e(bought / base.connections), _e(half / base.connections),
                     _e(half / base.dwellings)))  # fmt: skip
    return _md(
        pd.DataFrame(
            rows,
            columns=[
                "reading of the heat bought",
                "heat purchase, PV per connection",
                "±25 % per connection",
                "±25 % per dwelling",
            ],
        )
    )


def render() -> str:
    """Return the Markdown text of the note."""
    mt, zlt = cases()
    f = mt.cash_flows
    flows = pd.DataFrame(
        {
            "year": f["year"],
            "connections": f["connections"].map(_e),
            "heat sold (GJ)": f["heat_sold_gj"].map(_e),
            "investment": f["investment_eur"].map(_k),
            "replacements": f["replacements_eur"].map(_k),
            "residual value": f["residual_value_eur"].map(_k),
            "O&M": f["om_eur"].map(_k),
            "administration": f["administration_eur"].map(_k),
            "heat bought": f["heat_supply_eur"].map(_k),
            "electricity": f["electricity_eur"].map(_k),
            "revenues": f["revenues_eur"].map(_k),
            "subsidy": f["subsidy_eur"].map(_k),
            "net": f["net_eur"].map(_k),
            "discount factor": f["discount_factor"].map("{:.4f}".format),
            "discounted": f["discounted_eur"].map(_k),
        }
    )
    by_class = mt.by_asset_class
    classes = pd.DataFrame({"year": by_class.index})
    for asset in by_class.columns:
        classes[asset.replace("_", " ")] = by_class[asset].map(_k).to_numpy()
    lines = mt.lines
    lines_table = _md(
        pd.DataFrame(
            {
                "item": lines["item"],
                "category": lines["category"],
                "nominal (k EUR)": lines["nominal_eur"].map(_k),
                "NPV (k EUR)": lines["npv_eur"].map(_k),
                "source": lines["source"].str.replace("|", "/"),
            }
        )
    )
    capex = pd.concat([mt.capex.assign(network="MT"), zlt.capex.assign(network="ZLT")])
    capex = capex[capex["cost_eur"] > 0]
    capex_table = pd.DataFrame(
        {
            "network": capex["network"],
            "item": capex["item"],
            "quantity": capex["quantity"].map(lambda q: f"{q:,.0f}" if q >= 10 else f"{q:.3f}"),
            "unit": capex["unit"],
            "EUR per unit": capex["unit_cost_eur"].map(_e),
            "cost (k EUR)": capex["cost_eur"].map(_k),
        }
    )
    hp_table, hp_per_gj, hp_ort = _heat_pump(mt)
    net = load_cost_params().networks["MT"]
    bought = (1 - net.peak_share) * net.heat_base_eur_per_gj + net.peak_share * (
        net.heat_peak_eur_per_gj
    )
    sens_table, sens_notes = _sensitivities(mt, zlt)
    params = cost_parameter_table()
    assumptions = params[params["source"].str.startswith("Assumption")]
    assumption_list = "\n".join(
        f"- `{row.key}` = {row.value if isinstance(row.value, tuple) else f'{row.value:g}'} "
        f"{row.unit}: {row.source}"
        for row in assumptions.itertuples()
    )
    variants = "\n".join(f"- `{name}`: {v['description']}" for name, v in cost_variants().items())
    rows = [("(default)", mt.ort_per_dwelling_eur, zlt.ort_per_dwelling_eur)]
    for name in cost_variants():
        p = load_cost_params(variant=name)
        rows.append(
            (
                f"`{name}`",
                business_case(LENGTHS, CONNECTIONS, "MT", params=p).ort_per_dwelling_eur,
                business_case(ZLT_LENGTHS, CONNECTIONS, "ZLT", params=p).ort_per_dwelling_eur,
            )
        )
    variant_table = _md(
        pd.DataFrame(
            [(n, _e(a), _e(b)) for n, a, b in rows],
            columns=["variant", "MT ORT per dwelling (EUR)", "ZLT ORT per dwelling (EUR)"],
        )
    )
    return f"""# Business case of the heat company: method note

Generated by `docs/make_costs_note.py` from `warmtegis/data/costs.toml`; do not edit by hand.
Every figure below is computed by `warmtegis.business_case` (defined in
`warmtegis.economics.business`) for the study network of docs/method.md §2: MT transport
1.0 km, primary 3.0 km, secondary 14.8 km (ZLT primary 4.0 km, secondary 14.8 km); 2,128
ground-bound, 903 apartment and 49 non-residential connections (80 % participation). The method
is docs/method.md §2b. Amounts in euro excl. VAT unless a line says otherwise.

```python
from warmtegis import business_case
bc = business_case(
    pipe_lengths_m={LENGTHS},
    connections={CONNECTIONS},
    network="MT",
)
bc.ort_per_connection_eur, bc.ort_per_dwelling_eur, bc.ort_net_per_dwelling_eur
bc.cash_flows, bc.lines, bc.sensitivities
```

## Results

{_results(mt, zlt)}

The gross ORT is the shortfall of the NPV at the required return, excl. VAT. The net ORT is the
gross ORT incl. 21 % VAT minus what the households pay themselves for the in-home installation
the network needs (ZLT: 8,006 EUR per ground-bound dwelling, 4,066 EUR per apartment, incl.
VAT). Per dwelling divides by the 3,031 dwellings (ground-bound + apartments), per connection
by all 3,080 connections.

## From the earlier model to this one

The earlier model (variant `legacy`) counted O&M of 1 %/yr on the pipes and 2 %/yr on plant and
substations only. Each step below replaces one group of its figures by this model's and reruns
the business case; the last step is this model.

MT:

{_waterfall("MT", LENGTHS)}

ZLT:

{_waterfall("ZLT", ZLT_LENGTHS)}

## What the heat price per GJ stands for

By default the heat company buys its heat at {bought:.1f} EUR/GJ (MT: 30 EUR/GJ base, 70 EUR/GJ for
the 2 % peak), an all-in price. With `[parameters.costs] variant = "central_heat_pump"` it produces
85 % of the heat fed in itself with a central heat pump (SCOP 4.4) on a surface-water source and
buys the rest at the peak price; heat pump and source are invested in (Vesta 2024: 1,250 EUR/kW,
source 1.115 M EUR + 135 EUR/kW, capacity 30 % of the peak), maintained and replaced. For MT on
the study network:

{hp_table}

That is {hp_per_gj:.1f} EUR per GJ fed in, in start-year prices (the discounted costs over the
discounted, indexed GJ), against the {bought:.1f} EUR/GJ bought by default; the ORT per dwelling
becomes {hp_ort:,.0f} EUR (default {mt.ort_per_dwelling_eur:,.0f} EUR). The study's purchase
price is thus about what an own central heat pump on surface water costs by Vesta's 2024 figures.

## Investment

{_md(capex_table)}

Plant and substations are the study's totals scaled by connections / 3,080. The investment per
connection is split into the delivery set (afleverset, an installation of 15 years), the in-house
pipes (2,700 EUR ground-bound, 1,444 EUR apartment; Vesta 2024) and the service pipe (the rest).

## Every line of the MT case

{lines_table}

## MT cash flows per year (k EUR, nominal; costs negative)

{_md(flows)}

Sum of the discounted column = NPV = {mt.npv_eur / 1e3:,.0f} k EUR.

### MT costs per asset class per year

k EUR: investment + replacements − residual value + O&M + administration, nominal.

{_md(classes)}

## Sensitivities

{sens_table}

![Tornado plot of the MT and ZLT ORT per dwelling](business_case_tornado.png)

The widest levers, ORT per dwelling:

{sens_notes}

The reference study names participation and the heat purchase price as the levers that matter
most, and says a lower heat demand raises the MT ORT. The second holds here: MT earns
{net.variable_charge_eur_per_gj:g} − {bought:.1f} EUR on each further GJ sold, as its losses are a
fixed amount per connection (with the study's 15 % of the heat fed in, variant `study_losses`,
each GJ sold costs {bought / 0.85:.1f} EUR and the sign turns). The order of the levers is what the
table above says, computed, not tuned.

## The business case by the study's own definitions

The study's §3.2.1 defines the ORT as the part of the investment that remains after the income
from heat sales, fixed charges and subsidy is set against it over a business case of 30 years; it
credits no value left at the end. Its rule that investments running past the end of the period
count with their residual value (App. E) belongs to the 2026-2050 end-user cost comparison. The
default therefore credits no residual value (`business_case.residual_value = 0`; the variant
`residual_value` credits it). The subsidy (WIS + SDE) is paid per dwelling, as the study's D.2
says (10,000 EUR x 3,031 dwellings); the header of its Table 54 says "per aansluiting" (per
connection), a conflict the switch `business_case.subsidy_non_residential = 1` reads the other
way. Two inputs differ from the study's stated ones and are parameters, not silent choices:
MT network losses (default 10.5 GJ per connection and year, Vesta MAIS 2024 after CE Delft's
validation; the study: 15 % of the heat fed in, variant `study_losses`) and the ZLT heat volume
(default: dwellings save a further 30 %, the study's text; its own figure of 67 TJ sold implies
41.3 %, variant `study_zlt_volume`). The effect of each on the ORT per connection (EUR excl. VAT):

{_definitions(mt, zlt)}

### The NPLW template's yearly costs, line by line

{_nplw_lines()}

Every yearly line the template counts is in the model with a sourced rate except insurance, a
parameter held at 0 until a rate is sourced. Set to the study's 15 % losses the MT ORT falls by
about 2,300 EUR per connection (table above); a template line the model lacked would then show
as a gap to the study's own ORT, and insurance is the one such line: at 0.1 %/yr of the assets in
place it adds about 400 EUR per connection.

### The heat-price sensitivity against the study's 3,300 EUR

The study's text gives about 3,300 EUR per connection for a heat price ±25 %; this model gives
the half-span below. The lever is the present value of the heat bought per connection: 25 % of it
(plus 25 % of the pump electricity, which the lever also moves). Computed for readings of what is
bought and at what price:

{_heat_price_readings()}

The study's figure is what the lever gives when the heat bought is the heat sold (no network
losses) at a price that is not indexed. The study itself states 15 % losses and 2 %/yr indexation
of costs and prices, and this model keeps both (losses as Vesta's fixed 10.5 GJ per connection):
the difference is documented, not tuned away.

## Variants

{variant_table}

{variants}

## Figures that are assumptions

{assumption_list}
"""


def write_tornado() -> None:
    """Draw the MT and ZLT tornado plots side by side into docs/business_case_tornado.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from warmtegis.economics.charts import tornado_plot

    mt, zlt = cases()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for ax, bc in zip(axes, (mt, zlt), strict=True):
        tornado_plot(bc.sensitivities, ax=ax, title=f"{bc.network}: ORT per dwelling")
    fig.tight_layout()
    fig.savefig(TORNADO, dpi=110)
    plt.close(fig)


def main() -> None:
    """Write the note and the plot next to this script."""
    tmp = OUT.with_suffix(".md.tmp")
    tmp.write_text(render(), encoding="utf-8")
    tmp.replace(OUT)
    write_tornado()
    print(f"wrote {OUT} and {TORNADO}")


if __name__ == "__main__":
    main()
