"""`rmtui handoff import RELEASE DIR --role ROLE`: bring an expert's installers into a release."""

from __future__ import annotations

from pathlib import Path

import click

from rmtui.cli.errors import friendly_errors


@click.group(name="handoff")
def handoff() -> None:
    """Hand the release to the Windows and macOS experts, and take their installers back."""


@handoff.command(name="import")
@click.argument("release")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--role",
    type=click.Choice(["Windows", "macOS"], case_sensitive=False),
    default=None,
    help="Which expert delivered DIR (may be left out when only one is awaited).",
)
@friendly_errors
def import_folder(release: str, directory: Path, role: str | None) -> None:
    """Import the installers in DIR, which an expert delivered for RELEASE.

    DIR holds the installers and a SHA256SUMS listing exactly them (`sha256sum * >
    SHA256SUMS`). Every file is checked against that list first: a missing file, a wrong
    digest or a file the list does not name refuses the import, and nothing is copied.
    Then the files are copied into the release's artifacts/, their digests journaled,
    SHA256SUMS refreshed, and handoff.experts stops waiting on that expert.
    """
    from rmtui.cli.terminal_prompter import TerminalListener, TerminalPrompter
    from rmtui.core.release import resolve_workspace
    from rmtui.steps.handoff import import_delivery
    from rmtui.usecases.lifecycle import make_engine

    engine = make_engine(
        resolve_workspace(release), TerminalPrompter(interactive=False), [TerminalListener()]
    )
    with engine.opened(auto_settle=False):
        delivery = import_delivery(engine, role, directory)
    for name, record in sorted(delivery.files.items()):
        click.echo(f"imported {name}: {record['size']} bytes, sha256 {record['sha256']}")
    if delivery.remaining:
        click.echo(f"{delivery.role} delivered; still waiting on {', '.join(delivery.remaining)}")
    else:
        click.echo(f"{delivery.role} delivered; the hand-off is complete")
