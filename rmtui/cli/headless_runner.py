"""The headless runner of `rmtui run` and `rmtui rehearse --auto`: the engine on a terminal."""

from __future__ import annotations

from pathlib import Path

import click

from rmtui.cli.glyphs import GLYPHS
from rmtui.cli.terminal_prompter import TerminalListener, TerminalPrompter
from rmtui.core.engine import Engine
from rmtui.core.resume import Settlement
from rmtui.usecases.lifecycle import make_engine


def run_headless(workspace: Path, until: str | None, yes: bool, quiet: bool = False) -> int:
    """Resume, then run every step that can run; the exit code of `rmtui run`.

    A step that waits on someone does not stop the run: the steps that do not need it go on.
    It stops when nothing can run, and then says what is awaited and from whom.
    """
    engine = make_engine(
        workspace, TerminalPrompter(assume_yes=yes), [TerminalListener(quiet=quiet)]
    )
    with engine.opened(auto_settle=False) as interruptions:
        undecided = []
        for interruption in interruptions:
            settlement = engine.default_settlement(interruption.probe)
            click.echo(
                f"resuming: {interruption.step_id} was left running; its probe says "
                f"{interruption.probe.outcome.value} ({interruption.probe.why}) → {settlement}"
            )
            engine.settle(interruption, settlement)
            if settlement is Settlement.MARK_FAILED:
                undecided.append(interruption.step_id)
        if undecided:
            # The probe could not tell what happened: the RM decides, rmtui does not guess.
            for step_id in undecided:
                record = engine.state.steps[step_id]
                click.secho(f"  {step_id}: {record.error}", fg="red", err=True)
                click.echo(f"  how to fix: {record.hint}", err=True)
            click.echo(
                "then `rmtui retry RELEASE STEP` to run it again, or `rmtui mark-done RELEASE "
                "STEP --reason ...` if you checked it is done",
                err=True,
            )
            return 1
        if yes and engine.release.rehearsal:
            # A rehearsal has no experts: the sandbox's stand-ins are imported in their place.
            from rmtui.sandbox.build import run_rehearsal

            run_rehearsal(engine, until, click.echo)
        else:
            engine.run_until(until)
        print_summary(engine)
        now = engine.standing()
        if now.failed:
            return 1
        if now.complete:
            click.secho("\nThe release is complete.", fg="green", bold=True)
        elif now.blocked:
            click.echo(f"\nstopped: {now.blocked}")
        return 0


def print_summary(engine: Engine) -> None:
    """Every step with its status and reason or error, then how far the release is."""
    click.echo("\nSummary")
    click.echo(f"  {'step':<20} {'status':<8} reason / error")
    for step in engine.plan:
        record = engine.state.steps[step.id]
        detail = record.error or record.reason
        click.echo(f"  {GLYPHS[record.status]} {step.id:<18} {record.status.value:<8} {detail}")
    done, total = engine.progress()
    click.echo(f"  {done}/{total} steps done or skipped")
