"""Global switches of warmtegis (not model parameters; those live in the parameter files).

Change them at run time, e.g. ``warmtegis.settings.progress = False``.

Attributes
----------
crs : str
    The working coordinate reference system. All layers are reprojected to it on reading.
    Default ``"EPSG:28992"`` (Amersfoort / RD New), the Dutch national grid in metres.
progress : bool
    Show progress bars on long stages. Default True; the CLI's ``--quiet`` turns it off.
within_netherlands : bool
    Refuse layers outside EPSG:28992's area of use (the Netherlands), the usual sign of a
    wrong CRS label. Default True. Turn it off only to read test data from elsewhere (RD
    distances are then distorted).
"""

from __future__ import annotations

__all__ = ["crs", "progress", "within_netherlands"]

crs: str = "EPSG:28992"
progress: bool = True
within_netherlands: bool = True
