"""The engine's listener inside the TUI: output lines to the pane's feed, the rest as messages."""

from __future__ import annotations

from textual.message_pump import MessagePump

from rmtui.core.events import EngineEvent, OutputLine
from rmtui.tui.messages import ENGINE_MESSAGES
from rmtui.tui.widgets.output import LineFeed


class EngineBridge:
    """Called by the engine from the thread that runs a step; never blocks on the UI.

    Output lines only go into the output pane's `LineFeed` (which throttles its redraws);
    every other event is posted to `target` as its typed message (`tui/messages.py`), in
    the order the engine emitted them.
    """

    def __init__(self, target: MessagePump, feed: LineFeed) -> None:
        self._target = target
        self._feed = feed
        self._closed = False

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, OutputLine):
            self._feed.add(event.line)
            return
        if not self._closed:
            # Dropped if the screen has gone: the engine's journal and state still hold it.
            self._target.post_message(ENGINE_MESSAGES[type(event)](event))

    @property
    def lines_seen(self) -> int:
        return self._feed.lines_seen

    def close(self) -> None:
        """Stop talking to the UI (it is going away); the engine keeps running safely."""
        self._closed = True
