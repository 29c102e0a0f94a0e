"""Free trench corridors.

Obstacle zones, the road surface and its centrelines, cross-sections
(transects) and the corridor analysis with its bottlenecks.
"""
