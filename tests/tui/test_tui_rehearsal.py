"""Pilot tests against real sandboxes: a whole rehearsal from the keyboard, resume after a kill."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from rmtui.core.engine import Engine, Settlement
from rmtui.core.release import load_release
from rmtui.core.status import SETTLED, Status
from rmtui.core.store import Journal, StateStore
from rmtui.core.version import parse_version
from rmtui.sandbox.build import build_sandbox, stand_in_folders, stand_in_names
from rmtui.steps.handoff import HANDOFF_STEP_ID
from rmtui.tui.app import RmtuiApp
from rmtui.tui.screens.decisions import PointOfNoReturnDialog, ResumeDialog
from rmtui.tui.screens.dialogs import (
    ChoiceDialog,
    ConfirmDialog,
    ErrorDialog,
    OAuthDialog,
    TextDialog,
)
from rmtui.tui.screens.forms import NewReleaseForm, RehearsalForm
from rmtui.tui.screens.handoff import ImportDialog
from rmtui.tui.screens.home import HomeScreen
from rmtui.tui.screens.release import ReleaseScreen
from rmtui.usecases.lifecycle import make_engine
from tests.helpers import headless_prompter, short_tmpdir
from tests.tui.test_tui_fakes import fixed_clock, until
from tests.tui.test_tui_release import idle, keys, opened

SIZE = (100, 30)


def settled_as(engine: Engine, step_id: str, status: Status) -> Callable[[], bool]:
    return lambda: engine.state.steps[step_id].status is status


async def drive_to_the_end(pilot: Pilot[Any], app: RmtuiApp, screen: ReleaseScreen) -> list[str]:
    """Answer what the screen asks, as an RM at the keyboard would; return the skipped steps."""
    skipped: list[str] = []
    for _ in range(400):
        engine = screen.engine
        assert engine is not None
        top = app.screen
        if isinstance(top, ErrorDialog):
            raise AssertionError(f"error dialog: {top.problem} / {top.hint}")
        if isinstance(top, PointOfNoReturnDialog | ConfirmDialog):
            await pilot.press("y")
            continue
        if isinstance(top, ChoiceDialog) or (isinstance(top, TextDialog) and not top.secret):
            await pilot.press("enter")  # the default answer
            continue
        if isinstance(top, OAuthDialog | TextDialog):
            await pilot.press("escape")  # no identity here: the step fails and says so
            continue
        if screen.busy:
            await pilot.pause(0.05)
            continue
        if engine.is_complete():
            return skipped
        states = engine.state.steps
        failed = [s for s in engine.plan if states[s.id].status is Status.FAILED]
        if failed:
            # As an RM would in a rehearsal: what cannot run here (no Sigstore identity
            # offline, steps still to come in the plan) is skipped, with the reason journaled.
            step_id = failed[0].id
            screen.checklist.select_step(step_id)
            await pilot.press("s", *keys("not here"), "enter")
            await until(pilot, settled_as(engine, step_id, Status.SKIPPED), "the skip")
            skipped.append(step_id)
            continue
        if engine.next_step() is None:
            waiting = [s for s in engine.plan if states[s.id].status is Status.WAITING]
            assert [s.id for s in waiting] == [HANDOFF_STEP_ID], engine.blocked_reason()
            # What the status line says to do: i, and enter takes the sandbox's stand-ins.
            assert "press i to import" in str(screen.query_one("#statusline").render())
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the import")
            await pilot.press("enter")
            await until(pilot, settled_as(engine, HANDOFF_STEP_ID, Status.DONE), "the import")
            continue
        await pilot.press("g")  # run on, until a step fails, waits or asks
    raise AssertionError("the rehearsal did not end")


async def test_whole_rehearsal_from_the_home_screen_by_keyboard() -> None:
    with short_tmpdir("t") as root:
        app = RmtuiApp(clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
            await until(pilot, lambda: app.screen.query_one("#welcome").display, "welcome")
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, RehearsalForm), "the form")
            app.screen.query_one("#directory", Input).value = str(root / "sb")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the sandbox", 60)
            screen = app.screen
            assert isinstance(screen, ReleaseScreen)
            await until(pilot, lambda: screen.engine is not None and not screen.busy, "open")
            skipped = await drive_to_the_end(pilot, app, screen)
            workspace = root / "sb" / "workspace"
            done, total = screen.engine.progress()  # type: ignore[union-attr]
            assert done == total
            assert f"{total}/{total}" in str(screen.query_one("#progress", Label).render())
            # Back home, the rehearsal is listed as done.
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
            table = app.screen.query_one(DataTable)
            await until(pilot, lambda: table.row_count == 1, "the release list")
            row = [str(cell) for cell in table.get_row_at(0)]
            # Version, Where (the sandbox's folder), Type, Kind, Progress, State, Last activity.
            assert row[0] == "3.13.10" and row[1] == "…/sb/…"
            assert row[3] == "rehearsal" and row[5] == "done"
            await pilot.press("q")
        # The engine's own record agrees: every step settled, skips explained, journal whole.
        release = load_release(workspace)
        state = StateStore(release.state_path).load()
        assert all(record.status in SETTLED for record in state.steps.values())
        assert len(skipped) < len(state.steps) / 2, f"most steps could not run: {skipped}"
        for step_id in skipped:
            assert state.steps[step_id].reason == "not here"
        # The experts' deliveries came in through the import action: the sandbox's stand-ins.
        assert state.steps[HANDOFF_STEP_ID].status is Status.DONE
        for role, names in stand_in_names(release.version).items():
            delivered = state.fact(f"handoff.{role}")
            assert isinstance(delivered, dict) and delivered["stand_in"] is True
            assert sorted(delivered["files"]) == sorted(names)
            assert all((release.artifacts / name).is_file() for name in names)
        assert Journal(release.journal_path).verify((state.journal_seq, state.journal_sha)) == []


async def test_import_the_experts_artifacts_from_the_open_release() -> None:
    """i imports into the release the TUI holds open: a bad folder, a typed one, the stand-ins."""
    with short_tmpdir("t") as root:
        sandbox, release = build_sandbox(root / "sb", parse_version("3.13.10"))
        engine = make_engine(sandbox.workspace, headless_prompter(assume_yes=True))
        with engine.opened():
            engine.run_until(HANDOFF_STEP_ID)
        windows = root / "win"  # what the Windows expert sent: their folder, SHA256SUMS and all
        shutil.copytree(stand_in_folders(sandbox.workspace)["Windows"], windows)
        bad = root / "bad"  # installers, but no SHA256SUMS
        bad.mkdir()
        (bad / "python-3.13.10-amd64.exe").write_bytes(b"unchecked")

        app = RmtuiApp(sandbox.workspace, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            screen = await opened(pilot, app)
            assert screen.engine is not None
            before = (release.state_path.read_bytes(), sorted(release.artifacts.glob("*")))
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the import")
            dialog = app.screen
            assert isinstance(dialog, ImportDialog)
            assert dialog.roles == ["Windows", "macOS"] and dialog.stand_ins == dialog.roles
            told = " ".join(str(w.render()) for w in dialog.query(".folder-help"))
            assert "SHA256SUMS" in told and "sha256sum * > SHA256SUMS" in told
            # Not the stand-ins (focused in a rehearsal): Windows, and the folder typed.
            await pilot.press("shift+tab", *keys(str(bad)), "enter")
            await until(pilot, lambda: isinstance(app.screen, ErrorDialog), "the refusal")
            error = app.screen
            assert isinstance(error, ErrorDialog)
            assert "has no SHA256SUMS" in error.problem and "sha256sum" in error.hint
            await idle(pilot, screen)
            assert (release.state_path.read_bytes(), sorted(release.artifacts.glob("*"))) == before
            # Closing the error brings the dialog back with what was typed.
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the dialog again")
            folder = app.screen.query_one("#folder", Input)
            assert folder.value == str(bad) and app.screen.focused is folder
            folder.value = str(windows)
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, ImportDialog), "the import")
            await idle(pilot, screen)
            record = StateStore(release.state_path).load().steps[HANDOFF_STEP_ID]
            assert record.status is Status.WAITING and record.waiting_on == ["macOS"]
            assert "Waiting on macOS" in str(screen.query_one("#detail-waiting").render())
            # macOS by the stand-ins: i, enter.
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the import")
            assert app.screen.roles == ["macOS"]  # type: ignore[attr-defined]
            await pilot.press("enter")
            await until(pilot, settled_as(screen.engine, HANDOFF_STEP_ID, Status.DONE), "done")
            await idle(pilot, screen)
            assert screen.check_action("import_handoff", ()) is False
            await pilot.press("q")
        state = StateStore(release.state_path).load()
        assert state.steps[HANDOFF_STEP_ID].status is Status.DONE
        sums = (release.artifacts / "SHA256SUMS").read_text()
        for role, names in stand_in_names(release.version).items():
            delivered = state.fact(f"handoff.{role}")
            assert isinstance(delivered, dict)
            assert delivered["stand_in"] is (role == "macOS")
            for name in names:
                assert (release.artifacts / name).is_file() and f"  {name}\n" in sums
        assert not (release.artifacts / "python-3.13.10-amd64.exe").exists()  # the bad one
        assert Journal(release.journal_path).verify((state.journal_seq, state.journal_sha)) == []


async def test_resume_after_a_simulated_kill() -> None:
    with short_tmpdir("t") as root:
        sandbox, _release = build_sandbox(root / "sb", parse_version("3.13.10"))
        engine = make_engine(sandbox.workspace, headless_prompter(assume_yes=True))
        with engine.opened():
            engine.run_next()
            engine.run_next()
            engine.run_next()
            done = [s.id for s in engine.plan if engine.state.steps[s.id].status is Status.DONE]
            pending = engine.next_step()
        assert pending is not None
        # The kill: a step whose effect is in place, and one that never acted, both "running".
        state_path = sandbox.workspace / "state.json"
        data = json.loads(state_path.read_text())
        for step_id in (done[-1], pending.id):
            data["steps"][step_id].update(status="running", finished=None)
        state_path.write_text(json.dumps(data))

        app = RmtuiApp(sandbox.workspace, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            outcomes: dict[str, Settlement] = {}

            def next_dialog_ready() -> bool:
                # A new dialog, not the one just answered, and composed (its detail exists).
                screen = app.screen
                return (
                    isinstance(screen, ResumeDialog)
                    and screen.step.id not in outcomes
                    and bool(screen.query(".detail Static"))
                )

            for _ in range(2):
                await until(pilot, next_dialog_ready, "resume")
                dialog = app.screen
                assert isinstance(dialog, ResumeDialog)
                shown = str(dialog.query_one(".detail Static").render())
                assert dialog.interruption.probe.why in shown  # what the probe found
                assert dialog.interruption.probe.outcome.value.upper() in shown
                outcomes[dialog.step.id] = dialog.suggested
                key = {"accept-done": "a", "run-again": "r", "mark-failed": "f"}
                await pilot.press(key[dialog.suggested.value])
            screen = app.screen
            assert isinstance(screen, ReleaseScreen)
            await idle(pilot, screen)
            await pilot.press("q")
        # A step whose effect is in place is accepted; one that never acted runs again.
        assert outcomes[done[-1]] in (Settlement.ACCEPT_DONE, Settlement.RUN_AGAIN)
        assert outcomes[pending.id] is Settlement.RUN_AGAIN
        expected = {
            Settlement.ACCEPT_DONE: Status.DONE,
            Settlement.RUN_AGAIN: Status.PENDING,
            Settlement.MARK_FAILED: Status.FAILED,
        }
        state = StateStore(sandbox.workspace / "state.json").load()
        for step_id, settlement in outcomes.items():
            assert state.steps[step_id].status is expected[settlement]
            assert state.steps[step_id].reason.startswith("resumed; probe:")


async def test_new_release_form_checks_each_field(tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(resources.files("rmtui.profiles").joinpath("cpython.toml").read_text())
    app = RmtuiApp(clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewReleaseForm), "the form")
        form = app.screen
        problem = form.query_one("#problem", Label)
        form.query_one("#version", Input).value = "3.14"
        await pilot.press("enter")
        assert "3.14" in str(problem.render()) and "How to fix" in str(problem.render())
        form.query_one("#version", Input).value = "3.14.1"
        await pilot.press("enter")
        assert "needs a profile file" in str(problem.render())
        form.query_one("#profile", Input).value = str(tmp_path / "missing.toml")
        await pilot.press("enter")
        assert "no profile file" in str(problem.render())
        form.query_one("#profile", Input).value = str(profile)
        form.query_one("#directory", Input).value = str(tmp_path / "ws")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the release")
        screen = app.screen
        assert isinstance(screen, ReleaseScreen)
        await until(pilot, lambda: screen.engine is not None, "open")
        assert "REAL RELEASE" in str(screen.query_one("#banner", Label).render())
        assert "3.14.1" in str(screen.query_one("#release-name", Label).render())
        await pilot.press("q")
    assert (tmp_path / "ws" / "state.json").exists()
