"""`rmtui sbom diff OLD NEW`: compare the components of two SPDX SBOMs."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from rmtui.cli.errors import friendly_errors
from rmtui.ops.sbom import diff_sboms, load_sbom, render_diff

EXIT_IDENTICAL = 0
EXIT_DIFFERENT = 1


@click.group(name="sbom")
def sbom() -> None:
    """Work with the SPDX SBOMs of release artifacts."""


@sbom.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON, not colored text.")
@click.pass_context
@friendly_errors
def diff(ctx: click.Context, old: Path, new: Path, as_json: bool) -> None:
    """Compare two SPDX JSON SBOMs (OLD, then NEW) component by component.

    Lists the components added (green), removed (red) and changed (yellow: version,
    checksum or license), matched by package name.

    \b
    Exit status:
      0  both SBOMs list the same components
      1  they differ; this is a report, not an error
      2  a file is missing, unreadable, or not an SPDX JSON document
    """
    result = diff_sboms(load_sbom(old), load_sbom(new))
    if as_json:
        click.echo(result.to_json())
    else:
        render_diff(result, Console(highlight=False))
    ctx.exit(EXIT_IDENTICAL if result.identical else EXIT_DIFFERENT)
