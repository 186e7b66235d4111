"""The output pane: the running step's lines live (throttled), or the tail of a step's log."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from textual import on
from textual.message import Message
from textual.widgets import Log

# The pane keeps this many lines; the whole output is always in logs/<step>.log.
MAX_LINES = 5000
# Lines are drawn at most this often while they trickle in...
FLUSH_SECONDS = 1 / 20
# ...and this often while a step floods them (each redraw costs the step CPU time it needs).
FLOOD_FLUSH_SECONDS = 1.0
# A batch this big means a flood; of its lines, the pane shows the last FLOOD_TAIL (the
# whole output is in the step log, and the pane rereads its end when the step is over).
FLOOD_BATCH = 500
FLOOD_TAIL = 500
# How much of a log file is read to show its tail.
TAIL_BYTES = 256 * 1024


def read_tail(path: Path, max_lines: int = MAX_LINES) -> list[str]:
    """The last lines of a log file, without reading all of a large one."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - TAIL_BYTES)
            handle.seek(start)
            data = handle.read()
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first line was cut in the middle
    return lines[-max_lines:]


class LineFeed:
    """Lines from a step's thread, kept until the pane's next flush (thread-safe).

    Only the strings are kept: thousands of event objects waiting for a flush would make
    the garbage collector walk them again and again while a step floods. The first line
    after a `take` calls `announce` once, so a whole batch costs the UI one message.
    """

    def __init__(self, announce: Callable[[], object]) -> None:
        self._announce = announce
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self.lines_seen = 0

    def add(self, line: str) -> None:
        with self._lock:
            self._pending.append(line)
            self.lines_seen += 1
            first = len(self._pending) == 1
        if first:
            self._announce()

    def take(self) -> list[str]:
        """Every line added since the last call, oldest first."""
        with self._lock:
            batch, self._pending = self._pending, []
        return batch


class OutputPane(Log):
    """A Log with a bounded number of lines and a title saying what it shows.

    While a step runs, its lines arrive through `feed` and are drawn on a timer, as toolong
    does: every FLUSH_SECONDS while they trickle in, every FLOOD_FLUSH_SECONDS while the step
    floods, and then only the flood's last lines.
    """

    class Pending(Message):
        """Lines wait in the feed; the pane draws them on its next flush."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, highlight=False, id=id)
        self.step_id: str | None = None
        self.live = False
        self.lines_received = 0
        self.log_path: Path | None = None
        self.feed = LineFeed(lambda: self.post_message(self.Pending()))
        self._flush_scheduled = False
        self._flooding = False

    @on(Pending)
    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(FLOOD_FLUSH_SECONDS if self._flooding else FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Draw what the feed holds now (a flood: only its end)."""
        self._flush_scheduled = False
        batch = self.feed.take()
        self._flooding = len(batch) >= FLOOD_BATCH
        if batch:
            shown = batch[-FLOOD_TAIL:] if self._flooding else batch
            self.append(shown, skipped=len(batch) - len(shown))

    def clear(self) -> OutputPane:
        super().clear()
        # Log.clear keeps the old scroll offset, which would hide the new lines below.
        self.scroll_home(animate=False, immediate=True)
        return self

    def _follow_end(self) -> None:
        # After layout: a horizontal scrollbar appearing takes a row and hides the last line.
        self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)
        self.call_after_refresh(self._retitle)

    def on_resize(self) -> None:
        self._retitle()

    def start_live(self, step_id: str, log_path: Path) -> None:
        if self.live and self.step_id == step_id:
            return
        self.clear()
        self.step_id, self.live, self.log_path = step_id, True, log_path
        self.lines_received = 0
        self._retitle()

    def stop_live(self) -> None:
        """The run is over: draw what is left, then show the log (it has the engine's lines)."""
        self.flush()
        self.live = False
        self._flooding = False
        self.step_id = None  # so that the next `show_log` reads the file again
        self._retitle()

    def append(self, lines: Sequence[str], skipped: int = 0) -> None:
        """Add lines at the end; `skipped` more came before them but are not laid out."""
        if not lines and not skipped:
            return
        self.lines_received += len(lines) + skipped
        was_wide = self.max_scroll_x > 0
        if len(lines) > MAX_LINES:
            skipped += len(lines) - MAX_LINES
            lines = lines[-MAX_LINES:]
        if skipped:
            # Laying out lines nobody can read in time costs the step CPU; say where they are.
            where = f"logs/{self.log_path.name}" if self.log_path else "the step log"
            lines = [f"… {skipped:,} lines not shown here (all are in {where}) …", *lines]
        self.write_lines(lines)  # the Log follows the end itself (auto_scroll)
        if not was_wide and self.virtual_size.width > self.scrollable_content_region.width:
            self._follow_end()  # once more when the horizontal scrollbar appears
        self._retitle()

    def show_log(self, step_id: str, log_path: Path) -> None:
        """Show the end of a step's log (when nothing runs and a step is selected)."""
        if self.live or (self.step_id == step_id and self.log_path == log_path):
            return
        self.clear()
        self.step_id, self.log_path = step_id, log_path
        lines = read_tail(log_path)
        self.lines_received = len(lines)
        if lines:
            self.write_lines(lines)
            self._follow_end()  # the end of a log is what matters (the error)
        else:
            self.write_line("(not run yet: its output will stream here)")
        self._retitle()

    def _retitle(self) -> None:
        if self.step_id is None:
            self._set_titles("output", "")
            return
        state = "live" if self.live else "log"
        # Lines wider than the pane scroll sideways: say so, never cut them silently.
        wide = " · ←→ wide lines" if self.max_scroll_x > 0 else ""
        subtitle = ""
        if self.log_path is not None:
            name = f"logs/{self.log_path.name}"
            if self.live:
                subtitle = f"{self.lines_received:,} lines · full log: {name}"
            elif self.lines_received:
                subtitle = f"end of {name}"
            else:
                subtitle = "no output yet"
        self._set_titles(f"output · {self.step_id} ({state}){wide}", subtitle)

    def _set_titles(self, title: str, subtitle: str) -> None:
        # Each assignment repaints the pane, even with the same text.
        if title != self.border_title:
            self.border_title = title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
