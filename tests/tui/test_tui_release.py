"""Pilot tests of the release screen on a plan of fake steps: keys, modals, quitting, prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList

from rmtui.core.release import Release
from rmtui.core.status import Status
from rmtui.core.store import Journal, ReleaseLock
from rmtui.ops.checksums import write_sha256sums
from rmtui.tui.app import RmtuiApp
from rmtui.tui.screens.decisions import PointOfNoReturnDialog
from rmtui.tui.screens.dialogs import (
    ChoiceDialog,
    ConfirmDialog,
    ErrorDialog,
    OAuthDialog,
    QuitDialog,
    ReasonDialog,
    TextDialog,
)
from rmtui.tui.screens.handoff import ImportDialog
from rmtui.tui.screens.help import HelpScreen
from rmtui.tui.screens.home import HomeScreen
from rmtui.tui.screens.journal import JournalScreen
from rmtui.tui.screens.release import ReleaseScreen
from rmtui.tui.widgets.output import OutputPane
from tests.tui.test_tui_fakes import (
    AskingStep,
    BuildStep,
    FakeRelease,
    FloodStep,
    GateStep,
    SlowStep,
    fake_plan,
    screen_text,
    until,
)

SIZE = (100, 30)
KEY_NAMES = {
    " ": "space",
    ".": "full_stop",
    ":": "colon",
    "-": "minus",
    ",": "comma",
    "/": "slash",
    "_": "underscore",
}


def keys(text: str) -> list[str]:
    return [KEY_NAMES.get(char, char) for char in text]


async def opened(pilot: Pilot[Any], app: RmtuiApp) -> ReleaseScreen:
    await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the release screen")
    screen = app.screen
    assert isinstance(screen, ReleaseScreen)
    await until(pilot, lambda: screen.engine is not None and not screen.busy, "the engine")
    return screen


async def idle(pilot: Pilot[Any], screen: ReleaseScreen) -> None:
    await until(pilot, lambda: not screen.busy, "the step to finish")


def lock_is_free(release: Release) -> bool:
    lock = ReleaseLock(release.lock_path, "probe")
    try:
        lock.acquire()
    except Exception:
        return False
    lock.release()
    return True


def journal_events(fake: FakeRelease) -> list[dict[str, Any]]:
    return Journal(fake.release.journal_path).entries()


async def test_keyboard_walk_through_every_kind_of_step(tmp_path: Path) -> None:
    """n, t, s, d and the point of no return, checked against state.json and the journal."""
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert not lock_is_free(fake.release)  # the open release holds its lock
        assert "REHEARSAL" in str(screen.query_one("#banner", Label).render())
        await pilot.press("n")
        await idle(pilot, screen)
        await pilot.press("n")
        await idle(pilot, screen)
        state = fake.state()
        assert state["check"].status is Status.DONE and state["build"].status is Status.DONE
        # The cursor stays on what just ran: its output and recorded fact stay in view.
        assert screen.checklist.highlighted_step_id == "build"
        shown = screen.query_one(OutputPane).lines
        assert shown[1:-1] == list(BuildStep.lines) and shown[-1] == "DONE"  # the whole log
        assert "build.sha256" in str(screen.query_one("#detail-facts").render())
        assert "2/6" in str(screen.query_one("#progress", Label).render())

        # Skip needs a reason; escape cancels; the reason goes into the journal.
        await pilot.press("down", "s")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog), "the reason dialog")
        await pilot.press("enter")
        assert isinstance(app.screen, ReasonDialog)  # an empty reason is refused
        assert "reason is required" in str(app.screen.query_one("#problem", Label).render())
        await pilot.press("escape")
        assert fake.state()["docs"].status is Status.PENDING
        await pilot.press("s", *keys("no docs"), "enter")
        await until(pilot, lambda: fake.state()["docs"].status is Status.SKIPPED, "the skip")
        assert fake.state()["docs"].reason == "no docs"
        assert any(
            e.get("event") == "skip" and e.get("reason") == "no docs" for e in journal_events(fake)
        )

        # A failure shows the error and the hint; retry runs it again once fixed.
        await pilot.press("n")
        await idle(pilot, screen)
        record = fake.state()["verify"]
        assert record.status is Status.FAILED and "rebuild the tarball" in record.hint
        problem = str(screen.query_one("#detail-problem").render())
        assert "git archive" in problem and "How to fix" in problem
        assert "verify failed" in str(screen.query_one("#statusline").render())
        (fake.workspace / "world" / "fixed").write_text("")
        await pilot.press("t")
        await idle(pilot, screen)
        assert fake.state()["verify"].status is Status.DONE
        assert "retry" in [e.get("event") for e in journal_events(fake)]

        # The hand-off waits on the experts; i imports what one delivered, d ends the other.
        assert screen.check_action("import_handoff", ()) is False  # nothing waits yet
        await pilot.press("n")
        await idle(pilot, screen)
        record = fake.state()["handoff.experts"]
        assert record.status is Status.WAITING and record.waiting_on == ["Windows", "macOS"]
        waiting = str(screen.query_one("#detail-waiting").render())
        assert "Waiting on Windows, macOS" in waiting and "press i to import" in waiting
        assert f"rmtui handoff import {fake.workspace} DIR --role ROLE" in waiting
        assert "i Import" in screen_text(app)  # offered in the footer now
        delivery = tmp_path / "win"
        delivery.mkdir()
        (delivery / "python-3.14.0-amd64.exe").write_bytes(b"an installer")
        write_sha256sums(delivery, [delivery / "python-3.14.0-amd64.exe"])
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, ImportDialog), "the import dialog")
        await pilot.press("tab")  # Windows, the first awaited; on to the folder
        assert app.screen.focused is app.screen.query_one("#folder", Input)
        app.screen.query_one("#folder", Input).value = str(delivery)
        await pilot.press("enter")
        await until(
            pilot, lambda: fake.state()["handoff.experts"].waiting_on == ["macOS"], "import"
        )
        await idle(pilot, screen)
        assert (fake.release.artifacts / "python-3.14.0-amd64.exe").read_bytes() == b"an installer"
        assert "Waiting on macOS" in str(screen.query_one("#detail-waiting").render())
        await pilot.press("d", *keys("delivered"), "enter")
        await until(
            pilot, lambda: fake.state()["handoff.experts"].status is Status.DONE, "mark done"
        )
        assert fake.state()["handoff.experts"].reason == "by hand: delivered"
        assert screen.check_action("import_handoff", ()) is False

        # The point of no return: declining changes nothing; it blocks until confirmed.
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        await pilot.press("n")
        await idle(pilot, screen)
        assert fake.state()["publish"].status is Status.PENDING
        assert journal_events(fake)[-1]["kind"] == "declined"
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        assert "$ rsync -a artifacts/ downloads.example:" in screen_text(app)  # the command
        said = " ".join(str(w.render()) for w in app.screen.query(".consequences, .explanation"))
        assert "never replaced" in said  # what cannot be undone
        assert "real release you would type the version (3.14.0)" in said
        await pilot.press("t", "s", "j")  # nothing else gets through
        assert isinstance(app.screen, PointOfNoReturnDialog)
        assert fake.state()["publish"].status is Status.PENDING
        assert not (fake.workspace / "world" / "publish").exists()
        await pilot.press("y")
        await idle(pilot, screen)
        assert fake.state()["publish"].status is Status.DONE
        confirmed = [e for e in journal_events(fake) if e["kind"] == "point-of-no-return"]
        assert [e["confirmed"] for e in confirmed] == [False, True]
        assert "The release is complete" in str(screen.query_one("#statusline").render())
        await pilot.press("q")
    assert lock_is_free(fake.release)


async def _to_publish(fake: FakeRelease) -> None:
    """Settle every step before publish, as earlier sessions would have."""
    engine = fake.engine_for_setup()
    with engine.opened():
        for step in fake.plan:
            if step.id != "publish":
                engine.mark_done(step.id, "test setup")


async def test_real_release_needs_the_version_typed(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan(), rehearsal=False)
    await _to_publish(fake)
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert "REAL RELEASE" in str(screen.query_one("#banner", Label).render())
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        dialog = app.screen
        await pilot.press("enter")  # an empty answer is not the version
        await pilot.press(*keys("3.14.1"), "enter")
        assert isinstance(app.screen, PointOfNoReturnDialog)
        assert "That is not 3.14.0" in str(dialog.query_one("#problem", Label).render())
        assert fake.state()["publish"].status is Status.PENDING
        dialog.query_one(Input).value = ""
        await pilot.press(*keys("3.14.0"), "enter")
        await idle(pilot, screen)
        assert fake.state()["publish"].status is Status.DONE
        await pilot.press("q")


async def test_quit_mid_step_and_stop_it(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan(SlowStep()))
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.checklist.select_step("slow")
        await pilot.press("r")
        await until(pilot, lambda: fake.state()["slow"].status is Status.RUNNING, "slow to run")
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitDialog), "the quit dialog")
        await pilot.press("s")
        await until(pilot, lambda: not app.is_running, "the app to exit", timeout=10)
    record = fake.state()["slow"]
    assert record.status is Status.FAILED
    assert "stopped by the RM" in record.error
    assert lock_is_free(fake.release)


async def test_quit_mid_step_and_let_it_finish(tmp_path: Path) -> None:
    gated = GateStep()
    fake = FakeRelease(tmp_path / "ws", fake_plan(gated))
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.checklist.select_step("gate")
        await pilot.press("r")
        await until(pilot, lambda: fake.state()["gate"].status is Status.RUNNING, "gate to run")
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitDialog), "the quit dialog")
        await pilot.press("escape")  # keep working
        assert app.is_running and isinstance(app.screen, ReleaseScreen)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitDialog), "the quit dialog")
        await pilot.press("f")
        await pilot.pause(0.2)
        assert app.is_running  # still there while the step finishes
        assert "Quitting once gate has finished" in str(screen.query_one("#statusline").render())
        gated.gate.set()
        await until(pilot, lambda: not app.is_running, "the app to exit", timeout=10)
    assert fake.state()["gate"].status is Status.DONE
    assert lock_is_free(fake.release)


async def test_prompts_are_modals_and_secrets_stay_masked(tmp_path: Path) -> None:
    secret, code = "s3cretpw", "c0de9"
    fake = FakeRelease(tmp_path / "ws", fake_plan(AskingStep()))
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.checklist.select_step("ask")
        # Closing a question fails the step with a reason instead of hanging it.
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, TextDialog), "the secret prompt")
        await pilot.press("escape")
        await idle(pilot, screen)
        record = fake.state()["ask"]
        assert record.status is Status.FAILED
        assert "closed without an answer" in record.error and record.hint
        # Answered, each kind of question feeds the step.
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TextDialog), "the secret prompt")
        assert app.screen.query_one(Input).password  # masked on screen
        await pilot.press(*keys(secret), "enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, TextDialog) and app.screen.default == "Sandbox RM",
            "the text prompt",
        )
        await pilot.press("enter")  # accept the default
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), "the choice")
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, OAuthDialog), "the sign-in")
        assert app.screen.query_one(Input).password
        assert "oauth2.sigstage.dev" in str(app.screen.query_one("#url").render())
        await pilot.press(*keys(code), "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await pilot.press("y")
        await idle(pilot, screen)
        assert fake.state()["ask"].status is Status.DONE
        await pilot.press("q")
    log = (fake.release.logs / "ask.log").read_text()
    assert "received a passphrase of 8 characters" in log
    assert "name: Sandbox RM" in log and "kind: gpg" in log
    assert secret not in log and code not in log and "[REDACTED]" in log
    for path in (fake.release.state_path, fake.release.journal_path):
        text = path.read_text()
        assert secret not in text and code not in text


async def test_flood_is_batched_and_fully_logged(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan(FloodStep()))
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.checklist.select_step("flood")
        await pilot.press("r")
        await idle(pilot, screen)
        assert screen.bridge is not None and screen.bridge.lines_seen == FloodStep.count
        output = screen.query_one(OutputPane)
        assert output.line_count <= 5000  # the pane keeps a bounded tail
        assert output.lines[-2:] == [f"line {FloodStep.count - 1}", "DONE"]
        await pilot.press("q")
    log_lines = (fake.release.logs / "flood.log").read_text().splitlines()
    assert sum(1 for line in log_lines if line.startswith("line ")) == FloodStep.count


async def test_keymap_palette_and_help(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    app = fake.app(keymap={"run-next": "f5"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        # A binding remapped by its id.
        await pilot.press("n")
        assert fake.state()["check"].status is Status.PENDING
        await pilot.press("f5")
        await idle(pilot, screen)
        assert fake.state()["check"].status is Status.DONE

        # The command palette offers the release actions.
        await pilot.press("ctrl+p", *keys("journal"))

        def offered() -> bool:
            found = app.screen.query(OptionList)
            if not found or found.first().option_count == 0:
                return False
            return "journal" in str(found.first().get_option_at_index(0).prompt).lower()

        await until(pilot, offered, "the palette to offer the journal")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JournalScreen), "the journal")
        assert "hash chain verified" in str(app.screen.query_one("#journal-head").render())
        entry = str(app.screen.query_one("#journal-entry").render())  # the row under the cursor
        assert "transition · check" in entry and "new = done" in entry
        await pilot.press("escape")

        # F1: the keys where it was pressed, the process with the release on it, a glossary.
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        described = {(k.key, k.description, k.where) for k in help_screen.keys}
        assert ("f5", "Next", "this screen") in described
        assert any(where == "Checklist (focused)" for _, _, where in described)
        process = str(help_screen.query_one("#process-picture").render())
        assert "▶  6. Build" in process  # build is next
        assert "✔  1. Freeze" in process  # every Prepare step is settled
        glossary = help_screen.query_one("#glossary-text")
        assert "PEP 761" in glossary.source  # type: ignore[attr-defined]
        assert "Sigstore bundle" in glossary.source  # type: ignore[attr-defined]
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "help to close")
        await pilot.press("q")


async def test_locked_release_says_why_then_opens_once_free(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    holder = ReleaseLock(fake.release.lock_path, "3.14.0")
    holder.acquire()
    try:
        app = fake.app(finder=lambda: [])
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ErrorDialog), "the error")
            dialog = app.screen
            assert isinstance(dialog, ErrorDialog)
            assert dialog.hint  # names the way out
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
            assert app.screen.query_one("#welcome").display  # no releases: the welcome text
        holder.release()
        # Once free, it opens; escape goes home and gives the lock back.
        async with fake.app(finder=lambda: []).run_test(size=SIZE) as pilot:
            await opened(pilot, pilot.app)  # type: ignore[arg-type]
            assert not lock_is_free(fake.release)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(pilot.app.screen, HomeScreen), "home")
            assert lock_is_free(fake.release)
            await pilot.press("q")
    finally:
        holder.release()
