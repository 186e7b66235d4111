"""The terminal prompter and listener of `rmtui run`: questions and output on the terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

import click

from rmtui.cli.glyphs import GLYPHS
from rmtui.core.errors import RmtuiError
from rmtui.core.events import EngineEvent, Notice, OutputLine, StatusChanged
from rmtui.core.redact import register_secret
from rmtui.core.step import PointOfNoReturn


class TerminalPrompter:
    """Asks on the terminal. `assume_yes` answers ordinary confirmations with yes.

    A point of no return in a *real* release is never answered for the RM: it needs the
    version typed at a terminal. In a rehearsal, `assume_yes` covers it too.
    """

    def __init__(self, *, assume_yes: bool = False, interactive: bool | None = None) -> None:
        self.assume_yes = assume_yes
        self.interactive = sys.stdin.isatty() if interactive is None else interactive

    def _need_terminal(self, question: str) -> None:
        if not self.interactive:
            raise RmtuiError(
                f"rmtui needs an answer ({question}) but there is no terminal to ask on",
                "run it in a terminal, or pass --yes to answer confirmations with yes",
            )

    def confirm(self, question: str, *, detail: str = "", default: bool = False) -> bool:
        if detail:
            click.echo(detail)
        if self.assume_yes:
            click.echo(f"{question} yes (--yes)")
            return True
        self._need_terminal(question)
        return click.confirm(question, default=default)

    def confirm_point_of_no_return(self, point: PointOfNoReturn) -> bool:
        click.secho(f"\nPOINT OF NO RETURN: {point.title} ({point.step_id})", fg="red", bold=True)
        for action in point.actions:
            click.echo(f"  • {action.render()}")
        if point.consequences:
            click.echo(f"\n{point.consequences}\n")
        if point.rehearsal:
            click.echo("(rehearsal: one confirmation is enough; a real release asks you to type")
            click.echo(" the version, because this cannot be undone)")
            if self.assume_yes:
                click.echo("confirmed (--yes, rehearsal)")
                return True
            self._need_terminal("confirm the point of no return")
            return click.confirm("Go ahead?", default=False)
        self._need_terminal(f"type {point.version} to confirm")
        typed: str = click.prompt(f"Type the version ({point.version}) to go ahead", default="")
        return typed.strip() == point.version

    def text(self, question: str, *, default: str = "") -> str:
        self._need_terminal(question)
        answer: str = click.prompt(question, default=default)
        return answer

    def secret(self, question: str) -> str:
        self._need_terminal(question)
        value: str = click.prompt(question, hide_input=True, default="", show_default=False)
        register_secret(value)
        return value

    def choice(self, question: str, options: Sequence[str], *, default: str = "") -> str:
        if self.assume_yes and default:
            click.echo(f"{question} {default} (--yes)")
            return default
        self._need_terminal(question)
        answer: str = click.prompt(
            question, type=click.Choice(list(options)), default=default or None
        )
        return answer

    def oauth_code(self, url: str) -> str:
        self._need_terminal("the Sigstore sign-in code")
        click.echo(f"Open this URL in a browser and sign in:\n\n  {url}\n")
        code: str = click.prompt("Paste the code shown after signing in", hide_input=True)
        register_secret(code)
        return code


class TerminalListener:
    """Prints what the engine does: status changes always, step output unless quiet."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, StatusChanged):
            line = f"{GLYPHS[event.new]} {event.step_id}: {event.new.value}"
            if event.reason:
                line += f" ({event.reason})"
            click.echo(line, file=self.stream)
            if event.error:
                click.secho(f"  error: {event.error}", fg="red", file=self.stream, err=True)
            if event.hint:
                click.echo(f"  how to fix: {event.hint}", file=self.stream, err=True)
        elif isinstance(event, OutputLine) and not self.quiet:
            click.echo(f"    {event.line}", file=self.stream)
        elif isinstance(event, Notice):
            click.echo(f"note: {event.text}", file=self.stream)
