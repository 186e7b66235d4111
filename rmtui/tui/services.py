"""What the TUI needs from the layers below, as plain functions the app receives injected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rmtui.core.engine import Engine
    from rmtui.core.events import Listener
    from rmtui.core.step import Prompter
    from rmtui.releases import ReleaseSummary
    from rmtui.tui.screens.forms import ReleaseRequest

Clock = Callable[[], str]
Sink = Callable[[str], None]
EngineFactory = Callable[[Path, "Prompter", Sequence["Listener"], Clock], "Engine"]
Finder = Callable[[], list["ReleaseSummary"]]
SandboxBuilder = Callable[["ReleaseRequest", Sink], Path]
ReleaseStarter = Callable[["ReleaseRequest", Clock], Path]


def open_engine(
    workspace: Path, prompter: Prompter, listeners: Sequence[Listener], clock: Clock
) -> Engine:
    """The engine for a workspace, with the release's own plan (as `rmtui run` builds it)."""
    from rmtui.core.engine import Engine
    from rmtui.core.release import load_release
    from rmtui.steps.plan import build_plan

    release = load_release(workspace)
    return Engine(release, build_plan(release), prompter, listeners=listeners, clock=clock)


def find_releases() -> list[ReleaseSummary]:
    """Every release rmtui knows, read without taking any lock."""
    from rmtui.core.release import all_workspaces
    from rmtui.releases import summarise

    return [summarise(workspace) for workspace in all_workspaces()]


def build_rehearsal(request: ReleaseRequest, sink: Sink) -> Path:
    """Build a sandbox for the request and return its release workspace."""
    from rmtui.sandbox.build import build_sandbox

    assert request.directory is not None
    sandbox, _release = build_sandbox(
        request.directory, request.version, security_only=request.security_only, sink=sink
    )
    return sandbox.workspace


def start_release(request: ReleaseRequest, clock: Clock) -> Path:
    """Create the workspace of a real release from a profile file (as `rmtui start` does)."""
    from rmtui.core.profile import load_profile
    from rmtui.core.release import Release, releases_root
    from rmtui.headless import TerminalPrompter
    from rmtui.releases import create_release

    assert request.profile_file is not None
    profile = load_profile(request.profile_file)
    workspace = (request.directory or releases_root() / str(request.version)).expanduser()
    release = Release(
        request.version,
        profile,
        workspace.resolve(),
        security_only=request.security_only,
        created=clock(),
    )
    create_release(release, TerminalPrompter(interactive=False))
    return release.workspace


def default_rehearsal_dir(version: str, clock: Clock) -> Path:
    """Where `rmtui rehearse` would build a sandbox for `version` now."""
    from rmtui.core.release import rmtui_home

    stamp = clock().replace(":", "").replace("-", "")
    return rmtui_home() / "rehearsals" / f"{version}-{stamp}"
