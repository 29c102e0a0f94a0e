"""Translated copies of input layers, for benchmarks at scale."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

ID_COLUMNS = ("segment_id", "sewer_id", "tree_id", "building_id")


def tile(
    gdf: gpd.GeoDataFrame, n: int, width: float, per_row: int | None = None
) -> gpd.GeoDataFrame:
    """`n` copies of `gdf`, `width` m apart in rows of `per_row` (default: one row).

    Id columns get a ``#copy`` suffix so the copies stay distinct.
    """
    per_row = per_row or n
    parts = []
    for i in range(n):
        part = gdf.copy()
        part["geometry"] = part.geometry.translate(
            xoff=(i % per_row) * width, yoff=(i // per_row) * width
        )
        for col in ID_COLUMNS:
            if col in part:
                part[col] = part[col].astype(str) + f"#{i}"
        parts.append(part)
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=gdf.crs)
    out.attrs = dict(gdf.attrs)
    return out
