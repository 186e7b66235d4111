"""The contexts the engine hands to steps: a read-only one for probes, a full one for runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rmtui.core.errors import StepFailed
from rmtui.core.events import OutputLine, ProgressUpdate
from rmtui.core.redact import redact
from rmtui.core.release import Release
from rmtui.core.store import ReleaseState

if TYPE_CHECKING:
    from rmtui.core.engine import Engine
    from rmtui.core.step import Step

# How stale a step's log file may get while the step prints (it is flushed at the end anyway).
LOG_FLUSH_SECONDS = 0.25


class FactView:
    """Read access to recorded facts, with `require` failing clearly when one is missing."""

    def __init__(self, state: ReleaseState) -> None:
        self._state = state

    def get(self, key: str) -> Any:
        return self._state.fact(key)

    def require(self, key: str) -> Any:
        value = self._state.fact(key)
        if value is None:
            raise StepFailed(
                f"the fact {key!r} has not been recorded yet",
                "run the earlier step that records it first (see `rmtui status`)",
            )
        return value


class ReadOnlyContext:
    """The engine's ProbeContext: the release, its facts and the cancel event, nothing more.

    It has no `output`, `record_fact`, `progress` or `prompter`, so a probe cannot write to the
    log, change the state or ask anyone; the kit's command runner refuses to run a command not
    marked read-only with it. What a probe proves travels back in its `Probe.facts`.
    """

    def __init__(self, release: Release, state: ReleaseState, cancel: threading.Event) -> None:
        self.release = release
        self.facts = FactView(state)
        self.cancel = cancel

    @property
    def workspace(self) -> Path:
        return self.release.workspace


class RunContext:
    """The engine's implementation of StepContext for one run of one step."""

    def __init__(self, engine: Engine, step: Step, log: IO[str] | None) -> None:
        self._engine = engine
        self._step = step
        self._log = log
        self._last_flush = time.monotonic()
        self.release = engine.release
        self.prompter = engine.prompter
        self.facts = FactView(engine.state)
        self.cancel = engine.cancel_event

    @property
    def workspace(self) -> Path:
        return self.release.workspace

    def output(self, line: str) -> None:
        clean = redact(line.rstrip("\n"))
        if self._log is not None:
            self._log.write(clean + "\n")
            # Flushing every line costs a syscall each (and a GIL hand-over in the TUI) when a
            # step floods; flushing every LOG_FLUSH_SECONDS loses at most that much to a kill.
            now = time.monotonic()
            if now - self._last_flush >= LOG_FLUSH_SECONDS:
                self._log.flush()
                self._last_flush = now
        self._engine.emit(OutputLine(self._step.id, clean))

    def record_fact(self, key: str, value: Any) -> None:
        self._engine.record_fact(self._step.id, key, value)

    def progress(self, done: float, total: float, label: str = "") -> None:
        self._engine.emit(ProgressUpdate(self._step.id, done, total, label))
