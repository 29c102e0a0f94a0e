"""Allow ``python -m warmtegis``."""

from warmtegis.cli import main

__all__ = []

main()
