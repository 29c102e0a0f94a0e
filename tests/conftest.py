from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from warmtegis.datasets import get_path


@pytest.fixture(scope="session", autouse=True)
def _gfunction_cache(tmp_path_factory):
    """Keep the tests' g-function disk cache out of the user's home folder."""
    import os

    os.environ.setdefault("WARMTEGIS_CACHE_DIR", str(tmp_path_factory.mktemp("gcache")))


@pytest.fixture(scope="session")
def otterlo():
    """The demo study run once per test session (a StudyResult; do not modify it)."""
    from warmtegis import run_study

    return run_study(get_path("otterlo/study.toml"))


@pytest.fixture
def data():
    """Return the path of a bundled data file."""
    return get_path


@pytest.fixture
def tmp_gpkg(tmp_path):
    """Write a small GeoDataFrame to a GeoPackage and return its path."""

    def make(gdf: gpd.GeoDataFrame, layer: str = "layer", name: str = "in.gpkg"):
        path = tmp_path / name
        gdf.to_file(path, layer=layer, engine="pyogrio")
        return path

    return make


def square(x0: float, y0: float, size: float = 10.0) -> Polygon:
    return Polygon([(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)])


@pytest.fixture
def shapes():
    return {"square": square, "Point": Point, "LineString": LineString}


@pytest.fixture
def abroad(monkeypatch):
    """Read test data from outside the Netherlands (the OSM extract of Kouvola, Finland).

    Readers refuse layers outside EPSG:28992's area of use; this fixture turns that check off
    (settings.within_netherlands) for the one test that needs foreign data.
    """
    from warmtegis import settings

    monkeypatch.setattr(settings, "within_netherlands", False)
