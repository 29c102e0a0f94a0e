"""Allow ``python -m warmtegis``."""

from warmtegis.cli import main

main()
