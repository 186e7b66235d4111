"""The `rmtui` command line: one module per command group, all loaded lazily by `root`."""

from rmtui.cli.root import main

__all__ = ["main"]
