"""`python -m sparklineage` runs the command line."""

from sparklineage.cli import main

main()
