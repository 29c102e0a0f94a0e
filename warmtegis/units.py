"""Unit constants and the shared figures every stage uses (one home for each).

>>> KWH_PER_GJ
277.77777777777777
>>> round(42 * KWH_PER_GJ / FULL_LOAD_HOURS, 2)  # kW peak of a 42 GJ dwelling
6.48
"""

from __future__ import annotations

__all__ = ["FULL_LOAD_HOURS", "GJ_PER_KWH", "HOURS_PER_MONTH", "KWH_PER_GJ"]

#: kWh in one GJ (1 GJ = 1e9 J, 1 kWh = 3.6e6 J).
KWH_PER_GJ = 1e6 / 3600
#: GJ in one kWh.
GJ_PER_KWH = 3600 / 1e6
#: Hours in an average month (8760 / 12), as GHEtool.
HOURS_PER_MONTH = 730.0
#: Default annual demand / peak load of a building (h): 1,800 gives a 6.5 kW peak for the
#: 42 GJ of the reference study's typical dwelling, within the 1,600-2,000 h usual for Dutch
#: dwellings with gas boilers (assumption). The parameter: ``[parameters.demand] full_load_hours``.
FULL_LOAD_HOURS = 1800.0
