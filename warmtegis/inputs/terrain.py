"""Open-ground polygons: BGT terrain layers (where a rig may stand), or any polygon layer."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from warmtegis import settings
from warmtegis.core.types import PathLike
from warmtegis.inputs._common import list_layers, read_layer

__all__ = ["TERRAIN_SURFACES", "read_terrain"]


#: BGT terrain layers that are open ground a rig can stand on, and the surface each stands for.
TERRAIN_SURFACES = {"begroeidterreindeel": "garden", "onbegroeidterreindeel": "paving"}


def read_terrain(path: PathLike, layer: str | None = None, **options: Any) -> gpd.GeoDataFrame:
    """Read open-ground polygons: BGT terrain layers, or any polygon layer.

    Without `layer`, every BGT layer of :data:`TERRAIN_SURFACES` in the file is read
    (``begroeidterreindeel`` as ``surface = "garden"``, ``onbegroeidterreindeel`` as
    ``"paving"``); a file with neither must name its layer, which is read as ``"open ground"``.
    Validated and reprojected as every input (:func:`~warmtegis.inputs._common.read_layer`).
    """
    polygons = ("Polygon", "MultiPolygon")
    names: list[str | None] = (
        [layer] if layer else [n for n in list_layers(path) if n in TERRAIN_SURFACES]
    )
    if not names:
        names = [None]  # read_layer names the layers present when it cannot choose
    parts = [
        read_layer(
            path, name, geometry_types=polygons, what="terrain (open ground)", **options
        ).assign(surface=TERRAIN_SURFACES.get(str(name), "open ground"))
        for name in names
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.crs)
