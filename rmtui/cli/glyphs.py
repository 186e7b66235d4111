"""The one mark per step status that the command line prints (status, run, the prompter)."""

from __future__ import annotations

from rmtui.core.status import Status

GLYPHS = {
    Status.PENDING: "·",
    Status.RUNNING: "▶",
    Status.DONE: "✔",
    Status.FAILED: "✘",
    Status.SKIPPED: "↷",
    Status.WAITING: "⧗",
}
