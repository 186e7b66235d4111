"""How steps and statuses look: glyphs, colours, checklist rows, and the 10-step picture."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from rmtui.core.status import SETTLED, Status
from rmtui.core.step import Action, Phase, Role, Step
from rmtui.core.store import StepRecord

STATUS_STYLE: dict[Status, str] = {
    Status.PENDING: "",
    Status.RUNNING: "bold yellow",
    Status.DONE: "green",
    Status.FAILED: "bold red",
    Status.SKIPPED: "magenta",
    Status.WAITING: "cyan",
}

ROLE_STYLE: dict[str, str] = {
    Role.RM.value: "dim",
    Role.WINDOWS.value: "bold blue",
    Role.MACOS.value: "bold blue",
}

IRREVERSIBLE_MARK = "!"


# As the headless runner's glyphs, except waiting: ⧗ is missing from common terminal fonts.
TUI_GLYPHS: dict[Status, str] = {
    Status.PENDING: "·",
    Status.RUNNING: "▶",
    Status.DONE: "✔",
    Status.FAILED: "✘",
    Status.SKIPPED: "↷",
    Status.WAITING: "◷",
}


def glyph(status: Status) -> Text:
    return Text(TUI_GLYPHS[status], style=STATUS_STYLE[status] or "dim")


def status_text(status: Status) -> Text:
    return Text(status.value, style=STATUS_STYLE[status] or "dim")


def actions_grid(actions: Iterable[Action], *, command_style: str = "cyan") -> Table:
    """Each action as a bullet with its exact command under it; wrapped lines keep the indent."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(width=1)
    grid.add_column(ratio=1)
    for action in actions:
        grid.add_row("•", action.description)
        if action.command:
            grid.add_row("", Text(f"$ {action.command}", style=command_style))
    return grid


def phase_heading(phase: Phase, records: Iterable[StepRecord]) -> Text:
    records = list(records)
    settled = sum(1 for r in records if r.status in SETTLED)
    heading = Text(no_wrap=True, overflow="ellipsis")
    heading.append(phase.value.upper(), style="bold")
    heading.append(f"  {settled}/{len(records)}", style="dim")
    return heading


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = 0 if total == 0 else round(width * done / total)
    return "█" * filled + "░" * (width - filled)


@dataclass(frozen=True)
class Stage:
    """One of the ten stages of CPython's release process (PEP 101's diagram)."""

    number: int
    who: str
    label: str
    phases: tuple[Phase, ...]


# The phases a stage covers; a phase may span two stages (Prepare holds freeze and fork update).
PROCESS: tuple[Stage, ...] = (
    Stage(1, "RM", "Freeze the upstream release branch", (Phase.PREPARE,)),
    Stage(2, "RM", "Update the fork from upstream", (Phase.PREPARE,)),
    Stage(3, "RM", "Release tools: blurb, patchlevel.h, commit", (Phase.TOOLS,)),
    Stage(4, "RM", "Signed tag; push commit and tag to the fork", (Phase.TAG,)),
    Stage(5, "RM → experts", "Hand the tag and SHA to Windows, macOS", (Phase.HANDOFF,)),
    Stage(6, "all", "Build: tarballs (RM), installers (experts)", (Phase.BUILD,)),
    Stage(7, "all", "Test every artifact", (Phase.BUILD,)),
    Stage(8, "RM", "Sign: Sigstore bundle + GPG (PEP 761)", (Phase.SIGN,)),
    Stage(9, "RM", "Publish to downloads; check what went up", (Phase.PUBLISH,)),
    Stage(10, "RM", "Push upstream; post-release bump; unfreeze", (Phase.UPSTREAM,)),
)


def process_picture(
    steps: Iterable[Step], records: Mapping[str, StepRecord], current: Step | None
) -> Text:
    """The whole process on one screen, each stage marked done, current or to come."""
    steps = list(steps)
    by_phase: dict[Phase, list[Step]] = {}
    for step in steps:
        by_phase.setdefault(step.phase, []).append(step)
    picture = Text()
    for stage in PROCESS:
        members = [s for phase in stage.phases for s in by_phase.get(phase, [])]
        is_current = current is not None and current.phase in stage.phases
        settled = bool(members) and all(records[s.id].status in SETTLED for s in members)
        if is_current:
            marker, style = "▶", "bold reverse yellow"
        elif settled:
            marker, style = TUI_GLYPHS[Status.DONE], "green"
        elif not members:
            marker, style = " ", "dim"
        else:
            marker, style = TUI_GLYPHS[Status.PENDING], ""
        line = Text(f" {marker} {stage.number:>2}. {stage.label:<45} {stage.who:<13}", style=style)
        picture.append_text(line)
        picture.append("\n")
    return picture
