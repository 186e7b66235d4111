"""`rmtui plan`: every step of a release with the exact commands it will run; changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rmtui.cli.errors import friendly_errors


@click.command()
@click.argument("release")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Plan a release not started yet: RELEASE is then a version.",
)
@click.option("--security-only", is_flag=True, help="With --profile: a security-only release.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def plan(release: str, profile_file: Path | None, security_only: bool, as_json: bool) -> None:
    """Show each step of RELEASE with what it will run. Changes nothing."""
    from rmtui.core.profile import load_profile
    from rmtui.core.release import Release, load_release, resolve_workspace
    from rmtui.core.version import parse_version
    from rmtui.steps.plan import build_plan

    if profile_file is not None:
        rel = Release(
            parse_version(release),
            load_profile(profile_file),
            Path("."),
            security_only=security_only,
        )
    else:
        rel = load_release(resolve_workspace(release))
    steps = build_plan(rel)
    if as_json:
        doc = {
            "version": str(rel.version),
            "type": rel.release_type.value,
            "security_only": rel.security_only,
            "steps": [
                {
                    "id": s.id,
                    "title": s.title,
                    "phase": s.phase.value,
                    "role": s.role.value,
                    "irreversible": s.irreversible,
                    "actions": [
                        {"description": a.description, "command": a.command} for a in s.plan(rel)
                    ],
                }
                for s in steps
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    kind = rel.release_type.value + (", security-only" if rel.security_only else "")
    click.echo(f"Plan for {rel.version} ({kind}), {len(steps)} steps:\n")
    for number, step in enumerate(steps, start=1):
        mark = "  [POINT OF NO RETURN]" if step.irreversible else ""
        click.secho(f"{number:2}. {step.id} — {step.title} ({step.role.value}){mark}", bold=True)
        for action in step.plan(rel):
            click.echo(f"      • {action.description}")
            if action.command:
                click.echo(f"        $ {action.command}")
