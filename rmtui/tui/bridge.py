"""The engine's listener inside the TUI: batches output lines, hands other events to the UI."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump

from rmtui.core.events import EngineEvent, OutputLine


@dataclass
class OutputPending(Message):
    """Lines are waiting in the bridge; the receiver takes them on its next flush."""

    count: int


class EngineBridge:
    """Called by the engine from the thread that runs a step.

    Output lines only go into a buffer; the first line after a flush posts one small
    `OutputPending` message, and the UI takes the whole batch on a timer (as toolong does),
    so a step printing hundreds of thousands of lines costs the UI a few redraws a second.
    Every other event is handed to `deliver` through `App.call_from_thread`, after which the
    engine goes on: the screen is up to date before the step's next move.
    """

    def __init__(
        self, app: App[object], target: MessagePump, deliver: Callable[[EngineEvent], None]
    ) -> None:
        self._app = app
        self._target = target
        self._deliver = deliver
        self._lock = threading.Lock()
        # Only the strings are kept: thousands of event objects waiting for a flush would
        # make the garbage collector walk them again and again while a step floods.
        self._pending: list[str] = []
        self._closed = False
        self.lines_seen = 0

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, OutputLine):
            with self._lock:
                self._pending.append(event.line)
                self.lines_seen += 1
                first = len(self._pending) == 1
            if first and not self._closed:
                self._target.post_message(OutputPending(1))
            return
        if self._closed:
            return
        if threading.get_ident() == self._app._thread_id:
            self._deliver(event)
            return
        # If the app has stopped, the engine's own journal and state still record the event.
        with contextlib.suppress(RuntimeError):
            self._app.call_from_thread(self._deliver, event)

    def take_output(self) -> list[str]:
        """Every line buffered since the last call, oldest first (UI thread)."""
        with self._lock:
            batch, self._pending = self._pending, []
        return batch

    def close(self) -> None:
        """Stop talking to the UI (it is going away); the engine keeps running safely."""
        self._closed = True
