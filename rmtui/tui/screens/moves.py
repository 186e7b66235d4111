"""The release screen's moves that ask first (skip, mark done, import, quit) and its views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.screen import Screen

from rmtui.core.engine import Engine, Interruption, Settlement
from rmtui.core.errors import RmtuiError
from rmtui.tui import services
from rmtui.tui.guidance import HANDOFF_STEP_ID
from rmtui.tui.messages import ImportFinished, ImportRefused
from rmtui.tui.screens.decisions import ResumeDialog
from rmtui.tui.screens.dialogs import ErrorDialog, QuitDialog, ReasonDialog
from rmtui.tui.screens.handoff import ImportDialog, ImportRequest, imported_summary

if TYPE_CHECKING:
    from rmtui.tui.screens.release import ReleaseScreen


class ManualMoves(Screen[None]):
    """The release screen's moves that ask the RM first (a reason, a folder) and then act."""

    importing = False  # an import worker runs: its summary replaces the engine's notes

    @property
    def _release(self) -> ReleaseScreen:
        return self  # type: ignore[return-value]

    def resume(self, interruptions: list[Interruption]) -> None:
        """Ask about each step left running, one dialog after the other."""
        if not interruptions or self._release.engine is None:
            return
        engine, first, rest = self._release.engine, interruptions[0], interruptions[1:]
        step = engine.plan.get(first.step_id)
        self._release.checklist.select_step(step.id)

        def settle(settlement: Settlement | None) -> None:
            chosen = settlement or engine.default_settlement(first.probe)
            self.attempt(lambda: engine.settle(first, chosen))
            self.resume(rest)

        log_path = str(engine.release.logs / f"{step.id}.log")
        suggested = engine.default_settlement(first.probe)
        dialog = ResumeDialog(first, step, engine.state.steps[step.id], suggested, log_path)
        self.app.push_screen(dialog, callback=settle)

    def attempt(self, move: Callable[[], object]) -> None:
        """Make a quick move on the UI thread; a refusal is shown with its way out."""
        try:
            move()
        except RmtuiError as exc:
            self._release.show_error(exc)
        self._release.refresh_view()

    def _ask_reason(self, title: str, question: str, then: Callable[[Engine, str], object]) -> None:
        engine = self._release.engine
        if engine is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.attempt(lambda: then(engine, reason))

        self.app.push_screen(ReasonDialog(title, question), callback=answered)

    def action_skip(self) -> None:
        step = self._release.selected_step()
        if step is not None:
            self._ask_reason(
                f"Skip {step.id}",
                f"Why skip “{step.title}”?",
                lambda engine, reason: engine.skip(step.id, reason),
            )

    def action_mark_done(self) -> None:
        step = self._release.selected_step()
        if step is not None:
            self._ask_reason(
                f"Mark {step.id} done by hand",
                f"What did you do by hand for “{step.title}”?",
                lambda engine, reason: engine.mark_done(step.id, reason),
            )

    def action_unskip(self) -> None:
        step, engine = self._release.selected_step(), self._release.engine
        if step is not None and engine is not None:
            self.attempt(lambda: engine.unskip(step.id))

    def action_import_handoff(self) -> None:
        self.ask_import()

    def ask_import(self, previous: ImportRequest | None = None) -> None:
        """Ask which expert delivered which folder (or, in a rehearsal, offer the stand-ins)."""
        screen = self._release
        engine = screen.engine
        if engine is None or screen.busy:
            return
        roles = services.awaited_roles(engine)
        if not roles:
            self.notify("Nothing to import: the hand-off waits on nobody.", severity="warning")
            return
        screen.checklist.select_step(HANDOFF_STEP_ID)
        release = engine.release
        stand_ins = (
            list(screen.rmtui.stand_in_finder(release.workspace)) if release.rehearsal else []
        )
        dialog = ImportDialog(roles, stand_ins=stand_ins, previous=previous)
        self.app.push_screen(dialog, callback=self._import)

    def _import(self, request: ImportRequest | None) -> None:
        if request is None:
            return

        def job(engine: Engine) -> None:
            # Posted, not raised: a refused import reopens the dialog with what was typed.
            try:
                if request.stand_ins:
                    imported = services.import_stand_ins(engine, lambda _line: None)
                else:
                    assert request.folder is not None
                    imported = services.import_handoff(engine, request.role, request.folder)
            except RmtuiError as exc:
                self.post_message(ImportRefused(exc, request))
                return
            self.post_message(ImportFinished(imported))

        self.importing = self._release.run_engine(request.what, job)

    @on(ImportFinished)
    def _imported(self, message: ImportFinished) -> None:
        self.notify(imported_summary(message.imported), title="Imported", timeout=12, markup=False)

    @on(ImportRefused)
    def _refused(self, message: ImportRefused) -> None:
        error = message.error
        self.app.push_screen(
            ErrorDialog(error.problem, error.hint, title="Nothing was imported"),
            callback=lambda _: self.ask_import(message.request),
        )

    def action_journal(self) -> None:
        from rmtui.tui.screens.journal import JournalScreen

        if self._release.engine is not None:
            self.app.push_screen(JournalScreen(self._release.engine))

    def action_plan(self) -> None:
        from rmtui.tui.screens.plan import PlanScreen

        if self._release.engine is not None:
            self.app.push_screen(PlanScreen(self._release.engine))

    def request_quit(self) -> None:
        """Quit now, or, while a step runs, ask whether to stop it or let it finish."""
        if not self._release.busy:
            self._release.close_engine()
            self.app.exit()
            return
        running = self._release.running or self._release.acting_on or "the run"

        def decided(answer: str | None) -> None:
            if answer is None:
                return
            if not self._release.busy:  # it ended while the question was on screen
                self.request_quit()
                return
            self._release.quit_when_idle = True
            if answer == "stop":
                self._release.action_stop()
            else:
                self.notify(f"rmtui will quit when {running} finishes.")
            self._release.show_statusline()

        self.app.push_screen(QuitDialog(running), callback=decided)

    def action_output_left(self) -> None:
        self._release.output.scroll_left(animate=False)

    def action_output_right(self) -> None:
        self._release.output.scroll_right(animate=False)

    def action_toggle_output(self) -> None:
        if self.maximized is self._release.output:
            self.minimize()
        else:
            self.maximize(self._release.output)
