"""`rmtui run`: drive a release headless, around waits, until nothing more can run."""

from __future__ import annotations

import sys

import click

from rmtui.cli.errors import friendly_errors


@click.command()
@click.argument("release")
@click.option(
    "--until", "until", default=None, metavar="STEP_ID", help="Stop once this step is done."
)
@click.option(
    "--yes",
    is_flag=True,
    help="Answer confirmations with yes. In a real release, points of no return "
    "still need the version typed.",
)
@click.option("--quiet", is_flag=True, help="Do not echo the steps' output.")
@friendly_errors
def run(release: str, until: str | None, yes: bool, quiet: bool) -> None:
    """Drive RELEASE headless until it is done, a step fails, or what is left waits.

    A step waiting on someone (the experts' installers) does not stop the run: every step
    that does not need it runs meanwhile.
    """
    from rmtui.cli.headless_runner import run_headless
    from rmtui.core.release import resolve_workspace

    sys.exit(run_headless(resolve_workspace(release), until, yes, quiet))
