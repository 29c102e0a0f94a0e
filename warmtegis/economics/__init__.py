"""Money.

Pricing of pipes, networks and mini nets, the heat company's business case and its charts.
"""

from warmtegis.economics.business import (
    METRICS,
    SENSITIVITIES,
    WATERFALL_STEPS,
    BusinessCase,
    business_case,
    lever_label,
)
from warmtegis.economics.cash_flows import (
    PHASING_OF,
    CashFlowLines,
    Levers,
    asset_amounts,
    asset_lines,
    investment_source,
    phase_shares,
)
from warmtegis.economics.charts import tornado_plot, waterfall
from warmtegis.economics.pricing import (
    annualised_cost,
    check_counts,
    heat_network_bill,
    individual_heat_pump_costs,
    mini_net_capex,
    mini_net_prices,
    network_capex,
    price_mini_nets,
    price_pipes,
)

__all__ = [
    "METRICS",
    "PHASING_OF",
    "SENSITIVITIES",
    "WATERFALL_STEPS",
    "BusinessCase",
    "CashFlowLines",
    "Levers",
    "annualised_cost",
    "asset_amounts",
    "asset_lines",
    "business_case",
    "check_counts",
    "heat_network_bill",
    "individual_heat_pump_costs",
    "investment_source",
    "lever_label",
    "mini_net_capex",
    "mini_net_prices",
    "network_capex",
    "phase_shares",
    "price_mini_nets",
    "price_pipes",
    "tornado_plot",
    "waterfall",
]
