"""Caches every stage may use: a bounded in-memory memo and the on-disk cache folder."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

__all__ = ["BoundedCache", "cache_dir"]


class BoundedCache:
    """A dict-like memo that keeps the `maxsize` most recently used entries (thread-safe)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """Return the entry for `key` (and mark it used), or None."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store `value` under `key`, evicting the least recently used beyond `maxsize`."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def cache_dir() -> Path:
    """Return the on-disk cache folder: ``$WARMTEGIS_CACHE_DIR`` or ``~/.cache/warmtegis``."""
    env = os.environ.get("WARMTEGIS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "warmtegis"
