"""`python -m voxcli` runs the command-line interface."""

from voxcli.cli import main

main()
