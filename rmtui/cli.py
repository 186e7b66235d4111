"""The `rmtui` command line; the TUI is imported lazily, only by the commands that open it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rmtui import __version__
from rmtui.cli_common import friendly_errors
from rmtui.core.errors import RmtuiError


class LazyGroup(click.Group):
    """A group whose bigger subcommand groups are imported only when they are used.

    `rmtui` opening the TUI, and `rmtui --version`, then pay nothing for keyring, rich or
    sigstore imports they do not need.
    """

    LAZY = {
        "handoff": ("rmtui.cli_handoff", "handoff"),
        "sbom": ("rmtui.cli_sbom", "sbom"),
        "secrets": ("rmtui.cli_secrets", "secrets"),
        "verify": ("rmtui.cli_verify", "verify"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            import importlib

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
        _open_tui(None)


def _require_terminal(fallback: str) -> None:
    """The TUI needs a real terminal; without one, say what to run instead of hanging."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise RmtuiError("the TUI needs a terminal, and this is not one", fallback)


def _open_tui(workspace: Path | None) -> None:
    where = str(workspace) if workspace is not None else "RELEASE"
    _require_terminal(
        f"run it in a terminal, or drive the release headless: `rmtui run {where} --yes`"
    )
    from rmtui.tui.app import run_app

    run_app(workspace)


def _workspace(release: str) -> Path:
    from rmtui.core.release import resolve_workspace

    return resolve_workspace(release)


@main.command()
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
    from rmtui.core.release import Release, load_release
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
        rel = load_release(_workspace(release))
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


@main.command()
@click.argument("release")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def status(release: str, as_json: bool) -> None:
    """Every step of RELEASE with its status, timestamps and reason."""
    from rmtui.headless import GLYPHS, TerminalPrompter
    from rmtui.usecases.lifecycle import make_engine
    from rmtui.usecases.standing import status_document

    engine = make_engine(_workspace(release), TerminalPrompter(interactive=False))
    engine.peek()
    doc = status_document(engine)
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
        from rmtui.core.status import Status

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
    elif doc["blocked"]:
        click.echo(f"\nblocked: {doc['blocked']}")


def _run_headless(workspace: Path, until: str | None, yes: bool, quiet: bool = False) -> int:
    from rmtui.core.engine import Settlement
    from rmtui.core.status import Status
    from rmtui.headless import TerminalListener, TerminalPrompter
    from rmtui.usecases.lifecycle import make_engine

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
        _print_summary(engine)
        failed = [s.id for s in engine.plan if engine.state.steps[s.id].status is Status.FAILED]
        if failed:
            return 1
        if engine.is_complete():
            click.secho("\nThe release is complete.", fg="green", bold=True)
        elif engine.blocked_reason():
            click.echo(f"\nstopped: {engine.blocked_reason()}")
        return 0


def _print_summary(engine: Any) -> None:
    from rmtui.headless import GLYPHS

    click.echo("\nSummary")
    click.echo(f"  {'step':<20} {'status':<8} reason / error")
    for step in engine.plan:
        record = engine.state.steps[step.id]
        detail = record.error or record.reason
        click.echo(f"  {GLYPHS[record.status]} {step.id:<18} {record.status.value:<8} {detail}")
    done, total = engine.progress()
    click.echo(f"  {done}/{total} steps done or skipped")


@main.command()
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
    """Drive RELEASE headless, step by step, until it is done, fails or waits."""
    sys.exit(_run_headless(_workspace(release), until, yes, quiet))


@main.command()
@click.argument("release")
@click.option("--verify", is_flag=True, help="Check the hash chain; exit 1 if it is broken.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON lines.")
@friendly_errors
def journal(release: str, verify: bool, as_json: bool) -> None:
    """Show or verify the hash-chained journal of RELEASE."""
    from rmtui.core.release import load_release
    from rmtui.core.store import Journal, StateStore

    rel = load_release(_workspace(release))
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


def _step_command(name: str, help_text: str, needs_reason: bool) -> None:
    @main.command(name=name, help=help_text)
    @click.argument("release")
    @click.argument("step_id")
    @click.option("--reason", default="", help="Why (required for skip and mark-done).")
    @friendly_errors
    def command(release: str, step_id: str, reason: str) -> None:
        from rmtui.headless import TerminalListener, TerminalPrompter
        from rmtui.usecases.lifecycle import make_engine

        if needs_reason and not reason.strip():
            raise RmtuiError(f"{name} needs --reason", "say why, so the journal explains it")
        engine = make_engine(
            _workspace(release), TerminalPrompter(interactive=False), [TerminalListener()]
        )
        with engine.opened(auto_settle=False):
            if name == "skip":
                engine.skip(step_id, reason)
            elif name == "mark-done":
                engine.mark_done(step_id, reason)
            elif name == "retry":
                engine.retry(step_id)
            else:
                engine.unskip(step_id)


