"""The release screen: checklist, detail and live output; steps run in Textual thread workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, OptionList, Static
from textual.worker import Worker, WorkerState

from rmtui.core.engine import Engine
from rmtui.core.errors import RmtuiError
from rmtui.core.status import Status
from rmtui.core.step import Step
from rmtui.tui import services
from rmtui.tui.actions import RELEASE_ACTIONS, bindings, check, selection
from rmtui.tui.bridge import EngineBridge
from rmtui.tui.commands import ReleaseCommands
from rmtui.tui.guidance import Activity, guidance
from rmtui.tui.jobs import BUG, as_error, retry, run_on
from rmtui.tui.messages import (
    EngineNotice,
    ReleaseOpened,
    StepFactRecorded,
    StepProgress,
    StepStatusChanged,
)
from rmtui.tui.prompter import Question, TuiPrompter
from rmtui.tui.screens.dialogs import ErrorDialog
from rmtui.tui.screens.moves import ManualMoves
from rmtui.tui.widgets.checklist import Checklist
from rmtui.tui.widgets.detail import StepDetail
from rmtui.tui.widgets.header import ReleaseHeader
from rmtui.tui.widgets.output import OutputPane

if TYPE_CHECKING:
    from rmtui.tui.app import RmtuiApp


class ReleaseScreen(ManualMoves):
    """One release, opened with its lock held for as long as the screen is up."""

    COMMANDS = {ReleaseCommands}
    BINDINGS = bindings(RELEASE_ACTIONS)

    # What the footer depends on: each change refreshes the keys it offers.
    opened = reactive(False, bindings=True)
    busy = reactive(False, bindings=True)
    selected_status: reactive[Status | None] = reactive(None, bindings=True)
    selected_waits_for_others = reactive(False, bindings=True)
    next_id = reactive("", bindings=True)
    awaited: reactive[tuple[str, ...]] = reactive((), bindings=True)

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace
        self.engine: Engine | None = None
        self.prompter: TuiPrompter | None = None
        self.bridge: EngineBridge | None = None
        self.what = ""  # what the busy worker does, for the status line
        self.running = ""  # the step the engine runs now
        self.acting_on = ""  # the step a run was started for (it may not be running yet)
        self.progress_label = ""
        self.quit_when_idle = False
        self._status_text = ""

    @property
    def rmtui(self) -> RmtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ReleaseHeader(id="header")
        with Horizontal(id="body"):
            checklist = Checklist(id="checklist")
            checklist.border_title = "steps"
            yield checklist
            with Vertical(id="right"):
                detail = StepDetail(id="detail")
                detail.border_title = "step"
                yield detail
                yield OutputPane(id="output")
        yield Static("", id="statusline")
        yield Footer(compact=True)

    @property
    def checklist(self) -> Checklist:
        return self.query_one(Checklist)

    @property
    def detail(self) -> StepDetail:
        return self.query_one(StepDetail)

    @property
    def output(self) -> OutputPane:
        return self.query_one(OutputPane)

    def on_mount(self) -> None:
        self.query_one(ReleaseHeader).show_opening(self.workspace.name or str(self.workspace))
        self.prompter = TuiPrompter(self)
        self.bridge = EngineBridge(self, self.output.feed)
        self.checklist.focus()
        self._start("opening the release")
        self._open_release()

    def on_unmount(self) -> None:
        self.close_engine()

    # -- the engine's lifecycle ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="engine", name="opening", exit_on_error=False)
    def _open_release(self) -> None:
        assert self.prompter is not None and self.bridge is not None
        engine = self.rmtui.engine_factory(
            self.workspace, self.prompter, [self.bridge], self.rmtui.clock
        )
        self.post_message(ReleaseOpened(engine, engine.open()))

    @on(ReleaseOpened)
    def _opened(self, message: ReleaseOpened) -> None:
        engine = self.engine = message.engine
        self.query_one(ReleaseHeader).show_release(engine.release, engine.release.security_only)
        nxt = engine.next_step()
        self.checklist.load(engine.plan, engine.state.steps, nxt.id if nxt else None)
        self.opened = True
        self.refresh_view()
        self.resume(message.interruptions)

    def close_engine(self) -> None:
        """Release the lock; refuse nothing (the UI is going away)."""
        if self.bridge is not None:
            self.bridge.close()
        if self.busy and self.engine is not None:
            self.engine.request_stop()
        if self.prompter is not None:
            self.prompter.withdraw()
        if self.engine is not None and not self.busy:
            self.engine.close()
            self.engine = None

    def _leave(self) -> None:
        self.close_engine()
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    # -- workers ---------------------------------------------------------------------------

    def _start(self, what: str, step_id: str = "") -> bool:
        """Mark the screen busy for a worker about to start (refused if one runs already)."""
        if self.busy:
            self.notify(
                f"Busy {self.what}; wait for it, or press x to stop it.", severity="warning"
            )
            return False
        self.what, self.acting_on, self.busy = what, step_id, True
        self.show_statusline()
        return True

    def run_engine(self, what: str, job: Callable[[Engine], object], step_id: str = "") -> bool:
        """Run `job` on the engine in the worker; False if another one runs."""
        if self.engine is None or not self._start(what, step_id):
            return False
        self._run_job(self.engine, job)
        return True

    @work(thread=True, exclusive=True, group="engine", name="engine", exit_on_error=False)
    def _run_job(self, engine: Engine, job: Callable[[Engine], object]) -> None:
        job(engine)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place a worker's end is handled, and its failure shown."""
        if event.worker.group != "engine" or not event.worker.is_finished:
            return
        what = self.what
        self.busy = self.importing = False
        self.what = self.acting_on = self.progress_label = ""
        self.output.stop_live()
        if event.state is WorkerState.ERROR:
            if self.engine is None:  # it could not be opened: its dialog leads back
                error = as_error(
                    event.worker.error,
                    f"opening {self.workspace} failed unexpectedly",
                    f"check it with `rmtui status {self.workspace}`; if that works, this is a "
                    "bug in the TUI",
                )
                dialog = ErrorDialog(error.problem, error.hint, title="Cannot open this release")
                self.app.push_screen(dialog, callback=lambda _: self._leave())
                return
            self.show_error(as_error(event.worker.error, f"unexpected error while {what}", BUG))
        if self.engine is not None and self.quit_when_idle:
            self.close_engine()
            self.app.exit()
            return
        self.refresh_view()

    # -- engine events (posted from the step's thread) ---------------------------------------

    @on(StepStatusChanged)
    def _status_changed(self, message: StepStatusChanged) -> None:
        event, engine = message.event, self.engine
        # Tracked here: the engine names its running step only after this event.
        if event.new is Status.RUNNING:
            self.running = event.step_id
            if engine is not None:
                self.output.start_live(event.step_id, engine.release.logs / f"{event.step_id}.log")
            self.checklist.select_step(event.step_id)
        elif event.step_id == self.running:
            self.running = ""
        self.refresh_view()

    @on(StepFactRecorded)
    def _fact_recorded(self) -> None:
        self._show_selected()

    @on(EngineNotice)
    def _notice(self, message: EngineNotice) -> None:
        event = message.event
        if event.level != "info":
            self.notify(event.text, severity="warning", markup=False)
        elif not self.importing:  # an import's own summary says what these notes would
            self.notify(event.text, markup=False)

    @on(StepProgress)
    def _progress(self, message: StepProgress) -> None:
        event = message.event
        label = f"{event.label} " if event.label else ""
        self.progress_label = f"{label}{event.done:g}/{event.total:g}"
        self.show_statusline()

    @on(Question)
    def _question(self, question: Question) -> None:
        question.show(self.app.push_screen)

    # -- showing the state -----------------------------------------------------------------

    def refresh_view(self) -> None:
        engine = self.engine
        if engine is None:
            return
        done, total = engine.progress()
        self.query_one(ReleaseHeader).show_progress(done, total)
        nxt = engine.next_step()
        self.next_id = nxt.id if nxt is not None else ""
        self.awaited = services.awaited_roles(engine)
        self.checklist.update_rows(engine.state.steps, self.next_id or None)
        self._show_selected()
        self.show_statusline()

    def selected_step(self) -> Step | None:
        step_id = self.checklist.highlighted_step_id
        return None if self.engine is None or step_id is None else self.engine.plan.get(step_id)

    def _show_selected(self) -> None:
        engine, step = self.engine, self.selected_step()
        if engine is None or step is None:
            self.selected_status = None
            return
        if not self.busy:
            # Each change rebuilds the footer; while busy no key depends on the selection
            # (moving the cursor during a flood must stay cheap), and the end of the work
            # sets it again.
            self.selected_status, self.selected_waits_for_others = selection(engine, step)
        self.detail.show_step(engine, step, is_next=step.id == self.next_id)
        if not self.output.live:
            self.output.show_log(step.id, engine.release.logs / f"{step.id}.log")

    def show_statusline(self) -> None:
        asking = None
        if self.prompter is not None and self.prompter.asking:
            asking = self.prompter.asking_about
        activity = Activity(
            busy=self.busy,
            what=self.what,
            running=self.running,
            acting_on=self.acting_on,
            asking=asking,
            quitting=self.quit_when_idle,
            stopping=self.engine is not None and self.engine.cancel_event.is_set(),
            progress=self.progress_label,
        )
        text = guidance(self.engine, activity, self.awaited)
        if text != self._status_text:
            self._status_text = text
            self.query_one("#statusline", Static).update(text, layout=False)  # always one line

    @on(events.ScreenSuspend)
    @on(events.ScreenResume)
    def _covered_or_uncovered(self) -> None:
        self.show_statusline()  # a step's question (or any dialog) covers the screen, or not

    def show_error(self, error: RmtuiError) -> None:
        self.app.push_screen(ErrorDialog(error.problem, error.hint))

    @on(OptionList.OptionHighlighted, "#checklist")
    def _highlighted(self) -> None:
        self._show_selected()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return check(RELEASE_ACTIONS, self, action)

    # -- running, stopping, leaving ----------------------------------------------------------

    def action_run_next(self) -> None:
        engine = self.engine
        nxt = engine.next_step() if engine is not None else None
        if engine is None or nxt is None:
            reason = (engine.blocked_reason() if engine else "") or "every step is done or skipped"
            self.notify(f"Nothing can run now: {reason}.", severity="warning")
            return
        self.checklist.select_step(nxt.id)
        self.run_engine(f"running {nxt.id}", lambda e: e.run_step(nxt.id), nxt.id)

    def action_run_on(self) -> None:
        if self.next_id:
            self.run_engine("running step after step", run_on)

    def action_run_selected(self) -> None:
        step = self.selected_step()
        if step is not None:
            self.run_engine(f"running {step.id}", lambda e: e.run_step(step.id), step.id)

    def action_retry(self) -> None:
        step = self.selected_step()
        if step is not None:
            self.run_engine(f"retrying {step.id}", lambda e: retry(e, step.id), step.id)

    def action_stop(self) -> None:
        if not self.busy or self.engine is None:
            return
        self.engine.request_stop()
        if self.prompter is not None:
            self.prompter.withdraw()
        self.notify(f"Stopping {self.running or self.what}…")

    def action_home(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.busy:
            self.notify(
                f"Busy {self.what}: wait for it, or press x to stop it, before leaving.",
                severity="warning",
            )
        else:
            self._leave()
