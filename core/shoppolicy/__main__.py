"""``python -m shoppolicy`` runs the CLI."""

from shoppolicy.cli import main

main()
