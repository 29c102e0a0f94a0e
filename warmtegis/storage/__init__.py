"""Writing files safely.

All-or-nothing output sets, GeoPackages with fixed geometry types, their
attribute tables (summary, parameters, warnings, cash flows) and QGIS styles.
"""
