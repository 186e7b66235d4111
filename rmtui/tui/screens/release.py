"""The release screen: checklist, detail, live output; runs the engine in thread workers."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static

from rmtui.core.engine import Engine, Interruption, Settlement
from rmtui.core.errors import RmtuiError
from rmtui.core.events import EngineEvent, FactRecorded, Notice, ProgressUpdate, StatusChanged
from rmtui.core.status import Status
from rmtui.core.step import Step
from rmtui.tui import services
from rmtui.tui.bridge import EngineBridge, OutputPending
from rmtui.tui.commands import ReleaseCommands
from rmtui.tui.prompter import TuiPrompter
from rmtui.tui.screens.decisions import ResumeDialog
from rmtui.tui.screens.dialogs import ErrorDialog, QuitDialog, ReasonDialog
from rmtui.tui.screens.handoff import ImportDialog, ImportRequest, imported_summary
from rmtui.tui.widgets.checklist import Checklist
from rmtui.tui.widgets.detail import Fact, StepDetail, StepView
from rmtui.tui.widgets.header import ReleaseHeader
from rmtui.tui.widgets.output import OutputPane

if TYPE_CHECKING:
    from rmtui.tui.app import RmtuiApp

T = TypeVar("T")

# The step whose waits the import action ends (rmtui.steps.handoff.HANDOFF_STEP_ID; that
# module is loaded only once a plan is, to keep the first paint fast).
HANDOFF_STEP_ID = "handoff.experts"

# Output is drawn at most this often while a step floods it.
# Output is drawn at most this often while lines trickle in...
FLUSH_SECONDS = 1 / 20
# ...and this often while a step floods it (each redraw costs the step CPU time it needs).
FLOOD_FLUSH_SECONDS = 1 / 2
# A batch this big means a flood; of its lines, the pane shows the last FLOOD_TAIL (the
# whole output is in the step log, and the pane rereads its end when the step is over).
FLOOD_BATCH = 500
FLOOD_TAIL = 500

# What each manual move may act on (the engine's state machine has the final word).
RUNNABLE = (Status.PENDING, Status.FAILED)
SKIPPABLE = (Status.PENDING, Status.FAILED, Status.WAITING)


class ReleaseScreen(Screen[None]):
    """One release, opened with its lock held for as long as the screen is up."""

    COMMANDS = {ReleaseCommands}

    BINDINGS = [
        Binding("n", "run_next", "Next", id="run-next",
                tooltip="Run the next step that can run (marked ▸ in the checklist)"),
        Binding("r", "run_selected", "Run", id="run-selected",
                tooltip="Run the step selected in the checklist"),
        Binding("g", "run_on", "Run on", id="run-on", show=False,
                tooltip="Run step after step until one fails, waits or needs you"),
        Binding("t", "retry", "Retry", id="retry",
                tooltip="Run the selected failed step again"),
        Binding("s", "skip", "Skip", id="skip",
                tooltip="Skip the selected step; asks for a reason for the journal"),
        Binding("d", "mark_done", "Mark done", id="mark-done",
                tooltip="Mark the selected step done by hand; asks for a reason"),
        Binding("u", "unskip", "Unskip", id="unskip",
                tooltip="Take back the skip of the selected step"),
        Binding("i", "import_handoff", "Import", id="import-handoff",
                tooltip="Import an expert's folder of installers, checked against its "
                "SHA256SUMS"),
        Binding("x", "stop", "Stop", id="stop",
                tooltip="Stop the running step at its next command boundary"),
        Binding("j", "journal", "Journal", id="journal",
                tooltip="Show the hash-chained journal of everything that happened"),
        Binding("p", "plan", "Plan", id="plan",
                tooltip="Show every step of the plan with the commands it runs"),
        Binding("o", "toggle_output", "Output", id="output", show=False,
                tooltip="Give the whole screen to the output pane (again to restore)"),
        Binding("escape", "home", "Home", id="home", show=False,
                tooltip="Close this release and go back to the list of releases"),
    ]  # fmt: skip

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace
        self.engine: Engine | None = None
        self.prompter: TuiPrompter | None = None
        self.bridge: EngineBridge | None = None
        self.busy: str = ""
        self.running: str = ""
        self.quit_when_idle = False
        self._flush_scheduled = False
        self._flooding = False
        self._status_text = ""
        self._acting_on = ""  # the step a run was started for (it may not be running yet)
        self._progress_label = ""
        self._keys_signature: tuple[bool | None, ...] = ()
        self._importing = False

    @property
    def rmtui(self) -> RmtuiApp:
        return self.app  # type: ignore[return-value]

    # -- layout ----------------------------------------------------------------

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
        self.prompter = TuiPrompter(self.app)
        self.bridge = EngineBridge(self.app, self, self._on_engine_event)
        self.checklist.focus()
        self._set_status("Opening the release and probing any step left running…")
        self._in_worker("opening", self._open_engine, self._opened)

    def on_unmount(self) -> None:
        self.close_engine()

    # -- the engine's lifecycle -------------------------------------------------------

    def _open_engine(self) -> tuple[Engine, list[Interruption]] | RmtuiError:
        assert self.prompter is not None and self.bridge is not None
        try:
            engine = self.rmtui.engine_factory(
                self.workspace, self.prompter, [self.bridge], self.rmtui.clock
            )
            return engine, engine.open()
        except RmtuiError as exc:
            return exc
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            return RmtuiError(
                f"opening {self.workspace} failed unexpectedly: {detail}",
                f"check it with `rmtui status {self.workspace}`; if that works, this is a bug "
                "in the TUI",
            )

    def _opened(self, result: tuple[Engine, list[Interruption]] | RmtuiError) -> None:
        if isinstance(result, RmtuiError):
            self.app.push_screen(
                ErrorDialog(result.problem, result.hint, title="Cannot open this release"),
                callback=lambda _: self._leave(),
            )
            return
        engine, interruptions = result
        self.engine = engine
        self.query_one(ReleaseHeader).show_release(engine.release, engine.release.security_only)
        self.checklist.load(engine.plan, engine.state.steps, self._next_id())
        self.refresh_view()
        self._resume(interruptions)

    def _resume(self, interruptions: list[Interruption]) -> None:
        """Ask about each step left running, one dialog after the other."""
        if not interruptions or self.engine is None:
            return
        engine = self.engine
        first, rest = interruptions[0], interruptions[1:]
        step = engine.plan.get(first.step_id)
        self.checklist.select_step(step.id)

        def settle(settlement: Settlement | None) -> None:
            chosen = settlement or engine.default_settlement(first.probe)
            try:
                engine.settle(first, chosen)
            except RmtuiError as exc:
                self.show_error(exc)
            self.refresh_view()
            self._resume(rest)

        self.app.push_screen(
            ResumeDialog(
                first,
                step,
                engine.state.steps[step.id],
                engine.default_settlement(first.probe),
                str(engine.release.logs / f"{step.id}.log"),
            ),
            callback=settle,
        )

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

    # -- running work in a thread worker ------------------------------------------------

    def _in_worker(self, what: str, work: Callable[[], T], done: Callable[[T], None]) -> bool:
        if self.busy:
            self.notify(
                f"Busy {self.busy}; wait for it, or press x to stop it.", severity="warning"
            )
            return False
        self.busy = what
        self._refresh_keys()

        def call_ui(callback: Callable[..., Any], *args: Any) -> None:
            # If the app stopped, the engine's state and journal already hold the truth.
            with contextlib.suppress(RuntimeError):
                self.app.call_from_thread(callback, *args)

        def runner() -> None:
            try:
                result = work()
            except RmtuiError as exc:
                call_ui(self.show_error, exc)
            except Exception as exc:
                detail = "".join(traceback.format_exception_only(exc)).strip()
                call_ui(
                    self.show_error,
                    RmtuiError(
                        f"unexpected error while {what}: {detail}",
                        "this is a bug in rmtui; the state and journal are intact, so open "
                        "the release again and go on (see `rmtui status`)",
                    ),
                )
            else:
                call_ui(done, result)
            finally:
                call_ui(self._idle)

        self.run_worker(runner, name=what, group="engine", thread=True, exit_on_error=False)
        return True

    def _idle(self) -> None:
        self.busy = ""
        self._acting_on = ""
        self._importing = False
        self._flush_output()
        self.output.stop_live()
        self.output.forget()  # reread from the log: it also holds the engine's own lines
        self._progress_label = ""
        if self.engine is None:
            return  # opening failed; its error dialog leads back
        if self.quit_when_idle:
            self.close_engine()
            self.app.exit()
            return
        self.refresh_view()

    def _leave(self) -> None:
        self.close_engine()
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    def run_engine(self, what: str, work: Callable[[Engine], object], step_id: str = "") -> None:
        engine = self.engine
        if engine is None:
            return
        if self._in_worker(what, lambda: work(engine), lambda _result: None):
            self._acting_on = step_id

    # -- engine events (UI thread) -------------------------------------------------------

    def _on_engine_event(self, event: EngineEvent) -> None:
        self._flush_output()
        if isinstance(event, StatusChanged):
            # Tracked here: the engine names its running step only after this event.
            if event.new is Status.RUNNING:
                self.running = event.step_id
            elif event.step_id == self.running:
                self.running = ""
            if event.new is Status.RUNNING and self.engine is not None:
                self.output.start_live(
                    event.step_id, self.engine.release.logs / f"{event.step_id}.log"
                )
                self.checklist.select_step(event.step_id)
            self.refresh_view()
        elif isinstance(event, FactRecorded):
            self._show_selected()
        elif isinstance(event, Notice):
            if event.level == "info":
                # An import's own summary says what the engine's notes would.
                if not self._importing:
                    self.notify(event.text, markup=False)
            else:
                self.notify(event.text, severity="warning", markup=False)
        elif isinstance(event, ProgressUpdate):
            label = f"{event.label} " if event.label else ""
            self._progress_label = f"{label}{event.done:g}/{event.total:g}"
            self._show_statusline()

    @on(OutputPending)
    def _output_pending(self, message: OutputPending) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            delay = FLOOD_FLUSH_SECONDS if self._flooding else FLUSH_SECONDS
            self.set_timer(delay, self._flush_output)

    def _flush_output(self) -> None:
        self._flush_scheduled = False
        if self.bridge is None:
            return
        batch = self.bridge.take_output()
        self._flooding = len(batch) >= FLOOD_BATCH
        if batch:
            shown = batch[-FLOOD_TAIL:] if self._flooding else batch
            self.output.append(shown, skipped=len(batch) - len(shown))

    # -- showing the state -------------------------------------------------------------

    def _next_id(self) -> str | None:
        if self.engine is None:
            return None
        nxt = self.engine.next_step()
        return nxt.id if nxt is not None else None

    def refresh_view(self) -> None:
        engine = self.engine
        if engine is None:
            return
        done, total = engine.progress()
        self.query_one(ReleaseHeader).show_progress(done, total)
        self.checklist.update_rows(engine.state.steps, self._next_id())
        self._show_selected()
        self._show_statusline()
        self._refresh_keys()

    def selected_step(self) -> Step | None:
        if self.engine is None:
            return None
        step_id = self.checklist.highlighted_step_id
        return None if step_id is None else self.engine.plan.get(step_id)

    def current_step(self) -> Step | None:
        """The step the release is at: the running one, else the next one, else a failed one."""
        engine = self.engine
        if engine is None:
            return None
        for step in engine.plan:
            if engine.state.steps[step.id].status is Status.RUNNING:
                return step
        nxt = engine.next_step()
        if nxt is not None:
            return nxt
        for step in engine.plan:
            if engine.state.steps[step.id].status in (Status.FAILED, Status.WAITING):
                return step
        return None

    def _show_selected(self) -> None:
        engine = self.engine
        step = self.selected_step()
        if engine is None or step is None:
            return
        plan_error = ""
        try:
            actions = tuple(step.plan(engine.release))
        except RmtuiError as exc:
            actions, plan_error = (), exc.problem
        facts = tuple(
            Fact(key, entry.get("value"), str(entry.get("step", "")))
            for key, entry in engine.state.facts.items()
        )
        self.detail.show(
            StepView(
                step=step,
                record=engine.state.steps[step.id],
                actions=actions,
                facts=facts,
                workspace=engine.release.workspace,
                is_next=step.id == self._next_id(),
                plan_error=plan_error,
                importable=step.id == HANDOFF_STEP_ID,
            )
        )
        if not self.output.live:
            self.output.show_log(step.id, engine.release.logs / f"{step.id}.log")

    def _show_statusline(self) -> None:
        self._set_status(self.guidance())

    def guidance(self) -> str:
        """One sentence saying what is happening and what the RM can do next."""
        engine = self.engine
        if engine is None:
            return "Opening the release…"
        if self.busy and self.quit_when_idle:
            what = self.running or self._acting_on or "the run"
            done = "stopped" if engine.cancel_event.is_set() else "finished"
            return f"Quitting once {what} has {done}…"
        if self.busy:
            extra = f" · {self._progress_label}" if self._progress_label else ""
            if self.prompter is not None and self.prompter.asking:
                who = self.prompter.asking_about or self.running or "A step"
                return f"[b]{who}[/b] is waiting for your answer in the dialog{extra}."
            if self.running:
                return (
                    f"Running [b]{self.running}[/b]{extra} · [b]x[/b] stops it · "
                    "[b]q[/b] asks before quitting"
                )
            return f"Busy {self.busy}…"
        if engine.is_complete():
            return "[b green]The release is complete.[/] [b]j[/b] shows the journal."
        left = [s.id for s in engine.plan if engine.state.steps[s.id].status is Status.RUNNING]
        if left:
            return (
                f"[b]{left[0]}[/b] was left running when rmtui stopped · say in the dialog "
                "what to do with it"
            )
        failed = [s.id for s in engine.plan if engine.state.steps[s.id].status is Status.FAILED]
        if failed:
            return (
                f"[b red]{failed[0]} failed[/] · read the hint, then [b]t[/b] retry, [b]s[/b] skip "
                "or [b]d[/b] mark done by hand"
            )
        nxt = engine.next_step()
        awaited = services.awaited_roles(engine)
        if nxt is not None:
            mark = " (a point of no return: it asks first)" if nxt.irreversible else ""
            also = " · [b]i[/b] imports the experts' artifacts" if awaited else ""
            return f"Next: [b]{nxt.id}[/b]{mark} · press [b]n[/b] to run it{also}"
        if awaited:
            # Whatever else is blocked, it is blocked on them: say what ends the wait.
            return (
                f"[b]{HANDOFF_STEP_ID}[/b] waits on {', '.join(awaited)} · press [b]i[/b] to "
                "import their artifacts"
            )
        blocked = engine.blocked_reason()
        return f"Blocked: {escape(blocked)}" if blocked else ""

    def on_screen_suspend(self) -> None:
        # A step's question (or any dialog) now covers the screen: say so underneath.
        self._show_statusline()

    def on_screen_resume(self) -> None:
        self._show_statusline()

    def _set_status(self, text: str) -> None:
        if text != self._status_text:
            self._status_text = text
            # One line, always: no layout needed.
            self.query_one("#statusline", Static).update(text, layout=False)

    def show_error(self, error: RmtuiError) -> None:
        self.app.push_screen(ErrorDialog(error.problem, error.hint))

    @on(OptionList.OptionHighlighted, "#checklist")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_selected()
        self._refresh_keys()

    # -- which keys apply now ------------------------------------------------------------

    def _refresh_keys(self) -> None:
        """Redraw the footer only when what the keys can do has changed (it is costly)."""
        signature = tuple(
            self.check_action(binding.action, ())
            for binding in self.BINDINGS
            if isinstance(binding, Binding)
        )
        if signature != self._keys_signature:
            self._keys_signature = signature
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        engine = self.engine
        if action in ("journal", "plan", "toggle_output", "home"):
            return True
        if engine is None:
            return False
        if action == "stop":
            return bool(self.busy)
        if self.busy:
            return False
        step = self.selected_step()
        status = engine.state.steps[step.id].status if step is not None else None
        if action in ("run_next", "run_on"):
            return True if engine.next_step() is not None else None
        if action == "run_selected":
            return status in RUNNABLE
        if action == "retry":
            return status is Status.FAILED
        if action in ("skip", "mark_done"):
            return status in SKIPPABLE
        if action == "unskip":
            return status is Status.SKIPPED
        if action == "import_handoff":
            return bool(services.awaited_roles(engine))
        return True

    # -- actions -----------------------------------------------------------------------

    def action_run_next(self) -> None:
        engine = self.engine
        if engine is None:
            return
        nxt = engine.next_step()
        if nxt is None:
            reason = engine.blocked_reason() or "every step is done or skipped"
            self.notify(f"Nothing can run now: {reason}.", severity="warning")
            return
        self.checklist.select_step(nxt.id)
        self.run_engine(f"running {nxt.id}", lambda e: e.run_step(nxt.id), nxt.id)

    def action_run_on(self) -> None:
        if self.engine is not None and self.engine.next_step() is not None:
            self.run_engine("running step after step", lambda e: e.run_until())

    def action_run_selected(self) -> None:
        step = self.selected_step()
        if step is not None:
            self.run_engine(f"running {step.id}", lambda e: e.run_step(step.id), step.id)

    def action_retry(self) -> None:
        step = self.selected_step()
        if step is None:
            return

        def again(engine: Engine) -> object:
            engine.retry(step.id)
            return engine.run_step(step.id)

        self.run_engine(f"retrying {step.id}", again, step.id)

    def _ask_reason(self, title: str, question: str, then: Callable[[Engine, str], object]) -> None:
        engine = self.engine
        if engine is None:
            return

        def answered(reason: str | None) -> None:
            if reason is None:
                return
            try:
                then(engine, reason)
            except RmtuiError as exc:
                self.show_error(exc)
            self.refresh_view()

        self.app.push_screen(ReasonDialog(title, question), callback=answered)

    def action_skip(self) -> None:
        step = self.selected_step()
        if step is not None:
            self._ask_reason(
                f"Skip {step.id}",
                f"Why skip “{step.title}”?",
                lambda engine, reason: engine.skip(step.id, reason),
            )

    def action_mark_done(self) -> None:
        step = self.selected_step()
        if step is not None:
            self._ask_reason(
                f"Mark {step.id} done by hand",
                f"What did you do by hand for “{step.title}”?",
                lambda engine, reason: engine.mark_done(step.id, reason),
            )

    def action_unskip(self) -> None:
        step, engine = self.selected_step(), self.engine
        if step is None or engine is None:
            return
        try:
            engine.unskip(step.id)
        except RmtuiError as exc:
            self.show_error(exc)
        self.refresh_view()

    def action_import_handoff(self) -> None:
        self.ask_import()

    def ask_import(self, previous: ImportRequest | None = None) -> None:
        """Ask which expert delivered which folder (or, in a rehearsal, offer the stand-ins)."""
        engine = self.engine
        if engine is None or self.busy:
            return
        roles = services.awaited_roles(engine)
        if not roles:
            self.notify("Nothing to import: the hand-off waits on nobody.", severity="warning")
            return
        self.checklist.select_step(HANDOFF_STEP_ID)
        release = engine.release
        stand_ins = list(self.rmtui.stand_in_finder(release.workspace)) if release.rehearsal else []
        self.app.push_screen(
            ImportDialog(roles, stand_ins=stand_ins, previous=previous), callback=self._import
        )

    def _import(self, request: ImportRequest | None) -> None:
        engine = self.engine
        if request is None or engine is None:
            return

        def work() -> services.Imported | RmtuiError:
            # Returned, not raised: a refused import reopens the dialog with what was typed.
            try:
                if request.stand_ins:
                    return services.import_stand_ins(engine, lambda _line: None)
                assert request.folder is not None
                return services.import_handoff(engine, request.role, request.folder)
            except RmtuiError as exc:
                return exc

        def done(result: services.Imported | RmtuiError) -> None:
            if isinstance(result, RmtuiError):
                self.app.push_screen(
                    ErrorDialog(result.problem, result.hint, title="Nothing was imported"),
                    callback=lambda _: self.ask_import(request),
                )
                return
            self.notify(imported_summary(result), title="Imported", timeout=12, markup=False)

        self._importing = self._in_worker(request.what, work, done)

    def action_stop(self) -> None:
        if not self.busy or self.engine is None:
            return
        self.engine.request_stop()
        if self.prompter is not None:
            self.prompter.withdraw()
        self.notify(f"Stopping {self.running or self.busy}…")

    def action_journal(self) -> None:
        from rmtui.tui.screens.journal import JournalScreen

        if self.engine is not None:
            self.app.push_screen(JournalScreen(self.engine))

    def action_plan(self) -> None:
        from rmtui.tui.screens.plan import PlanScreen

        if self.engine is not None:
            self.app.push_screen(PlanScreen(self.engine))

    def action_toggle_output(self) -> None:
        if self.maximized is self.output:
            self.minimize()
        else:
            self.maximize(self.output)

    def action_home(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        if self.busy:
            self.notify(
                f"Busy {self.busy}: wait for it, or press x to stop it, before leaving.",
                severity="warning",
            )
            return
        self._leave()

    def request_quit(self) -> None:
        """Quit now, or, while a step runs, ask whether to stop it or let it finish."""
        if not self.busy:
            self.close_engine()
            self.app.exit()
            return
        running = self.running or self._acting_on or "the run"

        def decided(answer: str | None) -> None:
            if answer is None:
                return
            if not self.busy:
                # It ended while the question was on screen.
                self.request_quit()
                return
            self.quit_when_idle = True
            if answer == "stop":
                self.action_stop()
            else:
                self.notify(f"rmtui will quit when {running} finishes.")
            self._show_statusline()

        self.app.push_screen(QuitDialog(running), callback=decided)
