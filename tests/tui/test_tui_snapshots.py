"""Snapshot tests of the main screens at 100x30, with a fixed clock and fixed paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from rmtui.tui.app import RmtuiApp
from rmtui.tui.screens.decisions import PointOfNoReturnDialog, ResumeDialog
from rmtui.tui.screens.handoff import ImportDialog
from rmtui.tui.screens.help import HelpScreen
from rmtui.tui.screens.release import ReleaseScreen
from rmtui.usecases.standing import ReleaseSummary
from tests.tui.test_tui_fakes import FakeRelease, fake_plan, fixed_clock, fixed_workspace, until

SIZE = (100, 30)
Compare = Callable[..., bool]


async def release_open(pilot: Pilot[Any]) -> ReleaseScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the release screen")
    screen = app.screen
    assert isinstance(screen, ReleaseScreen)
    await until(pilot, lambda: screen.engine is not None and not screen.busy, "the engine")
    return screen


def prepared(name: str, *, rehearsal: bool = True, upto: str = "") -> FakeRelease:
    """A fake release with every step before `upto` run (or marked done) already."""
    fake = FakeRelease(fixed_workspace(name), fake_plan(), rehearsal=rehearsal)
    if upto:
        engine = fake.engine_for_setup()
        with engine.opened():
            for step in fake.plan:
                if step.id == upto:
                    break
                if step.id == "docs":
                    engine.skip(step.id, "no docs for this release")
                elif step.id in ("verify", "handoff.experts"):
                    engine.mark_done(step.id, "checked by hand")
                else:
                    engine.run_step(step.id)
    return fake


def test_home_screen(snap_compare: Compare) -> None:
    def found() -> list[ReleaseSummary]:
        return [
            ReleaseSummary(Path("/srv/rm/3.14.1"), "3.14.1", "bugfix", False, 12, 31,
                           "2026-11-03T09:12:00Z", "in progress"),
            ReleaseSummary(Path("/tmp/rehearsals/3.15.0a2"), "3.15.0a2", "alpha", True, 9, 9,
                           "2026-11-02T17:40:00Z", "done"),
            ReleaseSummary(Path("/tmp/rehearsals/3.13.10"), "3.13.10", "bugfix", True, 7, 12,
                           "2026-11-01T08:00:00Z", "failed"),
            # A second rehearsal of the same version: the list says where each lives.
            ReleaseSummary(Path("/tmp/rehearsals-b/3.13.10"), "3.13.10", "bugfix", True, 3, 12,
                           "2026-10-30T16:20:00Z", "in progress"),
        ]  # fmt: skip

    assert snap_compare(RmtuiApp(finder=found, clock=fixed_clock), terminal_size=SIZE)


def test_home_screen_empty(snap_compare: Compare) -> None:
    assert snap_compare(RmtuiApp(finder=list, clock=fixed_clock), terminal_size=SIZE)


def test_release_at_start(snap_compare: Compare) -> None:
    fake = prepared("start")
    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=release_open)


def test_failed_step_with_its_hint(snap_compare: Compare) -> None:
    fake = prepared("failed", upto="verify")
    engine = fake.engine_for_setup()
    with engine.opened():
        engine.run_step("verify")

    async def select_failed(pilot: Pilot[Any]) -> None:
        await release_open(pilot)

    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=select_failed)


def test_waiting_step(snap_compare: Compare) -> None:
    fake = prepared("waiting", upto="handoff.experts")
    engine = fake.engine_for_setup()
    with engine.opened():
        engine.run_step("handoff.experts")

    async def select_waiting(pilot: Pilot[Any]) -> None:
        screen = await release_open(pilot)
        screen.checklist.select_step("handoff.experts")

    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=select_waiting)


def test_import_dialog_on_the_waiting_step(snap_compare: Compare) -> None:
    fake = prepared("import", upto="handoff.experts")
    engine = fake.engine_for_setup()
    with engine.opened():
        engine.run_step("handoff.experts")
    experts = Path("/tmp/rmtui-snap-import-experts")

    def stand_ins(_workspace: Path) -> dict[str, Path]:
        return {"Windows": experts / "windows", "macOS": experts / "macos"}

    async def open_import(pilot: Pilot[Any]) -> None:
        screen = await release_open(pilot)
        # The step's help is laid out in the background: the pane behind the dialog shows
        # it (its scrollbar does) only once that is done.
        await until(pilot, lambda: bool(screen.query_one("#detail-help").children), "help")
        detail = screen.query_one("#detail")
        heights: list[int] = []
        while len(heights) < 3 or len(set(heights[-3:])) > 1:  # laid out: its height holds
            heights.append(detail.virtual_size.height)
            await pilot.pause(0.05)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(pilot.app.screen, ImportDialog), "the dialog")

    app = fake.app(stand_in_finder=stand_ins)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_import)


def _point_of_no_return(rehearsal: bool) -> Callable[[Pilot[Any]], Any]:
    async def run_publish(pilot: Pilot[Any]) -> None:
        await release_open(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(pilot.app.screen, PointOfNoReturnDialog), "modal")

    return run_publish


def test_point_of_no_return_in_a_rehearsal(snap_compare: Compare) -> None:
    fake = prepared("ponr", upto="publish")
    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=_point_of_no_return(True))


def test_point_of_no_return_in_a_real_release(snap_compare: Compare) -> None:
    fake = prepared("ponr-real", rehearsal=False, upto="publish")
    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=_point_of_no_return(False))


def test_resume_after_a_kill(snap_compare: Compare) -> None:
    fake = prepared("resume", upto="docs")
    data = json.loads(fake.release.state_path.read_text())
    data["steps"]["build"].update(status="running", finished=None)
    fake.release.state_path.write_text(json.dumps(data))

    async def resume_shown(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, ResumeDialog), "resume")

    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=resume_shown)


def test_help_keys(snap_compare: Compare) -> None:
    fake = prepared("help", upto="verify")

    async def open_help(pilot: Pilot[Any]) -> None:
        await release_open(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help")

    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=open_help)


def test_help_process(snap_compare: Compare) -> None:
    fake = prepared("process", upto="verify")

    async def open_process(pilot: Pilot[Any]) -> None:
        await release_open(pilot)
        await pilot.press("f1", "w")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help")

    assert snap_compare(fake.app(), terminal_size=SIZE, run_before=open_process)
