"""``python -m tierkit``."""

from tierkit.cli import main

main()
