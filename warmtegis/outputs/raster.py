"""The heat-density raster: annual heat demand in GJ per hectare on the RD grid, as a GeoTIFF.

:func:`heat_density` grids the buildings' annual heat demand into GJ per hectare per cell
(100 m by default, cells aligned to the RD grid); :func:`write_heat_density` writes it as a
GeoTIFF in EPSG:28992 with rasterio. The cells add up to the buildings' total demand.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from warmtegis import settings
from warmtegis.core.errors import InputError
from warmtegis.core.log import log
from warmtegis.storage.atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from affine import Affine


__all__ = ["heat_density", "write_heat_density"]


# ------------------------------------------------------------------------------ heat density
def heat_density(
    buildings: gpd.GeoDataFrame,
    *,
    cell_m: float = 100.0,
    column: str = "heat_demand_gj",
) -> tuple[np.ndarray, Affine]:
    """Grid the buildings' annual heat demand into GJ per hectare.

    Each building's demand goes to the cell holding its representative point (inside the
    footprint). Cells are aligned to multiples of `cell_m` in EPSG:28992.

    Returns
    -------
    density : numpy.ndarray
        float64, rows from north to south; GJ/ha/yr. ``density.sum() * cell_m**2 / 1e4``
        equals the buildings' total demand.
    transform : affine.Affine
        The raster's transform (rasterio convention).

    Examples
    --------
    >>> from warmtegis.datasets import demo_result
    >>> b = demo_result().layers["buildings"]
    >>> grid, transform = heat_density(b)
    >>> ha = (100 * 100) / 1e4  # a 100 m cell is 1 ha
    >>> bool(np.isclose(grid.sum() * ha, b["heat_demand_gj"].sum()))  # none lost, none twice
    True
    """
    from affine import Affine

    if column not in buildings:
        raise InputError(f"heat density: the buildings have no column {column!r}")
    b = buildings[buildings[column].fillna(0) > 0]
    if not len(b):
        raise InputError("heat density: no building has a heat demand above 0")
    pts = shapely.get_coordinates(b.geometry.representative_point().values)
    x0 = np.floor(pts[:, 0].min() / cell_m) * cell_m
    y1 = np.ceil((pts[:, 1].max() + 1e-9) / cell_m) * cell_m
    col = ((pts[:, 0] - x0) // cell_m).astype(int)
    row = ((y1 - pts[:, 1]) // cell_m).astype(int)
    grid = np.zeros((row.max() + 1, col.max() + 1))
    np.add.at(grid, (row, col), b[column].to_numpy(float))
    # (rasterio's from_origin multiplies Affines with `*`, deprecated in affine 3)
    return grid / (cell_m**2 / 1e4), Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)


def write_heat_density(
    buildings: gpd.GeoDataFrame, path: str | Path, *, cell_m: float = 100.0
) -> Path:
    """Write :func:`heat_density` as a single-band float32 GeoTIFF (EPSG:28992, GJ/ha/yr).

    Examples
    --------
    >>> import tempfile, rasterio
    >>> from pathlib import Path
    >>> from warmtegis.datasets import demo_result
    >>> path = Path(tempfile.mkdtemp()) / "density.tif"
    >>> out = write_heat_density(demo_result().layers["buildings"], path)
    >>> with rasterio.open(out) as src:
    ...     src.crs.to_epsg(), src.res
    (28992, (100.0, 100.0))
    """
    import rasterio

    path = Path(path)
    density, transform = heat_density(buildings, cell_m=cell_m)
    profile = {
        "driver": "GTiff",
        "height": density.shape[0],
        "width": density.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": settings.crs,
        "transform": transform,
        "compress": "deflate",
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(density.astype("float32"), 1)
        dst.update_tags(1, units="GJ/ha/yr", cell_m=str(cell_m))
        dst.set_band_description(1, "annual heat demand density (GJ/ha)")
    log(f"wrote the heat-density raster ({density.shape[1]} x {density.shape[0]} cells) to {path}")
    return path
