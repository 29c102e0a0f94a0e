"""The installed version of warmtegis (package metadata), written into every output."""

from importlib.metadata import PackageNotFoundError, version

__all__ = []

try:
    __version__ = version("warmtegis")
except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
    __version__ = "0+unknown"
