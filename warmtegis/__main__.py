"""Allow ``python -m warmtegis``."""

from .cli import main

main()
