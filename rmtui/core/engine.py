"""The engine: runs steps through the state machine, journals every move, resumes by probe."""

from __future__ import annotations

import contextlib
import enum
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rmtui.core.context import FactView as FactView
from rmtui.core.context import ReadOnlyContext, RunContext
from rmtui.core.errors import JournalError, RmtuiError, StateError
from rmtui.core.events import (
    EngineEvent,
    FactRecorded,
    Listener,
    Notice,
    StatusChanged,
)
from rmtui.core.redact import redact
from rmtui.core.release import Release, now_utc
from rmtui.core.status import SETTLED, Event, Status, next_status
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
from rmtui.core.store import Journal, ReleaseLock, ReleaseState, StateStore, StepRecord

# The step contexts live in rmtui.core.context; `_Context` keeps its old name for tests.
_Context = RunContext


class Settlement(enum.StrEnum):
    """What the RM may decide for a step that was left running."""

    ACCEPT_DONE = "accept-done"
    RUN_AGAIN = "run-again"
    MARK_FAILED = "mark-failed"


@dataclass(frozen=True)
class Interruption:
    """A step found running when the release was opened, and what its probe says."""

    step_id: str
    probe: Probe


class Engine:
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
        self.release = release
        self.plan = plan
        self.prompter = prompter
        self.listeners: list[Listener] = list(listeners)
        self.clock = clock
        self.store = StateStore(release.state_path)
        self.journal = Journal(release.journal_path)
        self.lock = ReleaseLock(release.lock_path, str(release.version))
        self.cancel_event = threading.Event()
        self._mutex = threading.RLock()
        self._state: ReleaseState | None = None
        self.running_step: str | None = None

    # -- opening and closing -------------------------------------------------

    @property
    def state(self) -> ReleaseState:
        if self._state is None:
            raise RmtuiError("the release is not open", "call Engine.open() first")
        return self._state

    def initialise(self) -> None:
        """Create state.json and the journal for a new release (refuses to overwrite)."""
        if self.store.exists():
            raise StateError(
                f"{self.release.workspace} already holds a release",
                f"continue it with `rmtui run {self.release.workspace}`, or choose another "
                "directory",
            )
        self.release.workspace.mkdir(parents=True, exist_ok=True)
        with self.lock.held_for():
            state = ReleaseState(version=str(self.release.version))
            for step in self.plan:
                state.steps[step.id] = StepRecord()
            self._state = state
            self._journal(
                "release.created",
                version=str(self.release.version),
                type=self.release.release_type.value,
                profile=self.release.profile.name,
                rehearsal=self.release.rehearsal,
                security_only=self.release.security_only,
                plan=self.plan.ids,
            )
            self._save()
            self._state = None

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
            for step in self.plan:
                state.steps.setdefault(step.id, StepRecord())
            self._state = state
            # Saved at once, so the state vouches for every journal line, this one included.
            self._journal("release.opened")
            self._save()
            interrupted = [sid for sid, rec in state.steps.items() if rec.status is Status.RUNNING]
            return [Interruption(sid, self._safe_probe(self.plan.get(sid))) for sid in interrupted]
        except BaseException:
            self._state = None
            self.lock.release()
            raise

    def peek(self) -> None:
        """Load the state for reading only: no lock, nothing written (status views use it)."""
        self._state = self.store.load()
        for step in self.plan:
            self._state.steps.setdefault(step.id, StepRecord())

    def close(self) -> None:
        with self._mutex:
            if self._state is not None:
                self._state = None
        self.lock.release()

    @contextlib.contextmanager
    def opened(self, *, auto_settle: bool = True) -> Iterator[list[Interruption]]:
        interruptions = self.open()
        try:
            if auto_settle:
                self.auto_settle(interruptions)
            yield interruptions
        finally:
            self.close()

    # -- events, journal, state ------------------------------------------------

    def emit(self, event: EngineEvent) -> None:
        for listener in list(self.listeners):
            listener(event)

    def _journal(self, kind: str, **fields: Any) -> None:
        if not self.lock.held:
            raise RmtuiError(
                "this view of the release is read-only (the release lock is not held)",
                "open the release with Engine.open() to change it",
            )
        entry = self.journal.append(kind, self.clock(), **fields)
        self.state.journal_seq = entry.seq
        self.state.journal_sha = entry.sha

    def _save(self) -> None:
        self.state.updated = self.clock()
        self.store.save(self.state)

    def record(self, step_id: str) -> StepRecord:
        self.plan.get(step_id)
        return self.state.steps[step_id]

    def record_fact(self, step_id: str, key: str, value: Any) -> None:
        with self._mutex:
            self._journal("fact", step=step_id, key=key, value=value)
            self.state.facts[key] = {"value": value, "step": step_id, "at": self.clock()}
            self._save()
        self.emit(FactRecorded(step_id, key, value))

    def _transition(
        self,
        step_id: str,
        event: Event,
        *,
        reason: str = "",
        error: str = "",
        hint: str = "",
        waiting_on: Iterable[str] = (),
    ) -> Status:
        with self._mutex:
            record = self.state.steps[step_id]
            old = record.status
            new = next_status(old, event)
            # Write-ahead: the journal learns of the move before state.json does.
            self._journal(
                "transition",
                step=step_id,
                event=event.value,
                old=old.value,
                new=new.value,
                reason=reason,
                error=error,
                hint=hint,
            )
            now = self.clock()
            record.status = new
            if event is Event.START:
                record.started = now
                record.finished = None
                record.attempts += 1
                record.error = record.hint = record.reason = ""
            if new in (Status.DONE, Status.FAILED, Status.SKIPPED, Status.WAITING):
                record.finished = now
            if new is Status.PENDING:
                record.finished = None
            if reason or new in (Status.PENDING, Status.DONE):
                record.reason = reason
            record.error, record.hint = error, hint
            record.waiting_on = list(waiting_on) if new is Status.WAITING else []
            self._save()
        self.emit(StatusChanged(step_id, old, new, reason, error, hint))
        return new

    # -- resume ----------------------------------------------------------------

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

    @staticmethod
    def default_settlement(probe: Probe) -> Settlement:
        """What the headless runner decides: trust a clear probe, else stop for the RM."""
        if probe.outcome is ProbeOutcome.DONE:
            return Settlement.ACCEPT_DONE
        if probe.outcome is ProbeOutcome.NOT_DONE:
            return Settlement.RUN_AGAIN
        return Settlement.MARK_FAILED

    def auto_settle(self, interruptions: Iterable[Interruption]) -> None:
        for interruption in interruptions:
            self.settle(interruption, self.default_settlement(interruption.probe))

    # -- choosing what runs next -------------------------------------------------

    def next_step(self) -> Step | None:
        """The first step, in plan order, that can run now (waiting steps are passed over)."""
        for step in self.plan:
            status = self.state.steps[step.id].status
            if status in SETTLED or status is Status.WAITING:
                continue
            if status in (Status.PENDING, Status.FAILED) and self._requirements_met(step):
                return step
            return None
        return None

    def _requirements_met(self, step: Step) -> bool:
        return all(self.state.steps[r].status in SETTLED for r in step.requires)

    def blocked_reason(self) -> str:
        """Why nothing can run, in one sentence ("" when something can, or all is done)."""
        if self.next_step() is not None:
            return ""
        for step in self.plan:
            record = self.state.steps[step.id]
            if record.status in SETTLED or record.status is Status.WAITING:
                continue
            if record.status is Status.RUNNING:
                return f"{step.id} is running"
            unmet = [r for r in step.requires if self.state.steps[r].status not in SETTLED]
            waits = [
                f"{r} (waiting on {', '.join(self.state.steps[r].waiting_on)})"
                for r in unmet
                if self.state.steps[r].status is Status.WAITING
            ]
            if waits:
                return f"{step.id} needs {', '.join(waits)}"
            return f"{step.id} needs {', '.join(unmet)} first"
        waiting = [s.id for s in self.plan if self.state.steps[s.id].status is Status.WAITING]
        if waiting:
            return f"waiting on others: {', '.join(waiting)}"
        return ""

    def is_complete(self) -> bool:
        return all(self.state.steps[s.id].status in SETTLED for s in self.plan)

    def progress(self) -> tuple[int, int]:
        settled = sum(1 for s in self.plan if self.state.steps[s.id].status in SETTLED)
        return settled, len(self.plan)

    # -- running ---------------------------------------------------------------

    def run_step(self, step_id: str) -> Status:
        """Run one step now, whatever its position, if its status and requirements allow."""
        step = self.plan.get(step_id)
        record = self.state.steps[step_id]
        if record.status not in (Status.PENDING, Status.FAILED):
            raise RmtuiError(
                f"{step_id} is {record.status.value}; only pending or failed steps run",
                _hint_for(record.status),
            )
        if not self._requirements_met(step):
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
        self.running_step = step.id
        try:
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
                        step.id,
                        Event.WAIT,
                        reason=outcome.instructions,
                        waiting_on=outcome.roles,
                    )
                log.write("DONE\n")
                return self._transition(step.id, Event.SUCCEED)
        finally:
            self.running_step = None

    def run_next(self) -> Status | None:
        step = self.next_step()
        return None if step is None else self.run_step(step.id)

    def run_until(self, stop_after: str | None = None) -> Status | None:
        """Run steps in order until one fails, waits, is declined, or `stop_after` is done."""
        if stop_after is not None:
            self.plan.get(stop_after)
        last: Status | None = None
        while True:
            if stop_after is not None and self.state.steps[stop_after].status in SETTLED:
                return last
            step = self.next_step()
            if step is None:
                return last
            last = self.run_step(step.id)
            if last not in SETTLED:
                return last

    # -- the RM's manual moves ---------------------------------------------------

    def skip(self, step_id: str, reason: str) -> Status:
        _require_reason(reason, "skip")
        return self._transition(step_id, Event.SKIP, reason=reason)

    def mark_done(self, step_id: str, reason: str) -> Status:
        _require_reason(reason, "mark a step done by hand")
        return self._transition(step_id, Event.MARK_DONE, reason=f"by hand: {reason}")

    def retry(self, step_id: str) -> Status:
        return self._transition(step_id, Event.RETRY)

    def unskip(self, step_id: str) -> Status:
        return self._transition(step_id, Event.UNSKIP)

    def fulfil(self, step_id: str, role: str, note: str = "") -> Status:
        """Record that `role` delivered; the step is done when nobody is left to wait on."""
        with self._mutex:
            record = self.record(step_id)
            if record.status is not Status.WAITING or role not in record.waiting_on:
                raise RmtuiError(
                    f"{step_id} is not waiting on {role}",
                    f"it is {record.status.value}"
                    + (f", waiting on {', '.join(record.waiting_on)}" if record.waiting_on else ""),
                )
            remaining = [r for r in record.waiting_on if r != role]
            self._journal("fulfilled", step=step_id, role=role, note=note)
            if remaining:
                record.waiting_on = remaining
                self._save()
                self.emit(Notice(f"{role} delivered for {step_id}; still waiting on {remaining}"))
                return record.status
            self._save()
        return self._transition(step_id, Event.FULFIL, reason=note or f"{role} delivered")

    def request_stop(self) -> None:
        """Ask the running step to stop at its next command boundary."""
        self.cancel_event.set()


def _require_reason(reason: str, action: str) -> None:
    if not reason.strip():
        raise RmtuiError(
            f"a reason is required to {action}", "say why, so the journal explains it later"
        )


def _hint_for(status: Status) -> str:
    if status is Status.DONE:
        return "it is already done; nothing to repeat"
    if status is Status.SKIPPED:
        return "take the skip back first (unskip), then run it"
    if status is Status.WAITING:
        return "it waits on another person: import their artifacts (`rmtui handoff import`)"
    return "wait for it to finish, or quit and resume"
