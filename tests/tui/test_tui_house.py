"""The release screen's house rules: run-on around waits, a truthful footer, cramped dialogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Static

from rmtui.core.status import Event, Status
from rmtui.core.step import Action, Phase, Plan, PointOfNoReturn
from rmtui.tui.actions import BINDING_IDS, RELEASE_ACTIONS, can
from rmtui.tui.app import RmtuiApp
from rmtui.tui.screens.decisions import PointOfNoReturnDialog
from rmtui.tui.screens.home import places
from tests.tui.test_tui_fakes import FakeRelease, MarkerStep, fake_plan, screen_text, until
from tests.tui.test_tui_release import idle, opened

SIZE = (100, 30)


def footer_text(app: RmtuiApp) -> str:
    """The terminal's last line."""
    return [line for line in screen_text(app).splitlines() if line.strip()][-1]


class AsideStep(MarkerStep):
    """Needs nothing the hand-off brings: work that goes on while the experts build."""

    id = "aside"
    title = "Work that does not need the experts"
    phase = Phase.BUILD
    requires = ("verify",)


def aside_plan() -> Plan:
    """The fake plan with a step after the hand-off that does not need it."""
    plan = fake_plan()
    steps = [step for step in plan if step.id != "publish"]
    return Plan((*steps, AsideStep(), plan.get("publish")))


async def test_run_on_goes_on_around_a_waiting_step(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", aside_plan())
    (fake.workspace / "world").mkdir(parents=True)
    (fake.workspace / "world" / "fixed").write_text("")  # verify passes
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("g")
        await until(pilot, lambda: fake.state()["aside"].status is Status.DONE, "run-on")
        await idle(pilot, screen)
        state = fake.state()
        assert state["handoff.experts"].status is Status.WAITING
        assert state["aside"].status is Status.DONE  # it ran after the wait
        assert state["publish"].status is Status.PENDING  # it needs the experts
        assert "waits on Windows, macOS" in str(screen.query_one("#statusline").render())
        # Nothing can run: the footer does not offer n, and offers i.
        footer = footer_text(app)
        assert "n Next" not in footer and "i Import" in footer
        await pilot.press("q")


async def test_a_done_step_says_what_it_did(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert "What it will do" in screen_text(app)
        await pilot.press("n")
        await idle(pilot, screen)
        screen.checklist.select_step("check")
        await pilot.pause()
        shown = screen_text(app)
        assert "What it did" in shown and "What it will do" not in shown
        await pilot.press("q")


async def test_a_modal_has_its_own_footer(tmp_path: Path) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    engine = fake.engine_for_setup()
    with engine.opened():
        for step in fake.plan:
            if step.id != "publish":
                engine.mark_done(step.id, "test setup")
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        await pilot.pause()
        footer = footer_text(app)
        assert "y Go ahead" in footer and "n Stop" in footer
        assert "j Journal" not in footer and "x Stop" not in footer  # the screen's keys are out
        await pilot.press("n")
        await idle(pilot, screen)
        await pilot.press("q")


def many_actions(count: int) -> tuple[Action, ...]:
    return tuple(
        Action(f"push ref {n}", f"git push --atomic upstream refs/tags/v{n}:refs/tags/v{n}")
        for n in range(count)
    )


class PointApp(RmtuiApp):
    def __init__(self, point: PointOfNoReturn) -> None:
        super().__init__(finder=list)
        self.point = point

    def on_mount(self) -> None:
        self.push_screen(PointOfNoReturnDialog(self.point))


async def test_point_of_no_return_says_what_is_below() -> None:
    point = PointOfNoReturn(
        "upstream.push", "Push", "3.14.0", True, many_actions(12), "Pushed tags stay."
    )
    app = PointApp(point)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        await pilot.pause(0.2)
        more = app.screen.query_one("#more", Static)
        assert more.display and "more lines below" in str(more.render())
        assert "pgdn" in str(more.render())  # and how to see them
        await pilot.press("end")
        await until(pilot, lambda: not more.display, "the note to go once all is in view")
    # At 100x30 a short plan fits whole: nothing is said.
    short = PointOfNoReturn("upstream.push", "Push", "3.14.0", True, many_actions(5), "Stays.")
    app = PointApp(short)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PointOfNoReturnDialog), "the modal")
        await pilot.pause(0.2)
        assert not app.screen.query_one("#more", Static).display
        assert "refs/tags/v4:refs/tags/v4" in screen_text(app)


def test_releases_that_share_a_version_say_where_they_live() -> None:
    rehearsals = Path("/home/rm/.rmtui/rehearsals")
    workspaces = [
        Path("/srv/rm/3.14.1"),
        rehearsals / "3.13.10-20261103T100000Z" / "workspace",
        rehearsals / "3.13.10-20261104T090000Z" / "workspace",
    ]
    shown = places(workspaces, ["3.14.1", "3.13.10", "3.13.10"])
    assert shown[0] == "…/3.14.1"
    assert "20261103T100000Z" in shown[1] and "20261104T090000Z" in shown[2]


def test_the_registry_names_every_binding_once_and_asks_the_state_machine() -> None:
    ids = [spec.id for spec in RELEASE_ACTIONS]
    assert len(ids) == len(set(ids)) and set(ids) <= BINDING_IDS
    assert all(spec.tooltip for spec in RELEASE_ACTIONS)
    assert can(Status.FAILED, Event.RETRY) and not can(Status.DONE, Event.RETRY)
    assert can(Status.WAITING, Event.SKIP) and not can(None, Event.SKIP)


async def test_run_is_offered_only_for_a_step_whose_requirements_are_settled(
    tmp_path: Path,
) -> None:
    fake = FakeRelease(tmp_path / "ws", fake_plan())
    app = fake.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.checklist.select_step("build")  # it needs check first
        await pilot.pause()
        assert screen.check_action("run_selected", ()) is False
        assert "r Run" not in footer_text(app) and "s Skip" in footer_text(app)
        screen.checklist.select_step("check")
        await pilot.pause()
        assert screen.check_action("run_selected", ()) is True
        assert "r Run" in footer_text(app)
        await pilot.press("q")


async def test_a_finder_that_fails_says_why_on_the_home_screen() -> None:
    from rmtui.core.errors import RmtuiError
    from rmtui.tui.screens.dialogs import ErrorDialog

    def broken() -> list[Any]:
        raise RmtuiError("cannot read ~/.rmtui/releases", "check its permissions")

    app = RmtuiApp(finder=broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog), "the error")
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.problem == "cannot read ~/.rmtui/releases"
        assert dialog.hint == "check its permissions"
