"""The one logging helper of warmtegis."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

__all__ = ["collect_warnings", "get_logger", "log"]

_LOGGER_NAME = "warmtegis"


def get_logger() -> logging.Logger:
    """Return the package logger (``logging.getLogger("warmtegis")``)."""
    return logging.getLogger(_LOGGER_NAME)


def log(message: str, level: int = logging.INFO) -> None:
    """Log `message` on the warmtegis logger.

    Parameters
    ----------
    message
        The text to log; stages log counts ("read 762 buildings from ...").
    level
        A :mod:`logging` level, default ``logging.INFO``.
    """
    get_logger().log(level, message)


class _Collector(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@contextlib.contextmanager
def collect_warnings(into: list[str]) -> Iterator[list[str]]:
    """Append every warning logged on the warmtegis logger inside the block to `into`.

    The study runner uses it to count warnings in the summary and list them in the
    GeoPackage's ``warnings`` table: a warning is never only a line on the console.
    """
    handler = _Collector(into)
    logger = get_logger()
    logger.addHandler(handler)
    try:
        yield into
    finally:
        logger.removeHandler(handler)
