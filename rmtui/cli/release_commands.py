"""`rmtui start`, `open`, `rehearse` and `profile show`: begin, open or rehearse a release."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rmtui.cli.errors import friendly_errors
from rmtui.cli.root import open_tui, require_terminal
from rmtui.core.release import resolve_workspace


@click.command()
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
    from rmtui.usecases.lifecycle import create_release

    parsed = parse_version(version)
    profile = load_profile(profile_file)
    workspace = (directory or releases_root() / str(parsed)).expanduser().resolve()
    release = Release(parsed, profile, workspace, security_only=security_only, created=now_utc())
    create_release(release)
    click.echo(f"started {parsed} ({parsed.release_type.value}) in {workspace}")
    click.echo(f"next: `rmtui run {parsed}` headless, or `rmtui open {parsed}` in the TUI")


@click.command(name="open")
@click.argument("release")
@friendly_errors
def open_release(release: str) -> None:
    """Open RELEASE in the TUI."""
    open_tui(resolve_workspace(release))


@click.command()
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
        require_terminal("run it in a terminal, or pass --auto to rehearse headless")
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
        from rmtui.cli.headless_runner import run_headless

        sys.exit(run_headless(sandbox.workspace, None, yes=True, quiet=quiet))
    open_tui(sandbox.workspace)


@click.group()
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
