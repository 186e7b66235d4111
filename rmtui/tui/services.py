"""What the TUI needs from the layers below, as plain functions the app receives injected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rmtui.core.engine import Engine
    from rmtui.core.events import Listener
    from rmtui.core.step import Prompter
    from rmtui.tui.screens.forms import ReleaseRequest
    from rmtui.usecases.standing import ReleaseSummary

Clock = Callable[[], str]
Sink = Callable[[str], None]
EngineFactory = Callable[[Path, "Prompter", Sequence["Listener"], Clock], "Engine"]
Finder = Callable[[], list["ReleaseSummary"]]
SandboxBuilder = Callable[["ReleaseRequest", Sink], Path]
ReleaseStarter = Callable[["ReleaseRequest", Clock], Path]
StandInFinder = Callable[[Path], dict[str, Path]]


def open_engine(
    workspace: Path, prompter: Prompter, listeners: Sequence[Listener], clock: Clock
) -> Engine:
    """The engine for a workspace, with the release's own plan (as `rmtui run` builds it)."""
    from rmtui.usecases.lifecycle import make_engine

    return make_engine(workspace, prompter, listeners, clock=clock)


def headless_prompter(*, assume_yes: bool = False) -> Prompter:
    """The terminal prompter that never asks (for set-up outside the TUI: benches, tests)."""
    # The one place the TUI imports the CLI layer's headless runner.
    from rmtui.headless import TerminalPrompter

    if assume_yes:
        return TerminalPrompter(assume_yes=True)
    return TerminalPrompter(interactive=False)


def find_releases() -> list[ReleaseSummary]:
    """Every release rmtui knows, read without taking any lock."""
    from rmtui.core.release import all_workspaces
    from rmtui.usecases.standing import summarise

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
    from rmtui.usecases.lifecycle import create_release

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
    create_release(release, headless_prompter())
    return release.workspace


def default_rehearsal_dir(version: str, clock: Clock) -> Path:
    """Where `rmtui rehearse` would build a sandbox for `version` now."""
    from rmtui.core.release import rmtui_home

    stamp = clock().replace(":", "").replace("-", "")
    return rmtui_home() / "rehearsals" / f"{version}-{stamp}"


def stand_in_folders(workspace: Path) -> dict[str, Path]:
    """The rehearsal sandbox's stand-in deliveries around `workspace`, by role ({} if none)."""
    from rmtui.sandbox.build import stand_in_folders as find

    return find(workspace)


@dataclass(frozen=True)
class Imported:
    """What an import brought into artifacts/, by role, and who is still awaited."""

    delivered: dict[str, tuple[str, ...]]
    remaining: tuple[str, ...]
    stand_ins: bool = False


def import_handoff(engine: Engine, role: str, folder: Path) -> Imported:
    """Import the folder an expert delivered into the open release (as `rmtui handoff import`)."""
    from rmtui.steps.handoff import import_delivery

    delivery = import_delivery(engine, role, folder)
    return Imported({delivery.role: tuple(sorted(delivery.files))}, delivery.remaining)


def import_stand_ins(engine: Engine, say: Sink) -> Imported:
    """In a rehearsal, import the sandbox's stand-ins for every expert still awaited."""
    from rmtui.core.errors import RmtuiError
    from rmtui.sandbox.build import deliver_stand_ins
    from rmtui.steps.handoff import delivered_files

    roles = deliver_stand_ins(engine, say)
    if not roles:
        raise RmtuiError(
            "there are no sandbox stand-ins to import for the experts still awaited",
            "stand-ins exist only in a rehearsal sandbox (D/experts/); import a folder "
            "instead, or mark the hand-off done by hand with a reason",
        )
    delivered = {role: tuple(sorted(delivered_files(engine.state.fact, role))) for role in roles}
    return Imported(delivered, awaited_roles(engine), stand_ins=True)


def awaited_roles(engine: Engine) -> tuple[str, ...]:
    """The experts the hand-off still waits on; () when there is nothing to import."""
    from rmtui.core.status import Status
    from rmtui.steps.handoff import HANDOFF_STEP_ID

    if HANDOFF_STEP_ID not in engine.plan.ids:
        return ()
    record = engine.state.steps[HANDOFF_STEP_ID]
    return tuple(record.waiting_on) if record.status is Status.WAITING else ()
