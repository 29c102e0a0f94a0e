"""Time the cost model: the study business case, its sensitivities, and pricing many mini nets.

Run: python benchmarks/bench_costs.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from warmtegis.costs import business_case, load_cost_params, price_mini_nets

LENGTHS = {"transport": 1000, "primary": 3000, "secondary": 14800}
CONNECTIONS = {"grondgebonden": 2128, "gestapeld": 903, "utiliteit": 49}


def timed(label, func, *args, repeat=5, **kwargs):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<45} {best * 1000:9.1f} ms")
    return out


def main():
    params = timed("load_cost_params", load_cost_params)
    for net in ("MT", "ZLT"):
        bc = timed(f"business_case {net}", business_case, LENGTHS, CONNECTIONS, net, params=params)
        timed(f"business_case {net} + 5 sensitivities", lambda b=bc: b.sensitivities, repeat=1)
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
