"""Open and create releases: write a new workspace, and make the engine that drives one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from rmtui.core.engine import Engine
from rmtui.core.events import Listener
from rmtui.core.ledger import Ledger
from rmtui.core.release import Release, load_release, now_utc, write_release_file
from rmtui.core.step import Prompter
from rmtui.steps.plan import build_plan


def create_release(release: Release) -> None:
    """Write release.toml, then state.json and the journal's first line (nobody is asked)."""
    release.workspace.mkdir(parents=True, exist_ok=True)
    write_release_file(release)
    Ledger(release, build_plan(release)).initialise()


def make_engine(
    workspace: Path,
    prompter: Prompter,
    listeners: Iterable[Listener] = (),
    *,
    clock: Callable[[], str] = now_utc,
) -> Engine:
    """The engine for the release in `workspace`, with its plan; not opened yet."""
    release = load_release(workspace)
    return Engine(release, build_plan(release), prompter, listeners=listeners, clock=clock)
