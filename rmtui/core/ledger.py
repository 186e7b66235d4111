"""The release's books: state.json and the journal, moved together under the lock, by the table."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from rmtui.core.errors import RmtuiError, StateError
from rmtui.core.events import EngineEvent, FactRecorded, Listener, Notice, StatusChanged
from rmtui.core.release import Release, now_utc
from rmtui.core.standing import Standing, next_runnable, standing
from rmtui.core.status import DECISIONS, Event, Status, next_status, require_reason
from rmtui.core.step import Plan, Step
from rmtui.core.store import Journal, ReleaseLock, ReleaseState, StateStore, StepRecord


class Ledger:
    """State, journal and lock of one release, and every status change the RM or a step makes.

    The engine (`rmtui.core.engine.Engine`) adds running steps on top of it.
    """

    def __init__(
        self,
        release: Release,
        plan: Plan,
        *,
        listeners: Iterable[Listener] = (),
        clock: Callable[[], str] = now_utc,
    ) -> None:
        self.release = release
        self.plan = plan
        self.listeners: list[Listener] = list(listeners)
        self.clock = clock
        self.store = StateStore(release.state_path)
        self.journal = Journal(release.journal_path)
        self.lock = ReleaseLock(release.lock_path, str(release.version))
        self._mutex = threading.RLock()
        self._state: ReleaseState | None = None

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

    def _adopt(self, state: ReleaseState) -> None:
        for step in self.plan:
            state.steps.setdefault(step.id, StepRecord())
        self._state = state

    def peek(self) -> None:
        """Load the state for reading only: no lock, nothing written (status views use it)."""
        self._adopt(self.store.load())

    def close(self) -> None:
        with self._mutex:
            self._state = None
        self.lock.release()

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

    # -- where the release stands ----------------------------------------------

    def standing(self) -> Standing:
        return standing(self.plan, self.state)

    def next_step(self) -> Step | None:
        """The first step, in plan order, that can run now (waiting steps are passed over)."""
        return next_runnable(self.plan, self.state.steps)

    def blocked_reason(self) -> str:
        """Why nothing can run, naming every awaited step ("" if something can or all is done)."""
        return self.standing().blocked

    def is_complete(self) -> bool:
        return self.standing().complete

    def progress(self) -> tuple[int, int]:
        now = self.standing()
        return now.done, now.total

    # -- the RM's manual moves ---------------------------------------------------

    def decide(self, step_id: str, event: Event, reason: str = "") -> Status:
        """Apply one of the RM's decisions; the table says if it is allowed and needs a reason."""
        if event not in DECISIONS:
            raise RmtuiError(
                f"{event.value!r} is not a decision the RM makes",
                f"the RM may {', '.join(e.value for e in DECISIONS)}",
            )
        require_reason(event, reason)
        text = f"by hand: {reason}" if event is Event.MARK_DONE else reason
        return self._transition(step_id, event, reason=text)

    def skip(self, step_id: str, reason: str) -> Status:
        return self.decide(step_id, Event.SKIP, reason)

    def mark_done(self, step_id: str, reason: str) -> Status:
        return self.decide(step_id, Event.MARK_DONE, reason)

    def retry(self, step_id: str) -> Status:
        return self.decide(step_id, Event.RETRY)

    def unskip(self, step_id: str) -> Status:
        return self.decide(step_id, Event.UNSKIP)

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
