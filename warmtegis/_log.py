"""The one logging helper of warmtegis."""

from __future__ import annotations

import logging

__all__ = ["get_logger", "log"]

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
