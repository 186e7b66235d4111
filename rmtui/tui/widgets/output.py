"""The output pane: the running step's lines live, or the tail of the selected step's log."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from textual.widgets import Log

# The pane keeps this many lines; the whole output is always in logs/<step>.log.
MAX_LINES = 5000
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


class OutputPane(Log):
    """A Log with a bounded number of lines and a title saying what it shows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, highlight=False, id=id)
        self.step_id: str | None = None
        self.live = False
        self.lines_received = 0
        self.log_path: Path | None = None

    def clear(self) -> OutputPane:
        super().clear()
        # Log.clear keeps the old scroll offset, which would hide the new lines below.
        self.scroll_home(animate=False, immediate=True)
        return self

    def _follow_end(self) -> None:
        # After layout: a horizontal scrollbar appearing takes a row and hides the last line.
        self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)

    def start_live(self, step_id: str, log_path: Path) -> None:
        self.clear()
        self.step_id, self.live, self.log_path = step_id, True, log_path
        self.lines_received = 0
        self._retitle()

    def stop_live(self) -> None:
        self.live = False
        self._retitle()

    def append(self, lines: Sequence[str], skipped: int = 0) -> None:
        """Add lines at the end; `skipped` more came before them but are not laid out."""
        if not lines and not skipped:
            return
        self.lines_received += len(lines) + skipped
        following = self.is_vertical_scroll_end
        if len(lines) > MAX_LINES:
            skipped += len(lines) - MAX_LINES
            lines = lines[-MAX_LINES:]
        if skipped:
            # Laying out lines nobody can read in time costs the step CPU; say where they are.
            where = f"logs/{self.log_path.name}" if self.log_path else "the step log"
            lines = [f"… {skipped:,} lines not shown here (all are in {where}) …", *lines]
        self.write_lines(lines)
        if following:
            self._follow_end()
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

    def forget(self) -> None:
        """Drop what is shown so the next `show_log` reads the file again."""
        self.step_id = None

    def _retitle(self) -> None:
        if self.step_id is None:
            self.border_title = "output"
            self.border_subtitle = ""
            return
        state = "live" if self.live else "log"
        self.border_title = f"output · {self.step_id} ({state})"
        if self.log_path is not None:
            name = f"logs/{self.log_path.name}"
            if self.live:
                self.border_subtitle = f"{self.lines_received:,} lines · full log: {name}"
            elif self.lines_received:
                self.border_subtitle = f"end of {name}"
            else:
                self.border_subtitle = "no output yet"
