"""Time the cost model: the study business case, its sensitivities, and pricing many mini nets.

Prints the best of 5 runs (ms) and the peak of traced Python memory of one more run
(tracemalloc, MiB).

Run: python benchmarks/bench_costs.py
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd

from warmtegis.economics.business import business_case
from warmtegis.economics.charts import waterfall
from warmtegis.economics.pricing import price_mini_nets
from warmtegis.params.costs import load_cost_params

LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}


def timed(label, func, *args, repeat=5, **kwargs):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()  # one more run for the memory: tracing slows the timed runs down
    func(*args, **kwargs)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{label:<52} {best * 1000:9.1f} ms {peak:7.1f} MiB")
    return out


def main():
    params = timed("load_cost_params", load_cost_params)
    for net in ("MT", "ZLT"):
        bc = timed(f"business_case {net}", business_case, LENGTHS, CONNECTIONS, net, params=params)
        timed(f"business_case {net} + 12 sensitivities", lambda b=bc: b.sensitivities, repeat=1)
        timed(f"waterfall {net} (8 business cases)", waterfall, LENGTHS, CONNECTIONS, net, repeat=1)
    hp = load_cost_params(variant="central_heat_pump")
    timed("business_case MT, central heat pump", business_case, LENGTHS, CONNECTIONS, "MT",
          params=hp)  # fmt: skip

    def areas(n):  # a batch: one business case per area, 1/100 of the study network each
        small = {k: v / 100 for k, v in CONNECTIONS.items()}
        lengths = {k: v / 100 for k, v in LENGTHS.items()}
        for _ in range(n):
            business_case(lengths, small, "MT", params=params)

    timed("business_case x 1,000 areas", areas, 1000, repeat=1)
    rng = np.random.default_rng(1)
    for n in (1_000, 100_000, 1_000_000):
        size = rng.integers(2, 11, n)
        nets = pd.DataFrame(
            {
                "n_dwellings": size,
                "n_boreholes": np.ceil(size / 2.5),
                "borehole_depth_m": rng.uniform(100, 200, n),
                "trench_length_m": size * 8.0,
                "heat_demand_gj": size * 42.0,
            }
        )
        timed(f"price_mini_nets {n:>9,} groups", price_mini_nets, nets, params=params, repeat=1)


if __name__ == "__main__":
    main()
