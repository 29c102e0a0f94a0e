"""The readers of warmtegis, one module per kind of input (public through :mod:`warmtegis.io`).

``_common`` (choosing, reading and checking a layer), ``bag`` (panden, verblijfsobjecten,
LVBAG deliveries), ``osm`` (OpenStreetMap XML and PBF), ``roads``, ``sewers`` (incl. SUFRIB
``.RIB``) and ``trees``. The plausibility rules they apply live in :mod:`warmtegis._plausible`.
"""
