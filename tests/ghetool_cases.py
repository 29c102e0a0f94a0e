"""GHEtool's four validation load cases (GHEtool/Validation/cases.py, BSD-3-Clause).

Peere, Picard, Cupeiro Figueroa, Boydens, Helsen: "Validated combined first and last year
borefield sizing methodology", Building Simulation 2021. Field 10 x 12 at 6.5 m, k 3.5 W/mK,
Tg 10 C, Rb 0.2 mK/W, fluid 0-16 C; GHEtool's L3 answers 56.77, 118.74, 66.87, 91.46 m.
Returns monthly extraction and injection (kWh) and peak extraction and injection (kW).
"""

import numpy as np


def load_case(number):
    h = np.array([0.155, 0.148, 0.125, 0.099, 0.064, 0.0, 0.0, 0.0, 0.061, 0.087, 0.117, 0.144])
    c = np.array([0.025, 0.05, 0.05, 0.05, 0.075, 0.1, 0.2, 0.2, 0.1, 0.075, 0.05, 0.025])
    if number == 1:
        return (
            h * 300e3,
            c * 150e3,
            np.zeros(12),
            np.array([0.0, 0.0, 22.0, 44.0, 83.0, 117.0, 134.0, 150.0, 100.0, 23.0, 0.0, 0.0]),
        )
    if number == 2:
        return (
            h * 160e3,
            c * 240e3,
            np.array([160.0, 142, 102.0, 55.0, 0.0, 0.0, 0.0, 0.0, 40.4, 85.0, 119.0, 136.0]),
            np.array([0.0, 0, 34.0, 69.0, 133.0, 187.0, 213.0, 240.0, 160.0, 37.0, 0.0, 0.0]),
        )
    if number == 3:
        return (
            h * 160e3,
            c * 240e3,
            np.array(
                [300.0, 266.25, 191.25, 103.125, 0.0, 0.0, 0.0, 0.0, 75.75, 159.375, 223.125, 255.0]
            ),
            np.zeros(12),
        )
    return (
        h * 300e3,
        c * 150e3,
        np.array([300.0, 268.0, 191.0, 103.0, 75.0, 0.0, 0.0, 38.0, 76.0, 160.0, 224.0, 255.0]),
        np.array([0.0, 0.0, 22.0, 44.0, 83.0, 117.0, 134.0, 150.0, 100.0, 23.0, 0.0, 0.0]),
    )
