"""`rmtui skip`, `mark-done`, `retry` and `unskip`: the RM's decisions about one step."""

from __future__ import annotations

import click

from rmtui.cli.errors import friendly_errors
from rmtui.core.errors import RmtuiError
from rmtui.core.status import Event, needs_reason


def _decision(name: str, event: Event, help_text: str) -> click.Command:
    """The command `name`, which applies `event` to a step; the state model says if a reason
    is required."""

    @click.command(name=name, help=help_text)
    @click.argument("release")
    @click.argument("step_id")
    @click.option(
        "--reason",
        default="",
        help="Why (required)." if needs_reason(event) else "Why (optional, journaled).",
    )
    @friendly_errors
    def command(release: str, step_id: str, reason: str) -> None:
        from rmtui.cli.terminal_prompter import TerminalListener, TerminalPrompter
        from rmtui.core.release import resolve_workspace
        from rmtui.usecases.lifecycle import make_engine

        if needs_reason(event) and not reason.strip():
            raise RmtuiError(f"{name} needs --reason", "say why, so the journal explains it")
        engine = make_engine(
            resolve_workspace(release), TerminalPrompter(interactive=False), [TerminalListener()]
        )
        with engine.opened(auto_settle=False):
            engine.decide(step_id, event, reason)

    return command


skip = _decision("skip", Event.SKIP, "Skip STEP_ID of RELEASE, with a reason (journaled).")
mark_done = _decision(
    "mark-done", Event.MARK_DONE, "Mark STEP_ID done by hand, with a reason (journaled)."
)
retry = _decision("retry", Event.RETRY, "Put a failed STEP_ID back to pending.")
unskip = _decision("unskip", Event.UNSKIP, "Take back the skip of STEP_ID.")