_step_command("skip", "Skip STEP_ID of RELEASE, with a reason (journaled).", True)
_step_command("mark-done", "Mark STEP_ID done by hand, with a reason (journaled).", True)
_step_command("retry", "Put a failed STEP_ID back to pending.", False)
_step_command("unskip", "Take back the skip of STEP_ID.", False)


@main.command()
@click.argument("version")
@click.option(
    "--profile",
    "profile_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The profile TOML (see docs/profile.md).",
)
@click.option("--security-only", is_flag=True, help="Source-only security release.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Workspace directory (default: $RMTUI_HOME/releases/VERSION).",
)
@friendly_errors
def start(version: str, profile_file: Path, security_only: bool, directory: Path | None) -> None:
    """Begin a real release of VERSION with the profile FILE."""
    from rmtui.core.profile import load_profile
    from rmtui.core.release import Release, now_utc, releases_root
    from rmtui.core.version import parse_version
    from rmtui.headless import TerminalPrompter
    from rmtui.usecases.lifecycle import create_release

    parsed = parse_version(version)
    profile = load_profile(profile_file)
    workspace = (directory or releases_root() / str(parsed)).expanduser().resolve()
    release = Release(parsed, profile, workspace, security_only=security_only, created=now_utc())
    create_release(release, TerminalPrompter(interactive=False))
    click.echo(f"started {parsed} ({parsed.release_type.value}) in {workspace}")
    click.echo(f"next: `rmtui run {parsed}` headless, or `rmtui open {parsed}` in the TUI")


@main.command(name="open")
@click.argument("release")
@friendly_errors
def open_release(release: str) -> None:
    """Open RELEASE in the TUI."""
    _open_tui(_workspace(release))


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to build the sandbox (default: a new folder under the data dir).",
)
@click.option(
    "--version",
    "version",
    default=None,
    help="The release to rehearse (default exercises GPG and Sigstore).",
)
@click.option("--security-only", is_flag=True, help="Rehearse a security-only release.")
@click.option("--auto", is_flag=True, help="Run every step headless, answering yes.")
@click.option("--quiet", is_flag=True, help="With --auto: do not echo the steps' output.")
@friendly_errors
def rehearse(
    directory: Path | None, version: str | None, security_only: bool, auto: bool, quiet: bool
) -> None:
    """Build a throwaway sandbox and drive the real release plan against it."""
    from rmtui.core.release import now_utc, rmtui_home
    from rmtui.core.version import parse_version
    from rmtui.sandbox.build import DEFAULT_VERSION, build_sandbox

    parsed = parse_version(version or DEFAULT_VERSION)
    if not auto:
        _require_terminal("run it in a terminal, or pass --auto to rehearse headless")
    if directory is None:
        stamp = now_utc().replace(":", "").replace("-", "")
        directory = rmtui_home() / "rehearsals" / f"{parsed}-{stamp}"
    sandbox, _release = build_sandbox(
        directory, parsed, security_only=security_only, sink=lambda line: click.echo(line)
    )
    click.echo(f"\nRehearsal sandbox for {parsed} ({parsed.release_type.value}) at {sandbox.root}")
    for label, path in (
        ("upstream", sandbox.upstream),
        ("fork", sandbox.fork),
        ("working clone", sandbox.clone),
        ("GPG home", sandbox.gnupghome),
        ("downloads", sandbox.downloads),
        ("workspace", sandbox.workspace),
        ("profile", sandbox.profile_path),
    ):
        click.echo(f"  {label:<14} {path}")
    if auto:
        sys.exit(_run_headless(sandbox.workspace, None, yes=True, quiet=quiet))
    _open_tui(sandbox.workspace)


@main.group()
def profile() -> None:
    """Built-in profiles."""


@profile.command(name="show")
@click.argument("name", default="cpython")
@friendly_errors
def profile_show(name: str) -> None:
    """Print a built-in profile, to copy and edit."""
    from importlib import resources

    from rmtui.core.release import builtin_profile

    builtin_profile(name)
    click.echo(resources.files("rmtui.profiles").joinpath(f"{name}.toml").read_text("utf-8"))
