"""`rmtui status` and `rmtui journal`: read-only views that need the state, journal and steps only.

They never take the lock, and import nothing that talks to git, GPG or Sigstore: they must
stay fast (see bench/bench_status.py).
"""

from __future__ import annotations

import json
import sys

import click

from rmtui.cli.errors import friendly_errors


@click.command()
@click.argument("release")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def status(release: str, as_json: bool) -> None:
    """Every step of RELEASE with its status, timestamps and reason."""
    from rmtui.cli.glyphs import GLYPHS
    from rmtui.core.release import resolve_workspace
    from rmtui.core.status import Status
    from rmtui.usecases.standing import read_release, status_document

    doc = status_document(read_release(resolve_workspace(release)))
    if as_json:
        click.echo(json.dumps(doc, indent=2))
        return
    tag = " REHEARSAL" if doc["rehearsal"] else ""
    progress = doc["progress"]
    click.secho(
        f"{doc['version']} ({doc['type']}){tag}: {progress['done']}/{progress['total']} done",
        bold=True,
    )
    click.echo(f"workspace: {doc['workspace']}")
    for step in doc["steps"]:
        glyph = GLYPHS[Status(step["status"])]
        line = f" {glyph} {step['id']:<18} {step['status']:<8}"
        if step["finished"]:
            line += f" {step['finished']}"
        click.echo(line)
        if step["reason"]:
            click.echo(f"     {step['reason']}")
        if step["error"]:
            click.secho(f"     error: {step['error']}", fg="red")
        if step["hint"]:
            click.echo(f"     how to fix: {step['hint']}")
    if doc["next"]:
        click.echo(f"\nnext: {doc['next']}")
        for step_id, roles in doc["waiting"].items():
            click.echo(f"meanwhile {step_id} waits on {', '.join(roles)}")
    elif doc["blocked"]:
        click.echo(f"\nblocked: {doc['blocked']}")


@click.command()
@click.argument("release")
@click.option("--verify", is_flag=True, help="Check the hash chain; exit 1 if it is broken.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON lines.")
@friendly_errors
def journal(release: str, verify: bool, as_json: bool) -> None:
    """Show or verify the hash-chained journal of RELEASE."""
    from rmtui.core.release import load_release, resolve_workspace
    from rmtui.core.store import Journal, StateStore

    rel = load_release(resolve_workspace(release))
    log = Journal(rel.journal_path)
    if verify:
        state = StateStore(rel.state_path).load()
        problems = log.verify((state.journal_seq, state.journal_sha))
        if problems:
            for problem in problems:
                click.secho(f"BROKEN: {problem}", fg="red")
            sys.exit(1)
        count = len(log.entries())
        click.secho(f"journal OK: {count} lines, chain verified", fg="green")
        return
    for entry in log.entries():
        if as_json:
            click.echo(json.dumps(entry, sort_keys=True))
            continue
        extra = {k: v for k, v in entry.items() if k not in ("seq", "ts", "kind", "prev")}
        detail = " ".join(f"{k}={v}" for k, v in extra.items() if v not in ("", None, []))
        click.echo(f"{entry['seq']:5} {entry['ts']} {entry['kind']:<18} {detail}")
