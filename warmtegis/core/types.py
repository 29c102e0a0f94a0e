"""Type aliases shared by every subpackage."""

import os

__all__ = ["PathLike"]

#: A file system path as the readers and writers accept it.
PathLike = str | os.PathLike[str]
