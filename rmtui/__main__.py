"""Allows `python -m rmtui`."""

from rmtui.cli import main

main()
