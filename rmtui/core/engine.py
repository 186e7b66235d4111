"""The engine: runs steps through the state machine, journals every move, resumes by probe."""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator

from rmtui.core.context import LOG_FLUSH_SECONDS, FactView, ReadOnlyContext, RunContext
from rmtui.core.errors import JournalError, RmtuiError
from rmtui.core.events import Listener, Notice
from rmtui.core.ledger import Ledger
from rmtui.core.redact import redact
from rmtui.core.release import Release, now_utc
from rmtui.core.resume import Interruption, Settlement, default_settlement
from rmtui.core.standing import requirements_met
from rmtui.core.status import RUNNABLE, SETTLED, Event, Status
from rmtui.core.step import (
    Plan,
    PointOfNoReturn,
    Probe,
    ProbeOutcome,
    Prompter,
    Step,
    StepContext,
    Waiting,
)

# Settlement and Interruption live in rmtui.core.resume; they are re-exported for the views.
__all__ = ["LOG_FLUSH_SECONDS", "Engine", "FactView", "Interruption", "Settlement"]

# The step contexts live in rmtui.core.context; `_Context` keeps its old name for tests.
_Context = RunContext


class Engine(Ledger):
    """Drives one release: the same engine under the TUI, `rmtui run`, and the tests."""

    def __init__(
        self,
        release: Release,
        plan: Plan,
        prompter: Prompter,
        *,
        listeners: Iterable[Listener] = (),
        clock: Callable[[], str] = now_utc,
    ) -> None:
        super().__init__(release, plan, listeners=listeners, clock=clock)
        self.prompter = prompter
        self.cancel_event = threading.Event()

    # -- opening and resuming ----------------------------------------------------

    def open(self) -> list[Interruption]:
        """Take the lock, load and check the state, and probe every step left running."""
        self.lock.acquire()
        try:
            state = self.store.load()
            problems = self.journal.verify((state.journal_seq, state.journal_sha))
            if problems:
                raise JournalError(
                    "the journal does not verify: " + "; ".join(problems),
                    f"inspect it with `rmtui journal {self.release.workspace} --verify`; "
                    "rmtui will not drive a release whose history was altered",
                )
            self._adopt(state)
            # Saved at once, so the state vouches for every journal line, this one included.
            self._journal("release.opened")
            self._save()
            interrupted = [sid for sid, rec in state.steps.items() if rec.status is Status.RUNNING]
            return [Interruption(sid, self._safe_probe(self.plan.get(sid))) for sid in interrupted]
        except BaseException:
            self._state = None
            self.lock.release()
            raise

    @contextlib.contextmanager
    def opened(self, *, auto_settle: bool = True) -> Iterator[list[Interruption]]:
        interruptions = self.open()
        try:
            if auto_settle:
                self.auto_settle(interruptions)
            yield interruptions
        finally:
            self.close()

    def _safe_probe(self, step: Step) -> Probe:
        try:
            return step.probe(ReadOnlyContext(self.release, self.state, self.cancel_event))
        except RmtuiError as exc:
            return Probe.unknown(str(exc))
        except Exception as exc:
            return Probe.unknown(f"the probe itself failed: {type(exc).__name__}: {exc}")

    def _record_probe_facts(self, step_id: str, probe: Probe) -> None:
        for key, value in probe.facts.items():
            if self.state.fact(key) != value:
                self.record_fact(step_id, key, value)

    def settle(self, interruption: Interruption, settlement: Settlement) -> Status:
        """Apply the RM's decision about a step that was left running."""
        step = self.plan.get(interruption.step_id)
        found = f"probe: {interruption.probe.outcome.value}: {interruption.probe.why}"
        if settlement is Settlement.ACCEPT_DONE:
            self._record_probe_facts(step.id, interruption.probe)
            return self._transition(step.id, Event.SETTLE_DONE, reason=f"resumed; {found}")
        if settlement is Settlement.RUN_AGAIN:
            return self._transition(step.id, Event.SETTLE_NOT_DONE, reason=f"resumed; {found}")
        return self._transition(
            step.id,
            Event.FAIL,
            error=f"interrupted: check {step.check_after_interruption} ({found})",
            hint="look, then retry the step or mark it done by hand with a reason",
        )

    default_settlement = staticmethod(default_settlement)

    def auto_settle(self, interruptions: Iterable[Interruption]) -> None:
        for interruption in interruptions:
            self.settle(interruption, default_settlement(interruption.probe))

    # -- running ---------------------------------------------------------------

    def run_step(self, step_id: str) -> Status:
        """Run one step now, whatever its position, if its status and requirements allow."""
        step = self.plan.get(step_id)
        record = self.state.steps[step_id]
        if record.status not in RUNNABLE:
            raise RmtuiError(
                f"{step_id} is {record.status.value}; only "
                f"{' or '.join(s.value for s in Status if s in RUNNABLE)} steps run",
                _hint_for(record.status),
            )
        if not requirements_met(step, self.state.steps):
            unmet = [r for r in step.requires if self.state.steps[r].status not in SETTLED]
            raise RmtuiError(
                f"{step_id} needs {', '.join(unmet)} to be done first",
                "run those steps, or skip them with a reason",
            )
        self.cancel_event.clear()
        found = self._safe_probe(step)
        if found.outcome is ProbeOutcome.DONE:
            self._transition(step_id, Event.START, reason="probing before acting")
            self._record_probe_facts(step_id, found)
            return self._transition(step_id, Event.SUCCEED, reason=f"already in place: {found.why}")
        if found.outcome is ProbeOutcome.INCONSISTENT:
            self._transition(step_id, Event.START, reason="probing before acting")
            return self._transition(
                step_id,
                Event.FAIL,
                error=found.why,
                hint="the world does not match what this release recorded; see the step's "
                "help for how to recover",
            )
        if step.irreversible and not self._confirm_point_of_no_return(step):
            with self._mutex:
                self._journal("declined", step=step_id)
                self._save()
            self.emit(Notice(f"{step_id} not run: the point of no return was not confirmed"))
            return record.status
        return self._execute(step)

    def _confirm_point_of_no_return(self, step: Step) -> bool:
        point = PointOfNoReturn(
            step_id=step.id,
            title=step.title,
            version=str(self.release.version),
            rehearsal=self.release.rehearsal,
            actions=tuple(step.plan(self.release)),
            consequences=step.consequences,
        )
        confirmed = self.prompter.confirm_point_of_no_return(point)
        with self._mutex:
            self._journal("point-of-no-return", step=step.id, confirmed=confirmed)
            self._save()
        return confirmed

    def _execute(self, step: Step) -> Status:
        self.release.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.release.logs / f"{step.id}.log"
        self._transition(step.id, Event.START)
        with log_path.open("a", encoding="utf-8") as log:
            attempt = self.state.steps[step.id].attempts
            log.write(f"=== {step.id}: attempt {attempt} at {self.clock()} ===\n")
            ctx: StepContext = _Context(self, step, log)
            try:
                outcome = step.run(ctx)
            except RmtuiError as exc:
                log.write(f"FAILED: {exc}\n")
                return self._transition(step.id, Event.FAIL, error=exc.problem, hint=exc.hint)
            except Exception as exc:
                log.write(redact(traceback.format_exc()))
                return self._transition(
                    step.id,
                    Event.FAIL,
                    error=f"unexpected error: {type(exc).__name__}: {exc}",
                    hint=f"see {log_path} for the traceback; retry once the cause is fixed",
                )
            if isinstance(outcome, Waiting):
                log.write(f"WAITING on {', '.join(outcome.roles)}\n")
                return self._transition(
                    step.id, Event.WAIT, reason=outcome.instructions, waiting_on=outcome.roles
                )
            log.write("DONE\n")
            return self._transition(step.id, Event.SUCCEED)

    def run_next(self) -> Status | None:
        step = self.next_step()
        return None if step is None else self.run_step(step.id)

    def run_until(self, stop_after: str | None = None) -> Status | None:
        """Run on, in plan order, until nothing can run, a step fails or is declined, or
        `stop_after` is done or skipped.

        A step that waits on someone does not stop the run: every step after it that does not
        need it runs meanwhile (the source tarballs are built while the experts build the
        installers). Returns what ended the run: a failed or declined step's status, WAITING
        when what is left waits on someone, else the status of the last step run (None when
        nothing ran).
        """
        if stop_after is not None:
            self.plan.get(stop_after)
        last: Status | None = None
        while True:
            if stop_after is not None and self.state.steps[stop_after].status in SETTLED:
                return last
            step = self.next_step()
            if step is None:
                return Status.WAITING if self.standing().waiting else last
            last = self.run_step(step.id)
            if last not in SETTLED and last is not Status.WAITING:
                return last

    def request_stop(self) -> None:
        """Ask the running step to stop at its next command boundary."""
        self.cancel_event.set()


def _hint_for(status: Status) -> str:
    if status is Status.DONE:
        return "it is already done; nothing to repeat"
    if status is Status.SKIPPED:
        return "take the skip back first (unskip), then run it"
    if status is Status.WAITING:
        return "it waits on another person: import their artifacts (`rmtui handoff import`)"
    return "wait for it to finish, or quit and resume"
