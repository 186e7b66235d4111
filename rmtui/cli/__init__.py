"""The `rmtui` command line: one module per command group, all loaded lazily by `root`.

`main` is the console script's entry (`rmtui = rmtui.cli:main`, and `python -m rmtui`). It
answers `rmtui --version` before importing click, which costs more than the rest of that
answer; for everything else, attributes included, it is the click group `rmtui.cli.root.main`
(so `CliRunner().invoke(main, ...)` and `main.main(args=...)` work as with any click group).
"""

from __future__ import annotations

import sys

from rmtui import __version__

# Not typing.TYPE_CHECKING: importing typing alone would double what `--version` costs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import click

# What click's version option prints for `rmtui --version` (a test holds them equal).
VERSION_TEXT = f"rmtui, version {__version__}"


def _group() -> click.Group:
    from rmtui.cli.root import main as group

    return group


class _Entry:
    """The entry point: `--version` alone is answered at once; the rest goes to click."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs and sys.argv[1:] == ["--version"]:
            print(VERSION_TEXT)
            return 0
        return _group()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(_group(), name)


main = _Entry()

__all__ = ["VERSION_TEXT", "main"]
