"""Exception tree of warmtegis.

Every error caused by the user's data or configuration is an :class:`InputError`, a
``ValueError``, so callers can catch either. The command line turns it into exit code 2.
"""

from __future__ import annotations

__all__ = ["ConfigError", "InputError", "OutputError", "WarmtegisError"]


class WarmtegisError(Exception):
    """Base class of all warmtegis errors.

    Examples
    --------
    Every error warmtegis raises on purpose derives from it:

    >>> issubclass(InputError, WarmtegisError), issubclass(ConfigError, WarmtegisError)
    (True, True)
    """


class InputError(WarmtegisError, ValueError):
    """Bad input data: unreadable file, unknown layer, missing column, no CRS, wrong geometry.

    Parameters
    ----------
    problems
        One or more human-readable problem descriptions. Each names the file, the layer and
        the column concerned and what was expected.

    Examples
    --------
    >>> err = InputError(["roads.gpkg: no CRS", "roads.gpkg: column width missing"])
    >>> isinstance(err, ValueError), str(err).count("roads.gpkg")
    (True, 2)
    """

    def __init__(self, problems: str | list[str]) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems with the input:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(message)


class ConfigError(InputError):
    """Bad study file or parameter: unknown key, wrong type, value out of range, missing file.

    Examples
    --------
    >>> from warmtegis.params import CorridorParams
    >>> try:
    ...     CorridorParams(trench_width_m=0)
    ... except ConfigError as err:
    ...     print(err)
    [parameters.corridors] trench_width_m must be >= 0.05, not 0.0
    """


class OutputError(WarmtegisError):
    """An output cannot be written: disk full, permission denied, read-only file system.

    The message names the output path and the fix; the earlier output set is left as it was.
    """
