"""The `rmtui` group: every command is imported lazily, and the TUI only by those that open it."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import click

from rmtui import __version__
from rmtui.cli.errors import friendly_errors
from rmtui.core.errors import RmtuiError

if TYPE_CHECKING:
    from pathlib import Path


class LazyGroup(click.Group):
    """A group whose commands are imported only when they are used.

    `rmtui` opening the TUI, `rmtui --version` and `rmtui status` then pay nothing for the
    imports of the commands they do not run (keyring, rich, sigstore, the steps).
    """

    LAZY = {
        "handoff": ("rmtui.cli.handoff", "handoff"),
        "journal": ("rmtui.cli.status", "journal"),
        "mark-done": ("rmtui.cli.decisions", "mark_done"),
        "open": ("rmtui.cli.release_commands", "open_release"),
        "plan": ("rmtui.cli.plan", "plan"),
        "profile": ("rmtui.cli.release_commands", "profile"),
        "rehearse": ("rmtui.cli.release_commands", "rehearse"),
        "retry": ("rmtui.cli.decisions", "retry"),
        "run": ("rmtui.cli.run", "run"),
        "sbom": ("rmtui.cli.sbom", "sbom"),
        "secrets": ("rmtui.cli.secrets", "secrets"),
        "skip": ("rmtui.cli.decisions", "skip"),
        "start": ("rmtui.cli.release_commands", "start"),
        "status": ("rmtui.cli.status", "status"),
        "unskip": ("rmtui.cli.decisions", "unskip"),
        "verify": ("rmtui.cli.verify", "verify"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            module, attribute = self.LAZY[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="rmtui")
@click.pass_context
@friendly_errors
def main(ctx: click.Context) -> None:
    """rmtui walks a release manager through a CPython-style release.

    Run it without a command to open the TUI's home screen.
    """
    if ctx.invoked_subcommand is None:
        open_tui(None)


def require_terminal(fallback: str) -> None:
    """The TUI needs a real terminal; without one, say what to run instead of hanging."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise RmtuiError("the TUI needs a terminal, and this is not one", fallback)


def open_tui(workspace: Path | None) -> None:
    """Open the TUI: the one place the command line imports it (layering allows only this)."""
    where = str(workspace) if workspace is not None else "RELEASE"
    require_terminal(
        f"run it in a terminal, or drive the release headless: `rmtui run {where} --yes`"
    )
    from rmtui.tui.app import run_app

    run_app(workspace)
